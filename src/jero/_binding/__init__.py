"""Binding: one binder per handler parameter, chosen by name (`sources.SOURCES`)."""
