"""Which top-level calls a worker cannot replay: the compile-time decision
to run the jugfile's top level in workers.

:mod:`jug.compiler.replay` replays what the top level changed and has a
getter and a setter for (environment, ``sys.path``, working directory,
local modules, interpreter and standard-library settings).  A call into a
library that configures the library or the process (``matplotlib.use``,
``logging.basicConfig``, ``pandas.set_option``, ``locale.setlocale``...)
leaves state behind that nothing records; a worker must then run the top
level itself, as the original jug does.

:func:`unreplayable_calls` finds those calls with the lint's analysis
(:mod:`jug.compiler.lint.analysis`: qualified names, followed into local
modules and the functions the top level calls, only what runs while the
jugfile is imported), and classifies every callee with :func:`classify`:

* the lint's list of configuration calls and assignments (JUG204,
  ``PROCESS_CONFIGURATION_CALLS`` / ``..._ATTRIBUTES``, one owner) and
  :data:`CONFIGURING` below: the top level runs in workers;
* :data:`REPLAYED`: the change is observed and replayed;
* the jugfile, the user's modules, jug, the standard library (except the
  above), and the packages of :data:`KNOWN_PACKAGES` (computation and file
  reading, whose configuration calls are in the lists above): nothing to do;
* a class (constructing an object configures nothing; an object the tasks
  use travels in the payload, or its pickling fails loudly);
* anything else, a function of another package, is *unknown* and leans
  towards running the top level.

Method calls on values (``frame.groupby(...)``) are not classified: their
receiver's type is not known statically.

The analysis costs about 0.1 s (importing it); it runs only when the files
import something that could configure (:func:`_worth_analysing`).
"""

import ast
import dataclasses
import os
import sys

#: Standard-library calls that configure the process and that nothing
#: replays (besides the lint's list): workers run the top level.
CONFIGURING = (
    "os.putenv", "os.unsetenv", "os.setpgid", "os.setpgrp", "os.setsid", "os.setuid",
    "os.setgid", "os.seteuid", "os.setegid", "os.setreuid", "os.setregid", "os.setresuid",
    "os.setresgid", "os.setgroups", "os.initgroups", "os.setpriority", "os.sched_setaffinity",
    "os.sched_setscheduler", "os.chroot", "os.register_at_fork", "sys.settrace",
    "sys.setprofile", "sys.addaudithook", "sys.setdlopenflags", "sys.set_asyncgen_hooks",
    "sys.stdout.reconfigure", "sys.stderr.reconfigure", "sys.stdin.reconfigure",
    "threading.settrace", "threading.setprofile", "threading.stack_size",
    "multiprocessing.set_start_method", "multiprocessing.set_executable",
    "multiprocessing.set_forkserver_preload", "asyncio.set_event_loop_policy",
    "asyncio.set_event_loop", "copyreg.pickle", "codecs.register", "codecs.register_error",
    "mimetypes.add_type", "mimetypes.init", "gettext.install", "gettext.textdomain",
    "gettext.bindtextdomain", "shutil.register_archive_format", "shutil.register_unpack_format",
    "sqlite3.register_adapter", "sqlite3.register_converter", "urllib.request.install_opener",
    "signal.pthread_sigmask", "signal.siginterrupt", "signal.set_wakeup_fd",
    "faulthandler.register", "faulthandler.dump_traceback_later", "tracemalloc.start",
    "logging.addLevelName", "logging.setLogRecordFactory", "logging.getLogger.setLevel",
    "logging.getLogger.addHandler", "logging.Logger.setLevel", "logging.Logger.addHandler",
    "ctypes", "numpy.set_string_function", "numpy.seterrobj", "builtins.exec", "builtins.eval",
)

#: Calls whose effect :mod:`jug.compiler.replay` observes and replays.
REPLAYED = (
    "os.environ", "os.chdir", "os.fchdir", "os.umask", "sys.path", "sys.argv",
    "sys.setrecursionlimit", "sys.set_int_max_str_digits", "sys.setswitchinterval",
    "warnings.simplefilter", "warnings.filterwarnings", "warnings.resetwarnings",
    "decimal.getcontext", "decimal.setcontext", "random.seed", "random.setstate",
    "gc.enable", "gc.disable", "gc.set_threshold", "time.tzset", "socket.setdefaulttimeout",
    "csv.field_size_limit", "numpy.seterr", "numpy.seterrcall", "numpy.setbufsize",
    "numpy.set_printoptions", "numpy.random.seed", "numpy.random.set_state",
)

