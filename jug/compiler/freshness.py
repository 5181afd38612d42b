"""When is a manifest fresh?  Recording what a trace read, and checking it.

A manifest is a memoized trace: it stays valid while everything the trace
depended on is unchanged.  While tracing, :class:`InputRecorder` watches (with
``sys.addaudithook``) the files the jugfile opens for reading and the
directories it lists; afterwards :func:`fingerprint_trace` adds the jugfile,
the user's own modules it imported, ``sys.argv`` and the jug and Python
versions.  :func:`check_inputs` re-checks all of it with one ``stat`` per
entry, and hashes a file's content only when its size or mtime moved (a
``touch`` does not force a re-trace).  Store answers are checked by
:func:`jug.compiler.build.stale_reason` against one listing of the store.
"""

import dataclasses
import functools
import hashlib
import os
import sys
import threading

from jug.version import __version__

#: The Python version a manifest records and is checked against: ``3.11.7``.
PYTHON_VERSION = "%d.%d.%d" % sys.version_info[:3]

_recorder_lock = threading.Lock()
_active_recorder = None
_hook_installed = False

@functools.lru_cache(maxsize=1)
def _system_prefixes():
    """Where code we do not fingerprint lives: the standard library and
    installed packages (they change only with an upgrade, which the versions
    cover).  Computed on first use: ``sysconfig`` is slow to import."""
    import sysconfig

    paths = sysconfig.get_paths()
    candidates = (sys.prefix, sys.base_prefix, sys.exec_prefix, paths.get("stdlib"),
                  paths.get("purelib"), paths.get("platlib"))
    return tuple(sorted({os.path.realpath(p) + os.sep for p in candidates if p}))


def is_system_path(path):
    real = os.path.realpath(path)
    return (real.startswith(_system_prefixes()) or "site-packages" in real
            or "dist-packages" in real)


def _from_import_system():
    """Is the audited call made by the import machinery (which lists
    directories and reads modules; imports are fingerprinted separately)?"""
    frame = sys._getframe(2)
    for _ in range(4):
        if frame is None:
            return False
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _audit(event, args):
    recorder = _active_recorder
    if recorder is None or recorder.thread != threading.get_ident():
        return
    if event not in ("open", "os.listdir", "os.scandir", "glob.glob") or _from_import_system():
        return
    if event == "open":
        path, mode, flags = args
        if isinstance(path, int) or path is None:
            return
        writing = (mode and any(c in mode for c in "wax+")) or (
            mode is None and flags & (os.O_WRONLY | os.O_RDWR))
        if not writing:
            recorder.files.add(os.fsdecode(path))
    elif event in ("os.listdir", "os.scandir"):
        path = args[0]
        if isinstance(path, int):
            return
        recorder.directories.add(os.fsdecode(path) if path is not None else ".")
    elif event == "glob.glob":
        pattern = os.fsdecode(args[0])
        recorder.directories.add(os.path.dirname(pattern) or ".")


class InputRecorder:
    """Collects the files opened for reading and the directories listed by
    the current thread inside ``with InputRecorder() as recorder:``."""

    def __init__(self):
        self.files = set()
        self.directories = set()
        self.thread = threading.get_ident()

    def __enter__(self):
        global _active_recorder, _hook_installed
        with _recorder_lock:
            if not _hook_installed:
                sys.addaudithook(_audit)
                _hook_installed = True
            self._previous = _active_recorder
            _active_recorder = self
        return self

    def __exit__(self, *exc_info):
        global _active_recorder
        _active_recorder = self._previous


@dataclasses.dataclass(frozen=True)
class InputState:
    """One fingerprinted input: a file (``kind='file'``: size, mtime_ns and
    content digest) or a directory (``kind='dir'``: mtime_ns and a digest of
    its sorted listing); ``size == -1`` means it did not exist."""

    kind: str
    path: str
    size: int
    mtime_ns: int
    digest: str

    def to_json(self):
        return [self.kind, self.path, self.size, self.mtime_ns, self.digest]

    @classmethod
    def from_json(cls, row):
        return cls(*row)


