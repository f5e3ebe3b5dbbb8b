"""Conditional requests (RFC 9110 §13): entity tags, validators and preconditions."""
