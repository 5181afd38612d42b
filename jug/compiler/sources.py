"""The user's own modules are imported by their content, never from a stale
``.pyc``.

Python trusts a timestamp ``.pyc`` while the source's mtime, in whole
seconds, and its size are those it recorded: an edit that keeps the size and
lands in the same second as the ``.pyc`` (``FACTOR = 2`` -> ``FACTOR = 3``)
is imported as the old code.  A manifest's freshness is by content (the
module's digest is recorded), so a re-trace that ran the old code would
record the old tasks under the new digest, and every command would then
trust that wrong "all complete".  While :func:`importing_by_content` is
active (the trace, and a worker running tasks), a module that is neither
the standard library, an installed package nor jug itself is loaded by
:class:`ContentCheckedLoader`: its ``.pyc`` is used only when it holds the
hash of the current source (PEP 552), and is otherwise compiled from source
and rewritten as a checked hash-based ``.pyc`` (unless bytecode writing is
off), which plain Python imports then check by content too.
"""

import contextlib
import importlib.machinery
import importlib.util
import marshal
import os
import sys

from jug.compiler.freshness import is_system_path  # here: an import in find_spec would recurse

_HASH_BASED = 0b01  # the flags word of a PEP 552 pyc
_CHECK_SOURCE = 0b10
_JUG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class ContentCheckedLoader(importlib.machinery.SourceFileLoader):
    """A source loader that trusts a ``.pyc`` by the hash of the source only."""

    def get_code(self, fullname):
        source_path = self.get_filename(fullname)
        source = self.get_data(source_path)
        source_hash = importlib.util.source_hash(source)
        try:
            bytecode_path = importlib.util.cache_from_source(source_path)
        except NotImplementedError:  # sys.implementation.cache_tag is None
            bytecode_path = None
        code = _cached_code(self, bytecode_path, source_hash)
        if code is not None:
            return code
        code = self.source_to_code(source, source_path)
        if bytecode_path is not None and not sys.dont_write_bytecode:
            flags = (_HASH_BASED | _CHECK_SOURCE).to_bytes(4, "little")
            # set_data writes atomically and ignores what it cannot write
            self.set_data(bytecode_path, importlib.util.MAGIC_NUMBER + flags + source_hash
                          + marshal.dumps(code))
        return code


def _cached_code(loader, bytecode_path, source_hash):
    """The code in ``bytecode_path`` if it is a hash-based pyc of this
    Python for the source of ``source_hash``, else None."""
    if bytecode_path is None:
        return None
    try:
        data = loader.get_data(bytecode_path)
    except OSError:
        return None
    if (data[:4] != importlib.util.MAGIC_NUMBER or len(data) < 16
            or not int.from_bytes(data[4:8], "little") & _HASH_BASED
            or data[8:16] != source_hash):
        return None
    try:
        return marshal.loads(data[16:])
    except (EOFError, ValueError, TypeError):
        return None


class _ByContentFinder:
    """A meta path finder, placed just before ``PathFinder``: the spec
    ``PathFinder`` finds, with :class:`ContentCheckedLoader` for the user's
    source modules."""

    def find_spec(self, fullname, path=None, target=None):
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if (spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader
                and _is_users(spec.origin)):
            spec.loader = ContentCheckedLoader(spec.loader.name, spec.loader.path)
        return spec

    def invalidate_caches(self):
        pass  # PathFinder's are invalidated by importlib itself


def _is_users(path):
    return bool(path) and not path.startswith(_JUG_DIR) and not is_system_path(path)


_FINDER = _ByContentFinder()


@contextlib.contextmanager
def importing_by_content():
    """Import the user's modules by :class:`ContentCheckedLoader` inside the
    ``with`` (re-entrant)."""
    if _FINDER in sys.meta_path:
        yield
        return
    finders = sys.meta_path
    where = next((i for i, finder in enumerate(finders)
                  if finder is importlib.machinery.PathFinder), len(finders))
    finders.insert(where, _FINDER)
    try:
        yield
    finally:
        if _FINDER in sys.meta_path:
            sys.meta_path.remove(_FINDER)