def file_state(path):
    try:
        st = os.stat(path)
    except OSError:
        return InputState("file", path, -1, 0, "")
    return InputState("file", path, st.st_size, st.st_mtime_ns, _file_digest(path))


def directory_state(path):
    try:
        st = os.stat(path)
        names = sorted(os.listdir(path))
    except OSError:
        return InputState("dir", path, -1, 0, "")
    return InputState("dir", path, len(names), st.st_mtime_ns,
                      hashlib.blake2b("\0".join(names).encode("utf-8", "surrogateescape"),
                                      digest_size=16).hexdigest())


def _file_digest(path):
    digest = hashlib.blake2b(digest_size=16)
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()


def changed_input(state):
    """None if ``state`` still holds, else a short reason (``'x.py changed'``)."""
    try:
        st = os.stat(state.path)
    except OSError:
        return None if state.size == -1 else f"{_short(state.path)} was removed"
    if state.size == -1:
        return f"{_short(state.path)} appeared"
    if state.kind == "file":
        if st.st_size == state.size and st.st_mtime_ns == state.mtime_ns:
            return None
        if st.st_size == state.size and _file_digest(state.path) == state.digest:
            return None  # touched, same content
        return f"{_short(state.path)} changed"
    if st.st_mtime_ns == state.mtime_ns:
        return None
    if directory_state(state.path).digest == state.digest:
        return None
    return f"{_short(state.path)}{os.sep} changed"


def _short(path):
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return relative if not relative.startswith("..") else path


def check_inputs(states):
    """The first reason an input changed, or None when all hold."""
    for state in states:
        reason = changed_input(state)
        if reason is not None:
            return reason
    return None


def user_modules(jugfile, modules_before):
    """The user's own modules, ``{name: real path}``: those imported since
    ``modules_before`` (a set of module names) and those living next to the
    jugfile (possibly imported by an earlier trace in this process); never
    the standard library, installed packages, jug itself or the jugfile."""
    jug_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    directory = os.path.dirname(os.path.realpath(jugfile)) + os.sep
    jugfile_path = os.path.realpath(jugfile)
    found = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path or not path.endswith(".py"):
            continue
        real = os.path.realpath(path)
        if name in modules_before and not real.startswith(directory):
            continue
        if real == jugfile_path or real.startswith(jug_dir) or is_system_path(real):
            continue
        found[name] = real
    return found


def fingerprint_trace(jugfile, recorder, modules, store_location=None):
    """The InputStates of a finished trace: jugfile, user modules, then the
    files and directories it read (the store's own files excluded)."""
    states = {}
    jugfile_path = os.path.abspath(jugfile)
    states[jugfile_path] = file_state(jugfile_path)
    for path in sorted(modules.values()):
        states.setdefault(path, file_state(path))
    excluded = os.path.realpath(store_location) + os.sep if store_location else None
    for path in sorted(recorder.files):
        absolute = os.path.abspath(path)
        if _ignored(absolute, excluded):
            continue
        states.setdefault(absolute, file_state(absolute))
    for path in sorted(recorder.directories):
        absolute = os.path.abspath(path)
        if _ignored(absolute, excluded):
            continue
        key = absolute + os.sep
        states.setdefault(key, directory_state(absolute))
    return list(states.values())


def _ignored(path, excluded):
    if excluded and (os.path.realpath(path) + os.sep).startswith(excluded):
        return True
    if "__pycache__" in path or path.endswith((".pyc", ".so")):
        return True
    if os.path.isdir(path) and not path:
        return True
    return is_system_path(path) and not os.path.isdir(path)


def environment_fingerprint(argv):
    """What else a trace depends on: ``sys.argv`` and the versions."""
    return {"argv": list(argv), "jug": __version__, "python": PYTHON_VERSION}
