"""Streaming: the stream response wrappers, their wiring, and the send loop."""
