"""fast_shacl."""
