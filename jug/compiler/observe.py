"""Watching what a jugfile's top level observes while it is traced.

``with Observer(): trace...`` records, for the tracing thread only:

* files opened for reading (``open``, ``io.open``, ``os.open``) and
  directories listed (``os.listdir``, ``os.scandir``: ``os.walk``, ``glob``
  and ``pathlib`` list every directory they visit through them);
* stat-family questions with the answers seen: ``os.stat``/``lstat``/
  ``access``, the ``os.path`` predicates (``exists``, ``isfile``,
  ``isdir``, ``islink``, ``lexists``), sizes and times, and the
  ``pathlib.Path`` forms, the outermost call answering (``os.path.exists``
  records "exists", not the ``os.stat`` inside it);
* environment variables read (``os.environ[...]``, ``.get``, ``in``,
  ``os.getenv``; a missing variable too), through ``os._Environ`` methods
  wrapped while the trace runs; iterating the mapping reads all of it.  A
  variable the jugfile set itself is not an observation of the world;
* sources that make the trace *volatile*: unseeded random numbers (the
  ``random`` module's generator and ``random.Random()`` until seeded,
  ``SystemRandom``, ``os.urandom``, ``secrets``, numpy's global generator
  until ``numpy.random.seed``, ``numpy.random.default_rng()`` without a
  seed), clock reads (``time.time`` and friends, ``datetime.now``/
  ``utcnow``/``today``, ``date.today``), ``uuid1``/``uuid4``,
  ``os.getpid``, ``socket.gethostname``, subprocesses, standard input and
  the network.

All of it by wrapping those functions (module and class attributes, see
:func:`_patchers`) while the trace runs, not with audit hooks: an audit hook
cannot be removed, and would cost every audit event of the process
(``id()``, ``sys._getframe``...) about 0.3 us from then on, task execution
included.

Each observation is attributed to the frame that caused it
(:func:`_responsible_frame`): walking out from the call, frames of the
standard library, of installed packages and of the few jug helpers that act
for the user (``jug.utils.timed_path``) are passed through, and the first
other frame decides: the jugfile or a local module counts, and its file and
line are kept; jug's own code and the import system do not.  So jug reading
its ``JUG_*`` variables, and packages reading the environment while they
are imported, do not make manifests churn.  Two refinements for volatile
sources: a random draw made by the standard library for its own purposes
(``tempfile`` names, ``multiprocessing`` keys) does not count, and a clock
read counts only when the jugfile or a local module reads the clock itself
(``logging`` time stamps and progress bars read it for their own
bookkeeping).

Everything wrapped is put back when the trace ends; a wrapped function a
module imported by name during the trace keeps, and behaves as the original
outside a trace.
"""

import gc
import os
import sys
import threading

_lock = threading.Lock()
_active = None  # the Observer of the running trace
_get_ident = threading.get_ident

# Frame categories (see _category).
_USER, _PASS, _STDLIB, _OTHER, _JUG, _ACTING = range(6)
_JUG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
#: jug modules whose functions observe the world for the user (timed_path's
#: hash reads the mtime; glob_sort lists a directory).
_ACTING_FOR_THE_USER = {os.path.join(_JUG_DIR, "utils.py")}
_categories = {}


def _category(filename):
    category = _categories.get(filename)
    if category is not None:
        return category
    if filename.startswith(("<frozen importlib", "<frozen zipimport")):
        category = _OTHER
    elif filename.startswith("<frozen "):
        category = _STDLIB
    elif filename.startswith("<"):
        category = _PASS  # code made by exec: dataclass methods, namedtuples...
    elif filename == __file__:
        category = _PASS  # the wrappers below
    else:
        from jug.compiler.freshness import is_system_path

        path = os.path.abspath(filename)
        if path in _ACTING_FOR_THE_USER:
            category = _ACTING
        elif path.startswith(_JUG_DIR):
            category = _JUG
        elif "site-packages" in path or "dist-packages" in path:
            category = _PASS
        elif is_system_path(path):
            category = _STDLIB
        else:
            category = _USER
    _categories[filename] = category
    return category


