"""Everything that touches the disk: finding the repository, YAML, atomic writes, locks, git."""
