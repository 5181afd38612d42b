"""What a task sees: the changes the jugfile's top level made to the process,
recorded by the trace and replayed in every worker.

The original jug imports the jugfile in every worker, so its tasks run in the
process its top level prepared.  A worker running from the manifest does not
run the top level.  Instead:

* :meth:`ProcessSnapshot.capture`, before a trace, takes what a top level can
  change and what we know how to set again: environment variables,
  ``sys.path``, ``sys.argv``, the working directory and the settings of
  :data:`SETTINGS` (recursion limit, warnings filters, decimal context,
  random generators, numpy's error state and print options, umask...), plus
  the state of :data:`WATCHES`, which we cannot set again (the logging
  configuration, signal handlers, standard streams, builtins, locale...).
* :func:`record_changes` compares the process at the end of the trace with
  the snapshot: a :class:`ProcessChanges` (kept in the manifest header) and
  the values of the settings that changed (kept in the payload).  The
  jugfile's module and the user's local modules travel in the payload with
  the state the top level left them in (:func:`module_reduce`,
  :func:`function_reduce`), and are installed in ``sys.modules``.
* A watched change, or a call found by :mod:`jug.compiler.toplevel` that
  configures a library, goes into ``ProcessChanges.top_level``: workers then
  run the jugfile's top level themselves, as the original does.
* :class:`Replay` applies a manifest's changes in a worker and undoes them
  afterwards, so a re-trace at a barrier starts from the process as it was.
"""

import builtins
import contextvars
import dataclasses
import os
import sys
import types

_UNKNOWN = object()  # a value that cannot be known (the module was not imported yet)
_JUG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class _EmptyCell:
    """Stands for an empty closure cell in a payload (pickled by reference)."""

    def __reduce__(self):
        return "_EMPTY_CELL"


_EMPTY_CELL = _EmptyCell()


# -- what the manifest records --------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TopLevelReason:
    """Why workers run the jugfile's top level: ``what`` happened at
    ``path``:``line`` (line 0: seen by comparing the process before and after
    the trace, or asked for)."""

    path: str
    line: int
    what: str

    def text(self):
        return f"{self.path}:{self.line}: {self.what}" if self.line else f"{self.path}: {self.what}"


@dataclasses.dataclass(frozen=True)
class ProcessChanges:
    """What the top level changed in the process, as the manifest header
    keeps it.

    ``environ``: ``(name, value)``, value None when removed; ``path_edits``:
    ``("insert", entry, anchor)`` (insert before ``anchor``, at the end when
    it is None) or ``("remove", entry, None)``, relative to the ``sys.path``
    jug prepares for a jugfile (:func:`prepare_process`);
    ``argv``: the final ``sys.argv`` when the top level changed it;
    ``cwd``: the final working directory (None: unchanged);
    ``settings``: ``(name, description)`` of the settings whose values the
    payload carries; ``modules``: ``(name, path)`` of the modules the payload
    carries with their state; ``not_carried``: ``(module.attribute, why)``
    left out of the payload because they cannot be pickled and no code
    refers to them; ``top_level``: :class:`TopLevelReason` s for running the
    top level in workers instead of replaying."""

    environ: tuple = ()
    path_edits: tuple = ()
    argv: tuple | None = None
    cwd: str | None = None
    settings: tuple = ()
    modules: tuple = ()
    not_carried: tuple = ()
    top_level: tuple = ()

    @property
    def runs_top_level(self):
        return bool(self.top_level)

    def items(self):
        """``(kind, name, text)`` of every replayed change, for people."""
        rows = []
        for name, value in self.environ:
            rows.append(("environment", name, "removed" if value is None else f"set to {value!r}"))
        for op, entry, anchor in self.path_edits:
            where = ("removed" if op == "remove" else
                     f"inserted before {anchor!r}" if anchor is not None else "appended")
            rows.append(("sys.path", entry, where))
        if self.argv is not None:
            rows.append(("sys.argv", "", repr(list(self.argv))))
        if self.cwd is not None:
            rows.append(("working directory", self.cwd, "changed by the top level"))
        rows.extend(("setting", name, text) for name, text in self.settings)
        rows.extend(("module", name, f"{path} (as the top level left it)")
                    for name, path in self.modules)
        return rows

    def to_json(self):
        return {"environ": [list(row) for row in self.environ],
                "path_edits": [list(row) for row in self.path_edits],
                "argv": None if self.argv is None else list(self.argv), "cwd": self.cwd,
                "settings": [list(row) for row in self.settings],
                "modules": [list(row) for row in self.modules],
                "not_carried": [list(row) for row in self.not_carried],
                "top_level": [[r.path, r.line, r.what] for r in self.top_level]}

    @classmethod
    def from_json(cls, data):
        return cls(environ=tuple(tuple(row) for row in data["environ"]),
                   path_edits=tuple(tuple(row) for row in data["path_edits"]),
                   argv=None if data["argv"] is None else tuple(data["argv"]), cwd=data["cwd"],
                   settings=tuple(tuple(row) for row in data["settings"]),
                   modules=tuple(tuple(row) for row in data["modules"]),
                   not_carried=tuple(tuple(row) for row in data["not_carried"]),
                   top_level=tuple(TopLevelReason(*row) for row in data["top_level"]))


