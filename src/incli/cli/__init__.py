"""The command line: Typer apps that parse arguments, call the service and print through output."""