# How far a walk passes through: inputs through the standard library and
# installed packages; random draws through installed packages only; clock
# reads through nothing (the jugfile must read the clock itself).
INPUTS, RANDOM, CLOCK = (_PASS, _STDLIB), (_PASS,), ()


def _responsible_frame(frame, passes=INPUTS, api=None):
    """The jugfile or local-module frame responsible for a call made in
    ``frame`` (None when jug, the import system or the standard library is).
    Frames whose file is in ``api`` (the module implementing the observed
    function) are always passed; returns ``(frame, outermost api function
    name or None)``."""
    name = None
    acting = False  # inside a jug helper acting for the user: jug's frames pass too
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        if api is not None and filename in api:
            name = code.co_name
            frame = frame.f_back
            continue
        category = _category(filename)
        if category == _USER:
            return frame, name
        if category == _ACTING:
            acting = True
        elif not (category in passes or (acting and category == _JUG)):
            return None, None
        frame = frame.f_back
    return None, None


def _where(frame):
    from jug.compiler.freshness import _short

    return f"{_short(frame.f_code.co_filename)}:{frame.f_lineno}"


def _current():
    """The active Observer if this thread is tracing and no wrapped call
    is already answering (the outermost wrapper records)."""
    observer = _active
    if observer is None or observer.inside or observer.thread != _get_ident():
        return None
    return observer


def _internal(method):
    """An Observer method: the observer's own stat calls, listings and
    environment reads are not observations."""
    def run(self, *args):
        self.inside += 1
        try:
            return method(self, *args)
        finally:
            self.inside -= 1

    run.__name__ = method.__name__
    run.__doc__ = method.__doc__
    return run


class FileRead:
    __slots__ = ("where", "size", "mtime_ns")

    def __init__(self, where, size, mtime_ns):
        self.where, self.size, self.mtime_ns = where, size, mtime_ns


class DirectoryListed:
    __slots__ = ("where", "mtime_ns", "snapshot")

    def __init__(self, where, mtime_ns, snapshot):
        self.where, self.mtime_ns, self.snapshot = where, mtime_ns, snapshot