# -- settings: a getter and a setter ----------------------------------------------


class Setting:
    """A process-wide setting the top level may change and a worker can set
    again.  It exists once ``module`` is imported; ``baseline()`` is its value
    when the module was first imported during the trace (``_UNKNOWN`` when
    that cannot be known: then the value is recorded if ``deterministic()``
    says it does not come from the operating system's entropy).  When the
    change to carry is not the whole value, ``record(before snapshot)``
    gives it (``_UNKNOWN``: no change) and ``apply(value)`` makes it.

    (A plain class, not a dataclass: a worker imports this module, and
    making a dataclass costs start-up time.)"""

    __slots__ = ("name", "module", "get", "set", "baseline", "deterministic", "record", "apply")

    def __init__(self, name, module, get, set, baseline=None, deterministic=None, record=None,
                 apply=None):
        self.name, self.module, self.get, self.set = name, module, get, set
        self.baseline, self.deterministic = baseline, deterministic
        self.record, self.apply = record, apply

    def available(self):
        return self.module in sys.modules

    def base(self):
        return _UNKNOWN if self.baseline is None else self.baseline()

    def replay(self, value):
        (self.apply or self.set)(value)


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _set_gc(value):
    import gc

    enabled, threshold = value
    (gc.enable if enabled else gc.disable)()
    gc.set_threshold(*threshold)


def _gc_get():
    import gc

    return gc.isenabled(), gc.get_threshold()


def _warnings_get():
    return tuple(sys.modules["warnings"].filters)


def _warnings_set(filters):
    import warnings

    warnings.filters[:] = list(filters)
    warnings._filters_mutated()  # forget what the warning registries cached


# Filters are attributed to whoever added them: numpy's import adds its own,
# which a worker's import of numpy adds again; those of the jugfile and its
# modules are what the top level changed.  ``warnings._add_filter`` (behind
# filterwarnings and simplefilter) is wrapped once, and records while a
# snapshot is being taken for a trace.
_recording = None
_filters_wrapped = False


def _user_frame(frame):
    filename = frame.f_code.co_filename if frame is not None else ""
    if filename.startswith("<") or filename.startswith(_JUG_DIR):
        return False
    from jug.compiler.freshness import is_system_path

    return not is_system_path(filename)


def _wrap_add_filter():
    global _filters_wrapped
    import warnings

    original = getattr(warnings, "_add_filter", None)
    if _filters_wrapped or original is None:
        return
    _filters_wrapped = True

    def add_filter(*item, append):
        snapshot = _recording
        if snapshot is not None and _user_frame(sys._getframe(2)):
            snapshot.user_filters.append((item, append))
        return original(*item, append=append)

    warnings._add_filter = add_filter


