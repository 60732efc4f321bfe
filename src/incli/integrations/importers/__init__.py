"""Importers: another tool's export -> records incli can import."""
