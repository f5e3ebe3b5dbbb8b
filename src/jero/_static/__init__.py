"""Static files: a directory served under a URL prefix, with validators, conditional
requests, byte ranges and precompressed siblings."""