def _warnings_record(before):
    """The filters the jugfile and its modules added that are still there."""
    filters = sys.modules["warnings"].filters
    kept = [(item, append) for item, append in before.user_filters if item in filters]
    return tuple(kept) if kept else _UNKNOWN


def _warnings_apply(added):
    import warnings

    for item, append in added:
        warnings._add_filter(*item, append=append)


_DECIMAL_FIELDS = ("prec", "rounding", "Emin", "Emax", "capitals", "clamp")


def _decimal_fields(context):
    traps = tuple(sorted(signal.__name__ for signal, on in context.traps.items() if on))
    return tuple(getattr(context, field) for field in _DECIMAL_FIELDS) + (traps,)


def _decimal_get():
    return _decimal_fields(sys.modules["decimal"].getcontext())


def _decimal_set(value):
    import decimal

    context = decimal.getcontext()
    for field, item in zip(_DECIMAL_FIELDS, value):
        setattr(context, field, item)
    enabled = set(value[-1])
    for signal in list(context.traps):
        context.traps[signal] = signal.__name__ in enabled


def _random_get():
    return sys.modules["random"].getstate()


def _random_set(state):
    import random

    random.setstate(state)


def _numpy():
    return sys.modules["numpy"]


def _numpy_baseline(getter):
    """numpy's default for ``getter``: numpy 2 keeps its error state and print
    options in context variables, whose value in an empty context is the
    default; numpy 1 keeps them in globals (unknown, then)."""
    def baseline():
        if int(_numpy().__version__.split(".")[0]) < 2:
            return _UNKNOWN
        return contextvars.Context().run(getter)
    return baseline


def _np_geterr():
    return tuple(sorted(_numpy().geterr().items()))


def _np_seterr(value):
    _numpy().seterr(**dict(value))


def _np_printoptions():
    return tuple(sorted(_numpy().get_printoptions().items()))


def _np_set_printoptions(value):
    _numpy().set_printoptions(**dict(value))


def _np_random_get():
    name, keys, position, has_gauss, gauss = sys.modules["numpy.random"].get_state()
    return (name, keys.tobytes(), str(keys.dtype), int(position), int(has_gauss), float(gauss))


def _np_random_set(value):
    import numpy

    name, keys, dtype, position, has_gauss, gauss = value
    numpy.random.set_state((name, numpy.frombuffer(keys, dtype=dtype).copy(), position,
                            has_gauss, gauss))


def _np_random_seeded():
    """Was numpy's global generator seeded by a call (``np.random.seed(n)``),
    rather than from the operating system's entropy at import?"""
    generator = getattr(sys.modules["numpy.random"], "mtrand", None)
    bit_generator = getattr(getattr(generator, "_rand", None), "_bit_generator", None)
    return bit_generator is not None and getattr(bit_generator, "seed_seq", True) is None


def _time_tzname():
    import time

    return tuple(time.tzname)


def _time_tzset(_tzname):
    import time

    time.tzset()  # after the environment (TZ) was replayed


def _sys_setting(getter, setter):
    return getattr(sys, getter), getattr(sys, setter)


