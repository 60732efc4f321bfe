"""incli: incident response from the command line, stored as YAML files in git."""

__version__ = "0.1.0"