#: Packages whose functions compute or read files and leave no configuration
#: behind; their configuration calls are listed above or in the lint's list.
KNOWN_PACKAGES = frozenset({
    "numpy", "scipy", "pandas", "polars", "pyarrow", "xarray", "h5py", "zarr", "netCDF4",
    "tables", "skimage", "sklearn", "PIL", "imageio", "tifffile", "networkx", "sympy",
    "statsmodels", "Bio", "yaml", "toml", "tomli", "tomlkit", "dateutil", "pytz",
    "more_itertools", "toolz", "cytoolz", "attr", "attrs", "tqdm", "cv2",
})

#: Assignments to these are replayed (``os.environ["X"] = ...``).
REPLAYED_STORES = ("os.environ", "sys.path", "sys.argv", "decimal.getcontext")


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What a call at the top level means for workers: ``kind`` is
    "configures", "unknown", "replayed" or "safe"."""

    kind: str
    reason: str = ""

    @property
    def runs_top_level(self):
        return self.kind in ("configures", "unknown")


def _matches(name, known):
    return next((c for c in known if name == c or name.startswith(c + ".")), None)


def _lint_lists():
    from jug.compiler.lint.rules.process_configuration import (
        PROCESS_CONFIGURATION_ATTRIBUTES, PROCESS_CONFIGURATION_CALLS)

    return PROCESS_CONFIGURATION_CALLS, PROCESS_CONFIGURATION_ATTRIBUTES


def classify(name, local_roots):
    """The :class:`Verdict` for a call to ``name`` (a qualified name such as
    ``matplotlib.use``) made while the jugfile is imported."""
    calls, _ = _lint_lists()
    root = name.split(".")[0]
    if root in local_roots or root == "jug":
        return Verdict("safe")
    if _matches(name, calls) or _matches(name, CONFIGURING):
        return Verdict("configures", f"calls {name}(), which configures the process or a "
                                     "library in a way workers cannot replay")
    if _matches(name, REPLAYED):
        return Verdict("replayed")
    if root in sys.stdlib_module_names or root == "builtins" or root in KNOWN_PACKAGES:
        return Verdict("safe")
    if isinstance(_resolve(name), type):
        return Verdict("safe")
    return Verdict("unknown", f"calls {name}(), a function of another package that may "
                              "configure it (jug does not know it)")


def classify_store(name, local_roots):
    """The :class:`Verdict` for an assignment to an attribute or item of
    ``name`` (``plt.rcParams["x"] = 1`` has ``matplotlib.pyplot.rcParams``)."""
    root = name.split(".")[0]
    if root in local_roots or root == "jug":
        return Verdict("safe")  # the module travels with the state the top level left
    if _matches(name, REPLAYED_STORES):
        return Verdict("replayed")
    return Verdict("configures", f"assigns to {name}, which workers cannot replay")


def _resolve(name):
    """The object ``name`` stands for, if its module is already imported
    (nothing is imported here)."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is not None:
            obj = module
            for part in parts[cut:]:
                obj = getattr(obj, part, None)
                if obj is None:
                    return None
            return obj
    return None


def unreplayable_calls(jugfile, local_modules, module_name):
    """The :class:`jug.compiler.replay.TopLevelReason` s of ``jugfile``'s
    top level (and of the ``local_modules`` it imported, ``{name: path}``):
    calls and assignments workers cannot replay, in file order."""
    from jug.compiler.replay import TopLevelReason

    local_roots = {name.split(".")[0] for name in local_modules} | {module_name}
    paths = [jugfile, *sorted(set(local_modules.values()))]
    if not _worth_analysing(paths, local_roots):
        return ()
    found = {}
    for path, line, verdict in _analysed(jugfile, paths, local_roots):
        if verdict.runs_top_level:
            found.setdefault((path, line), TopLevelReason(_shown(path, jugfile), line,
                                                          verdict.reason))
    return tuple(found[key] for key in sorted(found))