#: Every setting replayed, in the order a worker sets them (the random
#: generators last: nothing may draw from them after).
SETTINGS = tuple(setting for setting in (
    Setting("sys.setrecursionlimit", "sys", *_sys_setting("getrecursionlimit", "setrecursionlimit")),
    Setting("sys.set_int_max_str_digits", "sys",
            *_sys_setting("get_int_max_str_digits", "set_int_max_str_digits"))
    if hasattr(sys, "set_int_max_str_digits") else None,
    Setting("sys.setswitchinterval", "sys", *_sys_setting("getswitchinterval", "setswitchinterval")),
    Setting("os.umask", "os", _umask, os.umask),
    Setting("gc (enabled, thresholds)", "sys", _gc_get, _set_gc),
    Setting("time.tzset", "sys", _time_tzname, _time_tzset),
    Setting("warnings filters", "warnings", _warnings_get, _warnings_set,
            record=_warnings_record, apply=_warnings_apply),
    Setting("decimal context", "decimal", _decimal_get, _decimal_set,
            baseline=lambda: _decimal_fields(sys.modules["decimal"].Context())),
    Setting("socket.setdefaulttimeout", "socket", lambda: sys.modules["socket"].getdefaulttimeout(),
            lambda value: sys.modules["socket"].setdefaulttimeout(value), baseline=lambda: None),
    Setting("csv.field_size_limit", "csv", lambda: sys.modules["csv"].field_size_limit(),
            lambda value: sys.modules["csv"].field_size_limit(value), baseline=lambda: 131072),
    Setting("numpy.seterr", "numpy", _np_geterr, _np_seterr, baseline=_numpy_baseline(_np_geterr)),
    Setting("numpy.seterrcall", "numpy", lambda: _numpy().geterrcall(),
            lambda value: _numpy().seterrcall(value), baseline=lambda: None),
    Setting("numpy.setbufsize", "numpy", lambda: _numpy().getbufsize(),
            lambda value: _numpy().setbufsize(value), baseline=lambda: 8192),
    Setting("numpy.set_printoptions", "numpy", _np_printoptions, _np_set_printoptions,
            baseline=_numpy_baseline(_np_printoptions)),
    Setting("random (global generator state)", "random", _random_get, _random_set),
    Setting("numpy.random (global generator state)", "numpy.random", _np_random_get,
            _np_random_set, deterministic=_np_random_seeded),
) if setting is not None)
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


def _describe(setting, value, base):
    if setting.name.startswith(("random", "numpy.random")):
        return "the state the top level left (seeded or drawn from)"
    if setting.name == "warnings filters":
        return ", ".join(f"{action} {getattr(category, '__name__', category)}"
                         + (f" ({message.pattern!r})" if message is not None else "")
                         for (action, message, category, _, _), _ in value)
    if setting.name == "decimal context":
        names = _DECIMAL_FIELDS + ("traps",)
        if base is _UNKNOWN:
            return ", ".join(f"{n}={v!r}" for n, v in zip(names, value))
        return ", ".join(f"{n}={v!r}" for n, v, b in zip(names, value, base) if v != b)
    if isinstance(value, tuple) and value and all(isinstance(i, tuple) and len(i) == 2 for i in value):
        pairs = value if base is _UNKNOWN else [p for p in value if p not in base]
        return ", ".join(f"{k}={v!r}" for k, v in pairs)
    if setting.name == "os.umask":
        return oct(value)
    if setting.name == "time.tzset":
        return f"time zone {value[0]}"
    return repr(value)


# -- watched: changes nothing can replay ---------------------------------------------


class Watch:
    """Process state a top level may change that a worker cannot set again;
    ``baseline()`` is its value when ``module`` was first imported during the
    trace (None: not knowable, then a change is not seen)."""

    __slots__ = ("what", "module", "get", "baseline")

    def __init__(self, what, module, get, baseline=None):
        self.what, self.module, self.get, self.baseline = what, module, get, baseline


def _logging_state():
    logging = sys.modules["logging"]
    root = logging.getLogger()
    return tuple(map(id, root.handlers)), root.level, root.manager.disable


def _signal_handlers():
    import _signal

    handlers = []
    for number in sorted(_signal.valid_signals()):
        try:
            handlers.append((number, id(_signal.getsignal(number))))
        except (OSError, ValueError):
            pass
    return tuple(handlers)


def _streams_and_hooks():
    return tuple(id(getattr(sys, name, None)) for name in (
        "stdin", "stdout", "stderr", "excepthook", "displayhook", "breakpointhook",
        "unraisablehook")) + (id(sys.gettrace()), id(sys.getprofile()))


def _builtins_state():
    return tuple(sorted((name, id(value)) for name, value in vars(builtins).items()))


def _locale_state():
    import _locale

    categories = [getattr(_locale, name) for name in (
        "LC_CTYPE", "LC_COLLATE", "LC_TIME", "LC_MONETARY", "LC_NUMERIC", "LC_MESSAGES")
        if hasattr(_locale, name)]
    return tuple(_locale.setlocale(category) for category in categories)


