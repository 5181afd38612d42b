"""The original jug's ``jug.jug_version``: ``__version__`` and ``CITATION``
(the reference alone, as there; ``jug execute`` prints it with a request)."""

from jug.version import __version__

__all__ = ["__version__", "CITATION"]

CITATION = """\
    Coelho, L.P., (2017). Jug: Software for Parallel Reproducible Computation in
    Python. Journal of Open Research Software. 5(1), p.30.

    https://doi.org/10.5334/jors.161"""