class Observer:
    """What the tracing thread observed inside ``with Observer() as seen:``.

    ``files``/``directories``: absolute path -> :class:`FileRead` /
    :class:`DirectoryListed`; ``stats``: ``(path, follow)`` ->
    ``[where, {aspect: answer}]``; ``variables``: name -> ``(value or None,
    where)``; ``environment``: ``(where, {name: value}, names the jugfile had
    set)`` once it read the whole environment; ``volatile``: the
    :class:`jug.compiler.freshness.Volatility` found, one per line."""

    def __init__(self):
        self.thread = _get_ident()
        self.files = {}
        self.directories = {}
        self.stats = {}
        self.variables = {}
        self.environment = None
        self.written = set()
        self.volatile = []
        self._volatile_lines = set()
        self.inside = 0
        self.numpy_seeded = False
        self._undo = []
        self._finder = None

    # -- lifetime -------------------------------------------------------------

    def __enter__(self):
        global _active
        import time

        from jug.compiler.freshness import _system_prefixes

        _system_prefixes()  # imports sysconfig, which reads the environment: before watching
        self.started_ns = time.time_ns()
        with _lock:
            self._previous = _active
            _active = self
        patchers = _patchers()
        waiting = {}
        for name, patch in patchers.items():
            module = sys.modules.get(name)
            if module is not None:
                patch(self, module)
            else:
                waiting[name] = patch
        if waiting:
            self._finder = _PatchOnImport(self, waiting)
            sys.meta_path.insert(0, self._finder)
        return self

    def __exit__(self, *exc_info):
        global _active
        _active = self._previous
        if self._finder is not None and self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        while self._undo:
            self._undo.pop()()

    def replace(self, owner, name, value):
        """Set ``owner.name = value`` until the trace ends (a class attribute
        it inherited is shadowed, then the shadow removed)."""
        if isinstance(owner, type) and name not in owner.__dict__:
            setattr(owner, name, value)
            self._undo.append(lambda: delattr(owner, name))
            return None
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        setattr(owner, name, value)
        self._undo.append(lambda: setattr(owner, name, original))
        return original

    # -- recording ------------------------------------------------------------

    @_internal
    def file_read(self, path, frame):
        path = os.path.abspath(path)
        if path in self.files:
            return
        responsible, _ = _responsible_frame(frame)
        if responsible is None:
            return
        try:
            st = os.stat(path)
            size, mtime_ns = st.st_size, st.st_mtime_ns
        except OSError:
            size, mtime_ns = -1, 0
        self.files[path] = FileRead(_where(responsible), size, mtime_ns)

    @_internal
    def directory_listed(self, path, frame):
        path = os.path.abspath(path)
        if path in self.directories:
            return
        responsible, _ = _responsible_frame(frame)
        if responsible is None:
            return
        from jug.compiler.freshness import RACY_NS, directory_state

        try:
            mtime_ns = os.stat(path).st_mtime_ns
        except OSError:
            mtime_ns = 0
        # A directory modified within the file system's time stamp tick may
        # change again without its mtime moving: list it now, as it is seen.
        snapshot = directory_state(path) if mtime_ns >= self.started_ns - RACY_NS else None
        self.directories[path] = DirectoryListed(_where(responsible), mtime_ns, snapshot)

    @_internal
    def stat_answer(self, path, follow, aspect, answer, frame):
        if isinstance(path, int):
            return
        try:
            path = os.path.abspath(os.fspath(path))
        except TypeError:
            return
        key = (path, follow)
        entry = self.stats.get(key)
        if entry is not None and aspect in entry[1]:
            return
        responsible, _ = _responsible_frame(frame)
        if responsible is None:
            return
        if entry is None:
            self.stats[key] = [_where(responsible), {aspect: answer}]
        else:
            entry[1][aspect] = answer

    @_internal
    def variable_read(self, name, value, frame):
        if name in self.written or name in self.variables or self.environment is not None:
            return
        responsible, _ = _responsible_frame(frame)
        if responsible is not None:
            self.variables[name] = (value, _where(responsible))

    @_internal
    def environment_read(self, environ, frame):
        if self.environment is not None:
            return
        responsible, _ = _responsible_frame(frame)
        if responsible is None:
            return
        everything = {environ.decodekey(k): environ.decodevalue(v)
                      for k, v in environ._data.items()}
        if not isinstance(next(iter(everything), ""), str):
            everything = {os.fsdecode(k): os.fsdecode(v) for k, v in everything.items()}
        self.environment = (_where(responsible), everything, frozenset(self.written))

    @_internal
    def volatile_source(self, kind, source, frame, passes=INPUTS, api=None, default=""):
        """A volatile ``source`` was used (``{}`` in it: the outermost
        function of ``api`` called, else ``default``)."""
        responsible, name = _responsible_frame(frame, passes, api)
        if responsible is None:
            return
        where = _where(responsible)
        if where in self._volatile_lines or len(self.volatile) >= 20:
            return
        from jug.compiler.freshness import Volatility

        if "{}" in source:
            source = source.format(name or default)
        self._volatile_lines.add(where)
        self.volatile.append(Volatility(kind, source, where))


# -- wrapped functions ------------------------------------------------------------