def _resource_limits():
    resource = sys.modules["resource"]
    return tuple(resource.getrlimit(getattr(resource, name)) for name in sorted(dir(resource))
                 if name.startswith("RLIMIT_"))


def _priority():
    return os.nice(0) if hasattr(os, "nice") else 0


WATCHES = (
    Watch("the logging configuration (handlers, level or disable() of the root logger)",
          "logging", _logging_state, baseline=lambda: ((), 30, 0)),
    Watch("signal handlers", None, _signal_handlers),
    Watch("the standard streams, sys hooks or the trace/profile function", None,
          _streams_and_hooks),
    Watch("the builtins", None, _builtins_state),
    Watch("the locale", None, _locale_state),
    Watch("resource limits", "resource", _resource_limits),
    Watch("the process priority (os.nice)", None, _priority),
)


# -- before and after a trace -------------------------------------------------------


class ProcessSnapshot:
    """The replayable (and watched) state of this process at one moment."""

    def __init__(self, environ, path, argv, cwd, settings, watches, user_filters=None):
        self.environ = environ
        self.path = path
        self.argv = argv
        self.cwd = cwd
        self.settings = settings  # name -> value, for the settings available then
        self.watches = watches  # what -> value
        # warnings filters added by the user's code since (while recording)
        self.user_filters = [] if user_filters is None else user_filters

    @classmethod
    def capture(cls, watches=True):
        """The process now; ``watches`` (before a trace) also takes what is
        watched, imports the modules whose state before the trace must be
        known, and starts attributing warnings filters to the user's code."""
        if watches:
            import random  # noqa: F401
            import warnings  # noqa: F401

            try:
                import resource  # noqa: F401
            except ImportError:  # not on Windows
                pass

        snapshot = cls(dict(os.environ), list(sys.path), list(sys.argv), os.getcwd(),
                       {s.name: s.get() for s in SETTINGS if s.available()},
                       {w.what: w.get() for w in WATCHES
                        if w.module is None or w.module in sys.modules} if watches else {})
        if watches:  # before a trace: attribute the warnings filters added from now on
            global _recording
            _wrap_add_filter()
            _recording = snapshot
        return snapshot

    def prepared(self, path, argv):
        """This snapshot with ``sys.path`` and ``sys.argv`` as jug set them
        for the top level (the baseline the top level's changes are
        recorded against)."""
        return ProcessSnapshot(self.environ, list(path), list(argv), self.cwd, self.settings,
                               self.watches, self.user_filters)

    def restore(self):
        """Set everything replayable back to the snapshot."""
        _set_environ(self.environ)
        sys.path[:] = self.path
        sys.argv[:] = self.argv
        if os.getcwd() != self.cwd:
            os.chdir(self.cwd)
        for name, value in self.settings.items():
            setting = SETTINGS_BY_NAME[name]
            if setting.get() != value:
                setting.set(value)


def _set_environ(environ):
    for name in [name for name in os.environ if name not in environ]:
        del os.environ[name]
    for name, value in environ.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


def record_changes(before, jugfile):
    """``(ProcessChanges, setting values)``: what the process now differs in
    from ``before`` (a snapshot taken before tracing ``jugfile``).  The
    settings' values go in the payload, in :data:`SETTINGS` order."""
    environ = []
    for name in sorted(set(before.environ) | set(os.environ)):
        value = os.environ.get(name)
        if before.environ.get(name) != value:
            environ.append((name, value))
    argv = tuple(sys.argv) if list(sys.argv) != before.argv else None
    cwd = os.getcwd()
    global _recording
    if _recording is before or (_recording is not None and
                                _recording.user_filters is before.user_filters):
        _recording = None
    values, described = [], []
    for setting in SETTINGS:
        if not setting.available():
            continue
        base = before.settings.get(setting.name, _UNKNOWN)
        if base is _UNKNOWN:
            base = setting.base()
        if setting.record is not None:
            value = setting.record(before)
            changed = value is not _UNKNOWN
        else:
            value = setting.get()
            # a generator seeded from the system's entropy is not recorded: its
            # state would make every trace's payload different
            deterministic = setting.deterministic is None or setting.deterministic()
            changed = deterministic and (base is _UNKNOWN or value != base)
        if changed:
            values.append((setting.name, value))
            described.append((setting.name, _describe(setting, value, base)))
    changes = ProcessChanges(
        environ=tuple(environ), path_edits=path_edits(before.path, sys.path), argv=argv,
        cwd=cwd if cwd != before.cwd else None, settings=tuple(described),
        top_level=_watched_changes(before, jugfile))
    return changes, tuple(values)


