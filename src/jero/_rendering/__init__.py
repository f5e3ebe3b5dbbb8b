"""Rendering: response wrappers, the plan wiring derives from a return annotation, and
the request-time encoders it leaves behind."""
