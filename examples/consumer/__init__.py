"""Scripts that consume the example APIs with the typed client."""