def _watched_changes(before, jugfile):
    reasons = []
    for watch in WATCHES:
        if watch.module is not None and watch.module not in sys.modules:
            continue
        old = before.watches.get(watch.what, _UNKNOWN)
        if old is _UNKNOWN:
            old = watch.baseline() if watch.baseline is not None else _UNKNOWN
        if old is not _UNKNOWN and watch.get() != old:
            reasons.append(TopLevelReason(jugfile, 0, f"the top level changed {watch.what}, "
                                                      "which cannot be replayed"))
    return tuple(reasons)


def path_edits(before, after):
    """The edits that turn list ``before`` into ``after``, anchored on the
    entries they precede (so they apply to a similar list in another process)."""
    import difflib

    edits = []
    opcodes = difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
    for op, i1, i2, j1, j2 in opcodes:
        if op in ("delete", "replace"):
            edits.extend(("remove", entry, None) for entry in before[i1:i2])
        if op in ("insert", "replace"):
            anchor = before[i2] if i2 < len(before) else None
            edits.extend(("insert", entry, anchor) for entry in after[j1:j2])
    return tuple(edits)


def apply_path_edits(path, edits):
    for op, entry, anchor in edits:
        if op == "remove":
            if entry in path:
                path.remove(entry)
        elif anchor is not None and anchor in path:
            path.insert(path.index(anchor), entry)
        else:
            path.append(entry)


# -- in a worker -------------------------------------------------------------------


def prepare_process(jugfile, argv):
    """What jug does to the process before the jugfile's top level runs, and
    a worker before it runs tasks from the manifest: the current directory
    and the jugfile's directory on ``sys.path``, ``sys.argv`` as given."""
    directory = os.path.dirname(os.path.abspath(jugfile))
    for path in (os.getcwd(), directory):
        if path not in sys.path:
            sys.path.insert(0, path)
    sys.argv = list(argv)



class Replay:
    """Re-creates in this process what the top level of a manifest's jugfile
    did (:meth:`apply_process` before the payload is decoded, since imports
    may depend on the environment and ``sys.path``; :meth:`apply_settings`
    after), and undoes it with :meth:`restore`."""

    def __init__(self, changes, jugfile, argv):
        self.changes = changes
        self.jugfile = jugfile
        self.argv = list(argv)
        self.saved = None
        self.saved_settings = []

    def apply_process(self):
        self.saved = ProcessSnapshot.capture(watches=False)
        prepare_process(self.jugfile, self.argv)  # as before the top level, then what it did
        changes = self.changes
        for name, value in changes.environ:
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        apply_path_edits(sys.path, changes.path_edits)
        if changes.argv is not None:
            sys.argv[:] = list(changes.argv)
        if changes.cwd is not None:
            os.chdir(changes.cwd)

    def apply_settings(self, values):
        for name, value in values:
            setting = SETTINGS_BY_NAME[name]
            __import__(setting.module)
            self.saved_settings.append((setting, setting.get()))
            setting.replay(value)

    def restore(self):
        for setting, value in reversed(self.saved_settings):
            setting.set(value)
        self.saved_settings = []
        if self.saved is not None:
            self.saved.restore()
            self.saved = None


# -- carrying modules in the payload --------------------------------------------------

# A module's own bookkeeping that is made again rather than carried.
_MODULE_SKIP = frozenset({"__builtins__", "__loader__", "__spec__", "__cached__"})


