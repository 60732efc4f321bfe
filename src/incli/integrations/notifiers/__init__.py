"""Notifiers: each turns an event into a message for one outside system."""