class _PatchOnImport:
    """A meta path finder that patches the watched modules as soon as they
    are imported during the trace (numpy.random, secrets...)."""

    def __init__(self, observer, patchers):
        self.observer = observer
        self.patchers = patchers

    def find_spec(self, fullname, path=None, target=None):
        patch = self.patchers.pop(fullname, None)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        exec_module = getattr(loader, "exec_module", None)
        if exec_module is None:
            return spec
        observer = self.observer

        def exec_and_patch(module):
            exec_module(module)
            del loader.exec_module
            if _active is observer:
                patch(observer, module)

        loader.exec_module = exec_and_patch
        return spec


def _patchers():
    """Module name -> how to patch it (now if imported, else on import)."""
    return {"builtins": _patch_builtins, "io": _patch_io, "os": _patch_os,
            "posixpath": _patch_os_path, "pathlib": _patch_pathlib, "glob": _patch_glob,
            "subprocess": _patch_subprocess, "socket": _patch_socket,
            "random": _patch_random, "time": _patch_time, "datetime": _patch_datetime,
            "uuid": _patch_uuid, "secrets": _patch_secrets, "numpy.random": _patch_numpy,
            "sys": _patch_stdin, **dict.fromkeys(_CAPTURED_OPEN, _patch_captured_open)}


# Modules keeping their own reference to the built-in open, from before the
# trace: module -> attribute.
_CAPTURED_OPEN = {"numpy.lib._datasource": "_open", "tarfile": "bltn_open",
                  "bz2": "_builtin_open", "lzma": "_builtin_open"}
_DEVICES = {"/dev/stdin": ("stdin", "open('/dev/stdin')"),
            "/dev/urandom": ("random", "open('/dev/urandom')"),
            "/dev/random": ("random", "open('/dev/random')")}
_WRITING = os.O_WRONLY | os.O_RDWR


def _opened(observer, file, reading, frame):
    """``file`` (a path or a descriptor) is opened; ``reading`` only."""
    if isinstance(file, int):
        if file == 0 and reading:
            observer.volatile_source("stdin", "open(0)", frame)
        return
    if not reading:
        return
    try:
        path = os.fsdecode(os.fspath(file))
    except TypeError:
        return
    device = _DEVICES.get(path)
    if device is not None:
        observer.volatile_source(device[0], device[1], frame)
    else:
        observer.file_read(path, frame)


def _open_function(real):
    def open(file, mode="r", *args, **kwargs):
        observer = _current()
        if observer is not None:
            _opened(observer, file, not any(c in mode for c in "wax+"), sys._getframe(1))
        return real(file, mode, *args, **kwargs)

    open.__wrapped__ = real
    open.__doc__ = real.__doc__
    return open


_open_functions = {}  # the original open -> its one wrapper (so `is` checks agree)


def _open_wrapper(real):
    wrapper = _open_functions.get(real)
    if wrapper is None:
        wrapper = _open_functions[real] = _open_function(real)
    return wrapper


def _patch_builtins(observer, builtins):
    observer.replace(builtins, "open", _open_wrapper(builtins.open))
    _volatile_function(observer, builtins, "input", "stdin", "input", INPUTS)


def _patch_io(observer, io):
    observer.replace(io, "open", _open_wrapper(io.open))


def _patch_captured_open(observer, module):
    name = _CAPTURED_OPEN.get(module.__name__)
    real = getattr(module, name, None) if name else None
    if real is not None and not hasattr(real, "__wrapped__"):
        observer.replace(module, name, _open_wrapper(real))


def _listing_function(real):
    def listing(path=".", *args, **kwargs):
        observer = _current()
        if observer is None or isinstance(path, int):
            return real(path, *args, **kwargs)
        try:
            name = os.fsdecode(os.fspath(path)) if path is not None else "."
        except TypeError:
            return real(path, *args, **kwargs)
        try:
            result = real(path, *args, **kwargs)
        except OSError:  # not a directory (glob's ** tries files too): that is the answer
            observer.stat_answer(name, True, "isdir", False, sys._getframe(1))
            raise
        observer.directory_listed(name, sys._getframe(1))
        return result

    listing.__wrapped__ = real
    listing.__name__ = real.__name__
    listing.__doc__ = real.__doc__
    return listing