def carried_namespace(module, dropped=()):
    """What the payload keeps of ``module``'s namespace (a module rebuilt from
    an earlier payload, traced again at a barrier, has its lazy attributes
    decoded first)."""
    lazy = vars(module).get("__getattr__")
    if isinstance(lazy, LazyAttributes):
        lazy.load()
    return {name: value for name, value in vars(module).items()
            if name not in _MODULE_SKIP and name not in dropped
            and not isinstance(value, LazyAttributes)}


def new_module(name, file, search_locations):
    """A module being rebuilt from the payload, installed in ``sys.modules``
    at once (its namespace is filled by :func:`fill_module`)."""
    module = types.ModuleType(name)
    module.__builtins__ = builtins
    if file is not None:
        import importlib.util

        spec = importlib.util.spec_from_file_location(
            name, file, submodule_search_locations=search_locations)
        if spec is not None:
            module.__spec__, module.__loader__ = spec, spec.loader
    sys.modules[name] = module
    return module


def fill_module(module, state):
    namespace, lazy = state
    vars(module).update(namespace)
    if lazy is not None:
        module.__getattr__ = LazyAttributes(module.__name__, lazy)


def module_reduce(module, dropped=(), lazy=None):
    """How a carried module pickles: rebuilt by :func:`new_module` and
    filled with its namespace (state, so functions in it that refer back to
    the module find it already made).  ``lazy``: ``(names, blob name or bytes)`` of the
    attributes decoded on first access instead (:class:`LazyAttributes`)."""
    search = getattr(module, "__path__", None)
    names, data = lazy if lazy is not None else ((), None)
    return (new_module, (module.__name__, getattr(module, "__file__", None),
                         list(search) if search is not None else None),
            (carried_namespace(module, (*dropped, *names)), data), None, None, fill_module)


class LazyAttributes:
    """The ``__getattr__`` of a carried module whose data no code names
    (``squares = [square(i) for i in ...]``, see :func:`lazy_candidates`):
    they are decoded, all together, the first time one is read.  ``data``
    is their pickle, or the name of the payload's ``lazy-`` blob holding it
    (read from the store then); :meth:`attach` gives the payload's table of
    task stubs, unpickler and store (after decoding)."""

    def __init__(self, module_name, data):
        self.module_name = module_name
        self.data = data
        self.stubs = None
        self.loads = None
        self.store = None
        self.values = None

    def attach(self, stubs, loads=None, store=None):
        self.stubs, self.loads, self.store = stubs, loads, store

    def __call__(self, name):
        try:
            return self.load()[name]
        except KeyError:
            raise AttributeError(f"module {self.module_name!r} has no attribute {name!r}") from None

    def load(self):
        """Decode the attributes (once) and put them in the module."""
        if self.values is None:
            data = self.data
            if isinstance(data, str):
                from jug.compiler.manifest import read_named_blob

                data = read_named_blob(self.store, data)
            if self.loads is not None:
                self.values = self.loads(data)
            else:
                import io
                import pickle

                stubs = self.stubs

                class Unpickler(pickle.Unpickler):
                    def find_class(self, module, attribute):
                        if module == "jug.compiler.manifest" and attribute == "_task_reference":
                            return stubs.__getitem__
                        if module == "jug.compiler.manifest" and attribute == "_task_list_value":
                            from jug.compiler.manifest import _PendingTasks

                            return lambda kind, indices: _PendingTasks(kind, indices).resolve(stubs)
                        return super().find_class(module, attribute)

                self.values = Unpickler(io.BytesIO(data)).load()
            module = sys.modules.get(self.module_name)
            if module is not None:
                for key, value in self.values.items():
                    vars(module).setdefault(key, value)
        return self.values


