"""Use cases, one module per feature, named after its command. No printing."""
