"""The typed client: route classes read once, then called over any httpx transport."""