def _patch_glob(observer, glob):
    globber = getattr(glob, "_StringGlobber", None)  # Python 3.13 keeps its own os.scandir
    if globber is not None and "scandir" in globber.__dict__:
        observer.replace(globber, "scandir", staticmethod(sys.modules["os"].scandir))


def _patch_subprocess(observer, subprocess):
    popen = subprocess.Popen
    real_init = popen.__dict__["__init__"]

    def __init__(self, *args, **kwargs):
        observer_ = _current()
        if observer_ is not None:
            observer_.volatile_source("process", "subprocess.Popen", sys._getframe(1))
        real_init(self, *args, **kwargs)

    observer.replace(popen, "__init__", __init__)


def _patch_socket(observer, socket):
    for name in ("connect", "connect_ex", "sendto", "sendmsg"):
        real = getattr(socket.socket, name, None)
        if real is None:
            continue

        def method(self, *args, _real=real, _name=name, **kwargs):
            observer_ = _current()
            if observer_ is not None:
                observer_.volatile_source("network", f"socket.{_name}", sys._getframe(1))
            return _real(self, *args, **kwargs)

        observer.replace(socket.socket, name, method)
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        _volatile_function(observer, socket, name, "network", f"socket.{name}", INPUTS)
    _volatile_function(observer, socket, "gethostname", "identity", "socket.gethostname", INPUTS)


def _stat_function(real, follow_default):
    def stat(path, *args, **kwargs):
        observer = _current()
        if observer is None or kwargs.get("dir_fd") is not None:
            return real(path, *args, **kwargs)
        from jug.compiler.freshness import stat_answer

        follow = kwargs.get("follow_symlinks", follow_default)
        try:
            result = real(path, *args, **kwargs)
        except OSError:
            observer.stat_answer(path, follow, "stat", None, sys._getframe(1))
            raise
        observer.stat_answer(path, follow, "stat", stat_answer(result), sys._getframe(1))
        return result

    stat.__wrapped__ = real
    return stat


def _predicate(real, aspect, follow=True, method=False):
    """Wrap ``os.path.exists``-like ``real`` (a method when ``method``): the
    answer it gives is recorded as ``aspect``; calls inside it are not."""
    def observed(path, *args, **kwargs):
        observer = _current()
        if observer is None:
            return real(path, *args, **kwargs)
        follows = kwargs.get("follow_symlinks", follow)
        observer.inside += 1
        try:
            answer = real(path, *args, **kwargs)
        except OSError:
            observer.inside -= 1
            observer.stat_answer(path, follows, aspect, None, sys._getframe(1))
            raise
        except BaseException:
            observer.inside -= 1
            raise
        observer.inside -= 1
        if aspect == "stat":
            from jug.compiler.freshness import stat_answer

            recorded = stat_answer(answer)
        else:
            recorded = answer
        observer.stat_answer(path, follows, aspect, recorded, sys._getframe(1))
        return answer

    observed.__wrapped__ = real
    observed.__name__ = getattr(real, "__name__", aspect)
    observed.__qualname__ = getattr(real, "__qualname__", aspect)
    observed.__doc__ = getattr(real, "__doc__", None)
    return observed