def _shown(path, jugfile):
    directory = os.path.dirname(os.path.abspath(jugfile))
    absolute = os.path.abspath(path)
    if absolute == os.path.abspath(jugfile):
        return jugfile
    if absolute.startswith(directory + os.sep):
        return os.path.relpath(absolute, directory)
    return absolute


def _analysed(jugfile, paths, local_roots):
    """``(path, line, Verdict)`` of every call and assignment the lint's
    analysis sees run while the jugfile is imported."""
    from jug.compiler.lint.analysis import analyse
    from jug.compiler.lint.model import LintRule
    from jug.compiler.lint.source import ParsedFile, SourceCache, read_text

    class TopLevelEffects(LintRule):
        code = "JUG-REPLAY"  # not a lint rule: collects for the compiler

        def __init__(self):
            self.found = []

        def check_call(self, call):
            if call.at_import and call.local_class is None:
                for name in sorted(call.qualified_names):
                    self.found.append((call.path, call.line, classify(name, local_roots)))
            return ()

        def check_store(self, store):
            self.found.append((store.path, store.node.lineno,
                               classify_store(store.qualified_name, local_roots)))
            return ()

    class UserModules(SourceCache):
        """Follows the user's own modules only: a package under a
        site-packages directory is installed, even when the jugfile puts it on
        sys.path, so calls into it are classified rather than followed."""

        def find_module(self, name, search):
            from jug.compiler.freshness import is_system_path

            path = super().find_module(name, search)
            return None if path is not None and is_system_path(path) else path

    collector = TopLevelEffects()
    cache = UserModules()
    analysed = set()
    # the jugfile, then the local modules the analysis did not reach from it
    # (found in a directory added to sys.path in a way it does not follow)
    for path in paths:
        if os.path.abspath(path) in analysed:
            continue
        try:
            parsed = ParsedFile(read_text(path), path)
        except Exception:  # noqa: BLE001 - the trace compiled it; a module we cannot read is skipped
            continue
        analyse(parsed, [collector], cache)
        analysed.update(os.path.abspath(p) for p in _cached_paths(cache))
    return collector.found


def _cached_paths(cache):
    return list(getattr(cache, "_files", {}))


def _import_aliases(tree):
    """``{local name: qualified name}`` of every import in ``tree``."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    aliases[root] = root
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _dotted(node):
    """``a.b.c`` of an attribute chain on a name (subscripts skipped), or None."""
    parts = []
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
        node = node.func if isinstance(node, ast.Call) else node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _worth_analysing(paths, local_roots):
    """Could these files call something that is not replayed?  Only when
    they import a package other than the standard library, jug, their own
    modules and :data:`KNOWN_PACKAGES`, or name (through their imports) a
    function of a configuring list, or assign into an imported module: a
    cheap look at names, without following anything."""
    calls, attributes = _lint_lists()
    listed = calls + attributes + CONFIGURING
    for path in paths:
        try:
            with open(path, "rb") as handle:
                tree = ast.parse(handle.read(), filename=path)
        except (OSError, SyntaxError, ValueError):
            return True
        aliases = _import_aliases(tree)
        roots = {name.split(".")[0] for name in aliases.values()}
        roots -= local_roots | {"jug", "__future__"}
        if any(root not in sys.stdlib_module_names and root not in KNOWN_PACKAGES
               for root in roots):
            return True
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in ("exec", "eval"):
                return True
            if isinstance(node, (ast.Attribute, ast.Name)):
                dotted = _dotted(node)
                head, _, rest = (dotted or "").partition(".")
                if head in aliases and _matches(".".join(filter(None, [aliases[head], rest])),
                                                listed):
                    return True
            targets = (node.targets if isinstance(node, ast.Assign) else
                       [node.target] if isinstance(node, ast.AugAssign) else [])
            for target in targets:
                dotted = _dotted(target) if not isinstance(target, ast.Name) else None
                head, _, rest = (dotted or "").partition(".")
                if head in aliases and aliases[head].split(".")[0] not in local_roots | {"jug"}:
                    if not _matches(".".join(filter(None, [aliases[head], rest])),
                                    REPLAYED_STORES):
                        return True
    return False
