"""Routing: route classes and their path templates, the trie, and the sealed router."""
