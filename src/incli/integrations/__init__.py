"""Each outside system in one module behind a small protocol."""