def _patch_os(observer, os_module):
    observer.replace(os_module, "stat", _stat_function(os_module.stat, True))
    observer.replace(os_module, "lstat", _stat_function(os_module.lstat, False))
    real_access = os_module.access

    def access(path, mode, *args, **kwargs):
        observer_ = _current()
        answer = real_access(path, mode, *args, **kwargs)
        if observer_ is not None and not args and not kwargs:
            observer_.stat_answer(path, True, f"access{int(mode)}", answer, sys._getframe(1))
        return answer

    observer.replace(os_module, "access", access)
    real_open = os_module.open

    def os_open(path, flags, *args, **kwargs):
        observer_ = _current()
        if observer_ is not None and kwargs.get("dir_fd") is None:
            _opened(observer_, path, not flags & _WRITING, sys._getframe(1))
        return real_open(path, flags, *args, **kwargs)

    observer.replace(os_module, "open", os_open)
    for name in ("listdir", "scandir"):
        observer.replace(os_module, name, _listing_function(getattr(os_module, name)))
    for name in dir(os_module):
        if name == "system" or name.startswith(("exec", "spawn", "posix_spawn")):
            if callable(getattr(os_module, name)):
                _volatile_function(observer, os_module, name, "process", f"os.{name}", INPUTS)
    _patch_environ(observer, os_module)
    _volatile_function(observer, os_module, "urandom", "random", "os.urandom", RANDOM)
    _volatile_function(observer, os_module, "getpid", "identity", "os.getpid", CLOCK)


def _patch_os_path(observer, posixpath):
    for name, aspect, follow in (("exists", "exists", True), ("lexists", "exists", False),
                                 ("isfile", "isfile", True), ("isdir", "isdir", True),
                                 ("islink", "islink", False), ("getsize", "size", True),
                                 ("getmtime", "mtime", True), ("getatime", "atime", True),
                                 ("getctime", "ctime", True)):
        observer.replace(posixpath, name, _predicate(getattr(posixpath, name), aspect, follow))


def _patch_pathlib(observer, pathlib):
    accessor = getattr(pathlib, "_NormalAccessor", None)  # Python 3.10 kept its own references
    if accessor is not None:
        for name in ("stat", "lstat", "open", "listdir", "scandir"):
            function = accessor.__dict__.get(name)
            if function is not None:
                replacement = getattr(sys.modules["os"], name) if name != "open" else \
                    _open_wrapper(function)
                observer.replace(accessor, name, staticmethod(replacement))
    path = pathlib.Path
    for name, aspect, follow in (("exists", "exists", True), ("is_file", "isfile", True),
                                 ("is_dir", "isdir", True), ("is_symlink", "islink", False),
                                 ("stat", "stat", True), ("lstat", "stat", False)):
        if name in path.__dict__:
            observer.replace(path, name, _predicate(path.__dict__[name], aspect, follow))


def _patch_environ(observer, os_module):
    environ_type = type(os_module.environ)
    real_getitem = environ_type.__getitem__
    real_setitem = environ_type.__setitem__
    real_delitem = environ_type.__delitem__
    real_iter = environ_type.__iter__

    def name_of(key):
        return key if isinstance(key, str) else os.fsdecode(key)

    def __getitem__(self, key):
        observer_ = _current()
        try:
            value = real_getitem(self, key)
        except KeyError:
            if observer_ is not None:
                observer_.variable_read(name_of(key), None, sys._getframe(1))
            raise
        if observer_ is not None:
            observer_.variable_read(name_of(key), name_of(value), sys._getframe(1))
        return value

    def __setitem__(self, key, value):
        observer_ = _active
        if observer_ is not None and observer_.thread == _get_ident():
            observer_.written.add(name_of(key))
        real_setitem(self, key, value)

    def __delitem__(self, key):
        observer_ = _active
        if observer_ is not None and observer_.thread == _get_ident():
            observer_.written.add(name_of(key))
        real_delitem(self, key)

    def __iter__(self):
        observer_ = _current()
        if observer_ is not None:
            observer_.environment_read(self, sys._getframe(1))
        return real_iter(self)

    for name, function in (("__getitem__", __getitem__), ("__setitem__", __setitem__),
                           ("__delitem__", __delitem__), ("__iter__", __iter__)):
        observer.replace(environ_type, name, function)


