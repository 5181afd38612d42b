"""Hosts served."""

HOSTS = ("www", "api", "static")
