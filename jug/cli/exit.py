"""Leaving the process: the ``jug`` script's exit.

At the end of a command that traced a large jugfile, the interpreter's own
exit frees every object still alive, one by one: a million tasks are about
six million objects and 1.3 s of a ten-second ``jug compile``, spent after
the command's work is done and its output written.  :func:`leave` skips
that when the heap is large, after doing what anyone could see of a normal
exit: threads that are not daemons are waited for, ``atexit`` functions run
(``logging`` flushes its handlers there, ``tempfile`` and
``weakref.finalize`` clean up there), files left open in a module's
namespace (a jugfile's ``out = open(...)`` never closed) are flushed, and so
are standard output and error.  What is not done is what no jug user can
rely on: the ``__del__`` of objects alive at exit.

Only the ``jug`` script (:func:`jug.cli.run`) and ``python -m jug.jug``
leave this way; a script calling :func:`jug.cli.main` or
:func:`jug.jug.main` gets the ``SystemExit`` as always and goes on.
"""

import os
import sys

#: pymalloc blocks alive above which the objects are not freed at exit
#: (about 0.2 s of freeing; an idle ``jug`` has 60,000)
LARGE_HEAP_BLOCKS = 1_000_000


def leave(code):
    """Exit with ``code`` (as ``SystemExit(code)`` would), without freeing
    every object when more than :data:`LARGE_HEAP_BLOCKS` are alive."""
    if sys.getallocatedblocks() < LARGE_HEAP_BLOCKS:
        raise SystemExit(code)
    status = _status(code)
    _join_threads()
    import atexit

    atexit._run_exitfuncs()
    _flush_module_files()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe: as the interpreter's exit would
            if stream is sys.stdout:
                status = status or 120
    os._exit(status)


def _status(code):
    """The exit status ``SystemExit(code)`` gives (a message goes to stderr)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except (OSError, ValueError):
        pass
    return 1


def _join_threads():
    import threading

    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not current and not thread.daemon:
            thread.join()


def _flush_module_files():
    """Flush the open files that modules' namespaces hold (the interpreter's
    exit would, when it frees them)."""
    import io

    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for value in list(namespace.values()):
            if isinstance(value, io.IOBase) and not value.closed:
                try:
                    value.flush()
                except (OSError, ValueError):
                    pass