def lazy_candidates(module, used, argument_ids):
    """The attributes of ``module`` decoded lazily: data (not code, not
    modules) that no code names and that is not itself a task's argument
    (an argument costs nothing more: the payload has it anyway).  Decoding
    them at every worker start would cost the stubs of the tasks they hold
    and the objects they are made of, for nothing unless something reads
    them (``getattr(jugfile, name)``)."""
    if "__getattr__" in vars(module):
        return {}
    namespace = vars(module)
    eager_ids = {id(value) for name, value in namespace.items() if name in used}
    return {name: value for name, value in namespace.items()
            if not name.startswith("__") and name not in used and not callable(value)
            and not isinstance(value, types.ModuleType)
            and id(value) not in argument_ids and id(value) not in eager_ids}


def carried_attribute(module_name, qualname):
    """``module_name.qualname`` of a rebuilt module (lazy attributes refer
    to the modules' code by name)."""
    obj = sys.modules[module_name]
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def by_name(obj, carried_names):
    """How lazy data refers to a function or class of a carried module, or
    None when it cannot (a closure, a class made in a function)."""
    module_name = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", "")
    if module_name not in carried_names or "<locals>" in qualname:
        return None
    try:
        if carried_attribute(module_name, qualname) is obj:
            return carried_attribute, (module_name, qualname)
    except (AttributeError, KeyError):
        pass
    return None


def new_function(code, module, name, argument_defaults, cell_count):
    """A function of a carried module, with the module's namespace as its
    globals (as it had in the trace), and empty cells filled by
    :func:`fill_function`."""
    cells = tuple(types.CellType() for _ in range(cell_count))
    return types.FunctionType(code, vars(module), name, argument_defaults, cells or None)


def fill_function(function, state):
    cells, attributes = state
    for cell, value in zip(function.__closure__ or (), cells):
        if value is not _EMPTY_CELL:
            cell.cell_contents = value
    for name, value in attributes.items():
        setattr(function, name, value)


def function_reduce(function, module):
    """How a function whose globals are carried ``module``'s namespace
    pickles (cloudpickle would give it a copy of the globals it names)."""
    cells = []
    for cell in function.__closure__ or ():
        try:
            cells.append(cell.cell_contents)
        except ValueError:
            cells.append(_EMPTY_CELL)
    attributes = {"__qualname__": function.__qualname__, "__module__": function.__module__,
                  "__doc__": function.__doc__, "__kwdefaults__": function.__kwdefaults__,
                  "__annotations__": function.__annotations__, "__dict__": function.__dict__}
    return (new_function, (function.__code__, module, function.__name__, function.__defaults__,
                           len(cells)),
            (cells, attributes), None, None, fill_function)


def by_name_reduce(obj, carried_by_globals):
    """How an object of a carried module that pickle would save *by name*
    pickles (a by-name reference into a module the payload rebuilds cannot
    be resolved while it is rebuilt): an ``lru_cache`` wrapper is made again
    around its function (with an empty cache); anything else is refused, so
    that the attribute is left out or the top level runs.  None: not a
    by-name object."""
    import functools
    import pickle

    if isinstance(obj, functools._lru_cache_wrapper):
        wrapped = obj.__wrapped__
        if isinstance(wrapped, types.FunctionType) and id(wrapped.__globals__) in carried_by_globals:
            parameters = obj.cache_parameters()
            return rebuild_lru_cache, (wrapped, parameters["maxsize"], parameters["typed"])
    try:
        reduced = obj.__reduce_ex__(5)
    except Exception:  # noqa: BLE001 - pickling it will say why
        return None
    if isinstance(reduced, str):
        raise pickle.PicklingError(f"{obj.__module__}.{reduced} is pickled by name, and the "
                                   "payload rebuilds its module")
    return None


def rebuild_lru_cache(function, maxsize, typed):
    import functools

    return functools.lru_cache(maxsize=maxsize, typed=typed)(function)


def referenced_names(functions):
    """Every name the code of ``functions`` (and the functions nested in them)
    looks up: a conservative answer to "does any code use this global?"."""
    names = set()
    stack = [f.__code__ for f in functions if isinstance(f, types.FunctionType)]
    seen = set()
    while stack:
        code = stack.pop()
        if id(code) in seen:
            continue
        seen.add(id(code))
        names.update(code.co_names)
        stack.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
    return names
