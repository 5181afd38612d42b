"""``jug webstatus``: a live dashboard of a run, served to a browser.

* :mod:`jug.web.live` owns the one status the server shows: refreshed from
  the manifest and the store at most once per interval, whatever the number
  of open pages, with the throughput history and the drawn task graph.  It
  needs only the standard library (and Graphviz's ``dot`` for the drawing).
* :mod:`jug.web.app` is the read-only ASGI application (Starlette) around
  it: the page, ``/api/status`` (the document of ``jug status --json``),
  ``/api/live``, the event stream ``/api/events`` and ``/api/graph.svg``.
* :mod:`jug.web.server` runs it with uvicorn on a socket it binds itself.

Starlette and uvicorn are the optional extra ``jug[web]``; nothing here is
imported by ``jug --help`` or ``jug status``.
"""

INSTALL_HINT = ("jug webstatus needs the optional web dependencies (starlette and uvicorn): "
                "pip install 'jug[web]'")


def missing_dependencies():
    """The names of the web extra's packages that cannot be imported."""
    import importlib.util

    missing = []
    for name in ("starlette", "uvicorn"):
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a module set to None in sys.modules
            found = False
        if not found:
            missing.append(name)
    return missing
