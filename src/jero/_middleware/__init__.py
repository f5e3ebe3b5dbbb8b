"""Middleware (compiled per route at wiring), CORS, compression, request ids and access logs."""