def _volatile_function(observer, module, name, kind, source, passes, api=None, when=None):
    """Wrap ``module.name`` so that calling it (when ``when(*args, **kwargs)``
    says so) makes the trace volatile."""
    real = getattr(module, name, None)
    if real is None:
        return None

    def volatile(*args, **kwargs):
        observer_ = _current()
        if observer_ is not None and (when is None or when(*args, **kwargs)):
            observer_.volatile_source(kind, source, sys._getframe(1), passes, api)
        return real(*args, **kwargs)

    volatile.__wrapped__ = real
    volatile.__name__ = getattr(real, "__name__", name)
    volatile.__doc__ = getattr(real, "__doc__", None)
    observer.replace(module, name, volatile)
    return real


def _patch_random(observer, random):
    api = {random.__file__}
    generator = random.Random
    real_seed = generator.__dict__["seed"]
    real_setstate = generator.__dict__["setstate"]

    def unseeded(instance):
        """Draws from ``instance`` make the trace volatile until it is seeded."""
        try:
            attributes = instance.__dict__
        except AttributeError:
            return
        source = "random.{}" if instance is random._inst else "random.Random.{}"
        for name in ("random", "getrandbits"):
            real = getattr(type(instance), name).__get__(instance)

            def draw(*args, _real=real, _name=name, **kwargs):
                observer_ = _current()
                if observer_ is not None:
                    observer_.volatile_source("random", source, sys._getframe(1), RANDOM, api,
                                              _name)
                return _real(*args, **kwargs)

            attributes[name] = draw

    def seeded(instance):
        attributes = getattr(instance, "__dict__", {})
        attributes.pop("random", None)
        attributes.pop("getrandbits", None)

    def seed(self, a=None, version=2):
        real_seed(self, a, version)
        if a is None:
            unseeded(self)
        else:
            seeded(self)

    def setstate(self, state):
        real_setstate(self, state)
        seeded(self)

    observer.replace(generator, "seed", seed)
    observer.replace(generator, "setstate", setstate)
    instance = random._inst
    unseeded(instance)
    observer._undo.append(lambda: seeded(instance))
    for name, function in (("seed", lambda a=None, version=2: seed(instance, a, version)),
                           ("setstate", lambda state: setstate(instance, state)),
                           ("random", lambda: instance.random()),
                           ("getrandbits", lambda k: instance.getrandbits(k))):
        observer.replace(random, name, function)
    system = random.SystemRandom
    for name in ("random", "getrandbits", "randbytes"):
        if name in system.__dict__:
            real = system.__dict__[name]

            def always(self, *args, _real=real, _name=name, **kwargs):
                observer_ = _current()
                if observer_ is not None:
                    observer_.volatile_source("random", "random.SystemRandom.{}",
                                              sys._getframe(1), RANDOM, api, _name)
                return _real(self, *args, **kwargs)

            observer.replace(system, name, always)


_CLOCKS = ("time", "time_ns", "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns",
           "process_time", "process_time_ns", "thread_time", "thread_time_ns")
# functions reading the clock when called without their time argument
_CLOCK_WITHOUT_ARGUMENT = {"localtime": 0, "gmtime": 0, "ctime": 0, "asctime": 0, "strftime": 1}


def _patch_time(observer, time):
    for name in _CLOCKS:
        _volatile_function(observer, time, name, "clock", f"time.{name}", CLOCK)
    for name, position in _CLOCK_WITHOUT_ARGUMENT.items():
        def now_unless_given(*args, _position=position):
            return len(args) <= _position or args[_position] is None

        _volatile_function(observer, time, name, "clock", f"time.{name}", CLOCK,
                           when=now_unless_given)


