"""Naming runs."""
import datetime


def timestamp():
    return datetime.datetime.now().strftime("%Y%m%d-%H%M%S")


def run_name(prefix):
    return f"{prefix}-{timestamp()}"
