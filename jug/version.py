"""The version of this jug."""

__version__ = "3.0.0.dev0"