def _patch_datetime(observer, datetime):
    """``datetime.now``/``utcnow``/``today`` and ``date.today`` live on
    immutable C types: the wrappers go into the types' own dictionaries
    (and back when the trace ends), the type attribute cache cleared each
    time, so that the classes stay what every other module holds."""
    for cls, names in ((datetime.datetime, ("now", "utcnow", "today")),
                       (datetime.date, ("today",))):
        try:
            namespace = gc.get_referents(cls.__dict__)[0]
        except (IndexError, TypeError):
            continue
        if not isinstance(namespace, dict):
            continue
        for name in names:
            original = namespace.get(name)
            if original is None:
                continue
            namespace[name] = classmethod(_clock_method(original, f"datetime.{cls.__name__}.{name}"))

            def undo(namespace=namespace, name=name, original=original):
                namespace[name] = original
                sys._clear_type_cache()

            observer._undo.append(undo)
    sys._clear_type_cache()


def _clock_method(original, source):
    def clock(cls, *args, **kwargs):
        observer = _current()
        if observer is not None:
            observer.volatile_source("clock", source, sys._getframe(1), CLOCK)
        return original.__get__(None, cls)(*args, **kwargs)

    clock.__name__ = source.rsplit(".", 1)[1]
    return clock


def _patch_uuid(observer, uuid):
    api = {uuid.__file__}
    for name in ("uuid1", "uuid4"):
        _volatile_function(observer, uuid, name, "identity", f"uuid.{name}", RANDOM, api)


def _patch_secrets(observer, secrets):
    api = {secrets.__file__}
    for name in ("token_bytes", "token_hex", "token_urlsafe", "randbelow", "randbits", "choice"):
        _volatile_function(observer, secrets, name, "random", f"secrets.{name}", RANDOM, api)


def _patch_numpy(observer, numpy_random):
    """numpy's global generator draws until ``numpy.random.seed(SEED)`` or
    ``set_state``; ``default_rng()`` without a seed."""
    state = getattr(getattr(numpy_random, "mtrand", None), "_rand", None)
    for name in dir(numpy_random):
        function = getattr(numpy_random, name)
        if name.startswith("_") or getattr(function, "__self__", None) is not state or state is None:
            continue
        if name in ("get_state", "set_state", "seed"):
            continue
        _volatile_function(observer, numpy_random, name, "random", f"numpy.random.{name}",
                           RANDOM, when=lambda *a, **k: not observer.numpy_seeded)
    real_seed = getattr(numpy_random, "seed", None)
    real_set_state = getattr(numpy_random, "set_state", None)
    if real_seed is not None:
        def seed(seed=None, *args, **kwargs):
            observer.numpy_seeded = seed is not None
            return real_seed(seed, *args, **kwargs)

        observer.replace(numpy_random, "seed", seed)
    if real_set_state is not None:
        def set_state(*args, **kwargs):
            observer.numpy_seeded = True
            return real_set_state(*args, **kwargs)

        observer.replace(numpy_random, "set_state", set_state)
    _volatile_function(observer, numpy_random, "default_rng", "random",
                       "numpy.random.default_rng()", RANDOM,
                       when=lambda seed=None, *a, **k: seed is None)


class _ObservedStdin:
    """``sys.stdin`` while a trace runs: reading it makes the trace volatile."""

    def __init__(self, stream):
        self._stream = stream

    def _read(self, name):
        observer = _current()
        if observer is not None:
            observer.volatile_source("stdin", f"sys.stdin.{name}", sys._getframe(2))
        return getattr(self._stream, name)

    def read(self, *args):
        return self._read("read")(*args)

    def readline(self, *args):
        return self._read("readline")(*args)

    def readlines(self, *args):
        return self._read("readlines")(*args)

    def __iter__(self):
        return iter(self._read("__iter__")())

    def __next__(self):
        return self._read("__next__")()

    @property
    def buffer(self):
        return self._read("buffer")

    def fileno(self):
        return self._read("fileno")()

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _patch_stdin(observer, sys_module):
    stream = sys_module.stdin
    if stream is None:
        return
    proxy = _ObservedStdin(stream)
    sys_module.stdin = proxy

    def undo():
        if sys_module.stdin is proxy:
            sys_module.stdin = stream

    observer._undo.append(undo)
