"""When is a manifest fresh?  The records of what a trace observed, and
their checks.

A manifest is a memoized trace: it stays valid while everything the trace
observed would be observed the same way now.  While tracing,
:class:`jug.compiler.observe.Observer` watches the jugfile's top level (and
its local modules); afterwards :func:`record_observations` turns what it saw
into the frozen records kept in the manifest header:

* :class:`InputState`: a file read (size, mtime, content digest) or a
  directory listed (mtime, a digest of its entries), the jugfile and the
  user's own modules included;
* :class:`StatQuery`: a stat-family question about a path (``exists``,
  ``isfile``, ``getsize``, ``getmtime``, a whole ``os.stat``...) with the
  answer seen;
* :class:`VariableRead`: an environment variable read, present or absent,
  or the whole environment;
* :class:`Volatility`: a source whose answer changes on every run (unseeded
  random numbers, the clock, a subprocess...): such a trace is never
  reused.

The checks cost one ``stat`` per path and one dictionary lookup per
variable; a file's content is hashed only when its size or mtime moved (a
``touch`` of a file that was only read does not force a re-trace) or when
its mtime is too recent to vouch for it.  ``sys.argv``, the jug and Python
versions and the store answers are checked by
:func:`jug.compiler.build.stale_reason`.
"""

import dataclasses
import functools
import hashlib
import os
import stat as stat_module
import sys

from jug.version import __version__

#: The Python version a manifest records and is checked against: ``3.11.7``.
PYTHON_VERSION = "%d.%d.%d" % sys.version_info[:3]

#: A directory's entries are kept in the manifest (to say which it gained or
#: lost) when it has at most this many; larger ones keep a digest only.
LISTED_NAMES_MAX = 256

#: An input modified this close to the end of its trace cannot be vouched for
#: by its mtime (file systems stamp times at a coarse tick): its content is
#: compared on every check.
RACY_NS = 50_000_000


@functools.lru_cache(maxsize=1)
def _system_prefixes():
    """Where code we do not fingerprint lives: the standard library (the
    directory of ``os.py``, as given and resolved) and installed packages
    (any ``site-packages`` or ``dist-packages`` directory); they change only
    with an upgrade, which the versions cover.  (``sysconfig.get_paths()``
    would say the same in 7 ms.)"""
    stdlib = os.path.dirname(os.path.abspath(os.__file__))
    return tuple(sorted({stdlib + os.sep, os.path.realpath(stdlib) + os.sep}))


def _looks_installed(path):
    return "site-packages" in path or "dist-packages" in path


@functools.lru_cache(maxsize=4096)
def is_system_path(path):
    if path.startswith(_system_prefixes()) or _looks_installed(path):
        return True
    real = os.path.realpath(path)
    return real.startswith(_system_prefixes()) or _looks_installed(real)


def _short(path):
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return relative if not relative.startswith("..") else path


def _plural(count, word):
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# -- files and directories ---------------------------------------------------


@dataclasses.dataclass(frozen=True)
class InputState:
    """One fingerprinted input: a file (``kind='file'``: size, mtime_ns and
    content digest) or a directory (``kind='dir'``: entry count, mtime_ns and
    a digest of its sorted entries); ``size == -1`` means it did not exist.

    ``where`` is the jugfile line that read it ("" for the jugfile and its
    modules); ``racy``: its mtime was too recent to vouch for it, so its
    content is compared on every check; ``names``: a small directory's
    entries (a trailing ``/`` marks a subdirectory)."""

    kind: str
    path: str
    size: int
    mtime_ns: int
    digest: str
    where: str = ""
    racy: bool = False
    names: tuple | None = None

    def to_json(self):
        return [self.kind, self.path, self.size, self.mtime_ns, self.digest, self.where,
                self.racy, None if self.names is None else list(self.names)]

    @classmethod
    def from_json(cls, row):
        kind, path, size, mtime_ns, digest, *rest = row
        where, racy, names = (rest + ["", False, None])[:3]
        return cls(kind, path, size, mtime_ns, digest, where, racy,
                   None if names is None else tuple(names))

    def label(self):
        return _short(self.path) + (os.sep if self.kind == "dir" else "")

    def difference(self):
        """None while this input holds, else what changed
        (``'data.txt modified'``, ``'in/ gained 1 file'``)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return None if self.size == -1 else f"{self.label()} was removed"
        if self.size == -1:
            return f"{self.label()} appeared"
        if self.kind == "file":
            if st.st_size == self.size and st.st_mtime_ns == self.mtime_ns and not self.racy:
                return None
            if st.st_size == self.size and _file_digest(self.path) == self.digest:
                return None  # touched, same content
            if not self.digest:
                return f"{self.label()} was modified while the jugfile ran"
            return f"{self.label()} modified"
        if st.st_mtime_ns == self.mtime_ns and not self.racy:
            return None
        now = directory_state(self.path)
        if now.digest == self.digest:
            return None
        return listing_difference(self, now)


def listing_difference(before, now):
    """``'in/ gained 1 file'``: how directory ``now`` differs from ``before``."""
    label = before.label()
    if not before.digest:
        return f"{label} changed while the jugfile ran"
    if before.names is not None and now.names is not None:
        gained = len(set(now.names) - set(before.names))
        lost = len(set(before.names) - set(now.names))
        parts = [f"gained {_plural(gained, 'file')}"] if gained else []
        if lost:
            parts.append(f"lost {_plural(lost, 'file')}")
        if parts:
            return f"{label} " + " and ".join(parts)
    return f"{label} changed ({before.size} -> {now.size} entries)"


def file_state(path, where=""):
    try:
        st = os.stat(path)
    except OSError:
        return InputState("file", path, -1, 0, "", where)
    return InputState("file", path, st.st_size, st.st_mtime_ns, _file_digest(path), where)


def directory_state(path, where=""):
    try:
        st = os.stat(path)
        names = listing(path)
    except OSError:
        return InputState("dir", path, -1, 0, "", where)
    return InputState("dir", path, len(names), st.st_mtime_ns, listing_digest(names), where,
                      names=tuple(names) if len(names) <= LISTED_NAMES_MAX else None)


def listing(path):
    """The sorted entries of directory ``path``, subdirectories marked with
    a trailing ``/`` (a file that became a directory is a change too)."""
    with os.scandir(path) as entries:
        return sorted(entry.name + "/" if _is_dir(entry) else entry.name for entry in entries)


def _is_dir(entry):
    try:
        return entry.is_dir()
    except OSError:
        return False


def listing_digest(names):
    return hashlib.blake2b("\0".join(names).encode("utf-8", "surrogateescape"),
                           digest_size=16).hexdigest()


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
    """None if ``state`` still holds, else a short reason."""
    return state.difference()


def check_inputs(states):
    """The first reason an input changed, or None when all hold."""
    for state in states:
        reason = state.difference()
        if reason is not None:
            return reason
    return None


# -- stat-family questions ---------------------------------------------------

#: The aspects of a path a stat-family call can ask about, and how each is
#: read from an ``os.stat_result`` (None: the path does not exist).
_ASPECTS = {
    "exists": lambda st: st is not None,
    "isfile": lambda st: st is not None and stat_module.S_ISREG(st.st_mode),
    "isdir": lambda st: st is not None and stat_module.S_ISDIR(st.st_mode),
    "islink": lambda st: st is not None and stat_module.S_ISLNK(st.st_mode),
    "size": lambda st: None if st is None else st.st_size,
    "mtime": lambda st: None if st is None else st.st_mtime,
    "atime": lambda st: None if st is None else st.st_atime,
    "ctime": lambda st: None if st is None else st.st_ctime,
    "stat": lambda st: None if st is None else stat_answer(st),
}


def stat_answer(st):
    """What a whole ``os.stat`` is taken to tell: type, size, mtime and mode."""
    return [_kind(st.st_mode), st.st_size, st.st_mtime_ns, stat_module.S_IMODE(st.st_mode)]


def _kind(mode):
    if stat_module.S_ISREG(mode):
        return "file"
    if stat_module.S_ISDIR(mode):
        return "dir"
    if stat_module.S_ISLNK(mode):
        return "link"
    return "other"


@dataclasses.dataclass(frozen=True)
class StatQuery:
    """Questions the trace asked about ``path`` (following symlinks or not)
    and the answers it got: ``answers`` is ``((aspect, value), ...)``, an
    aspect being a key of ``_ASPECTS`` or ``access<mode>`` (``os.access``)."""

    path: str
    follow: bool
    answers: tuple
    where: str = ""

    def to_json(self):
        return [self.path, self.follow, dict(self.answers), self.where]

    @classmethod
    def from_json(cls, row):
        path, follow, answers, where = row
        return cls(path, follow, tuple(sorted(answers.items())), where)

    def label(self):
        return _short(self.path)

    def now(self):
        """The answers the same questions get now, ``{aspect: value}``."""
        try:
            st = os.stat(self.path, follow_symlinks=self.follow)
        except (OSError, ValueError):
            st = None
        answers = {}
        for aspect, _ in self.answers:
            if aspect.startswith("access"):
                answers[aspect] = os.access(self.path, int(aspect[6:]))
            else:
                answers[aspect] = _ASPECTS[aspect](st)
        return answers

    def difference(self):
        now = self.now()
        for aspect, value in self.answers:
            current = now[aspect]
            if _same_answer(current, value):
                continue
            return self._describe(aspect, value, current)
        return None

    def _describe(self, aspect, before, now):
        label = self.label()
        existed = before not in (None, False) if aspect != "exists" else before
        if aspect in ("exists", "stat", "size", "mtime", "atime", "ctime") and (
                before is None or now is None or aspect == "exists"):
            return f"{label} appeared" if not existed else f"{label} was removed"
        if aspect == "size":
            return f"{label} changed size ({before} -> {now} bytes)"
        if aspect in ("isfile", "isdir", "islink"):
            kind = {"isfile": "a file", "isdir": "a directory", "islink": "a symlink"}[aspect]
            return f"{label} is {'now' if now else 'no longer'} {kind}"
        if aspect.startswith("access"):
            return f"{label}: its permissions changed"
        return f"{label} modified"


def _same_answer(a, b):
    if isinstance(a, tuple):
        a = list(a)
    if isinstance(b, tuple):
        b = list(b)
    return a == b


# -- environment variables ---------------------------------------------------

#: Variables whose values are never written into a manifest (it lives in a
#: shared store): a digest stands for them.
_SECRET_WORDS = ("TOKEN", "SECRET", "PASSW", "KEY", "CREDENTIAL", "AUTH", "COOKIE",
                 "SESSION", "PRIVATE")
_SHOWN_VALUE_MAX = 200
WHOLE_ENVIRONMENT = "*"


def value_digest(value):
    return "blake2b:" + hashlib.blake2b(value.encode("utf-8", "surrogateescape"),
                                        digest_size=8).hexdigest()


def _hidden(name, value):
    upper = name.upper()
    return value is not None and (len(value) > _SHOWN_VALUE_MAX
                                  or any(word in upper for word in _SECRET_WORDS))


@dataclasses.dataclass(frozen=True)
class VariableRead:
    """An environment variable the trace read: ``value`` as read (None:
    unset), or its digest when ``hidden`` (secret-looking names, long
    values).  ``name == '*'`` is a read of the whole environment: then
    ``snapshot`` holds ``((name, digest), ...)`` of every variable but the
    ``excluded`` ones, which the jugfile had set itself."""

    name: str
    value: str | None
    hidden: bool = False
    where: str = ""
    snapshot: tuple = ()
    excluded: tuple = ()

    @classmethod
    def of(cls, name, value, where=""):
        if _hidden(name, value):
            return cls(name, value_digest(value), True, where)
        return cls(name, value, False, where)

    @classmethod
    def whole(cls, environment, excluded, where=""):
        snapshot = tuple(sorted((name, value_digest(value)) for name, value in environment.items()
                                if name not in excluded))
        return cls(WHOLE_ENVIRONMENT, None, True, where, snapshot, tuple(sorted(excluded)))

    def to_json(self):
        row = {"name": self.name, "value": self.value, "hidden": self.hidden,
               "where": self.where}
        if self.name == WHOLE_ENVIRONMENT:
            row["snapshot"] = dict(self.snapshot)
            row["excluded"] = list(self.excluded)
        return row

    @classmethod
    def from_json(cls, row):
        return cls(row["name"], row["value"], row["hidden"], row["where"],
                   tuple(sorted(row.get("snapshot", {}).items())), tuple(row.get("excluded", ())))

    def label(self):
        return "the whole environment" if self.name == WHOLE_ENVIRONMENT else self.name

    def shown(self, value=None, current=False):
        """The recorded (or a ``current``) value as the messages show it."""
        value = self.value if not current else value
        if value is None:
            return "unset"
        if self.hidden:
            return "(value not shown)"
        return repr(value)

    def matches(self, environ=None):
        """Does ``environ`` (default ``os.environ``) give the same answer?"""
        return self.difference(environ) is None

    def difference(self, environ=None):
        environ = os.environ if environ is None else environ
        if self.name == WHOLE_ENVIRONMENT:
            return self._whole_difference(environ)
        now = environ.get(self.name)
        if self.hidden:
            if (now is None) == (self.value is None) and (now is None or value_digest(now) == self.value):
                return None
            return f"environment variable {self.name} changed"
        if now == self.value:
            return None
        before = "unset" if self.value is None else repr(self.value)
        after = "unset" if now is None else repr(now)
        return f"environment variable {self.name} changed ({before} -> {after})"

    def _whole_difference(self, environ):
        excluded = set(self.excluded)
        recorded = dict(self.snapshot)
        for name in sorted(set(recorded) | set(environ)):
            if name in excluded:
                continue
            now = environ.get(name)
            before = recorded.get(name)
            if now is None and before is None:
                continue
            if now is None:
                return f"environment variable {name} was unset (the jugfile read the whole environment)"
            if before is None:
                return f"environment variable {name} was set (the jugfile read the whole environment)"
            if value_digest(now) != before:
                return f"environment variable {name} changed (the jugfile read the whole environment)"
        return None

    def now_shown(self, environ=None):
        environ = os.environ if environ is None else environ
        if self.name == WHOLE_ENVIRONMENT:
            return "same" if self.difference(environ) is None else "changed"
        now = environ.get(self.name)
        return self.shown(now, current=True)


def check_variables(variables, environ=None):
    for variable in variables:
        reason = variable.difference(environ)
        if reason is not None:
            return reason
    return None


def check_stats(stats):
    for query in stats:
        reason = query.difference()
        if reason is not None:
            return reason
    return None


# -- volatility ----------------------------------------------------------------

#: kind -> (what the jugfile does, why it matters, the lint rule explaining it)
VOLATILE_KINDS = {
    "random": ("draws unseeded random numbers", "its tasks change on every run", "JUG101"),
    "clock": ("reads the clock", "its tasks change on every run", "JUG102"),
    "identity": ("uses an identity of its process or host", "its tasks change on every run",
                 "JUG105"),
    "process": ("runs a command", "what it reads may change on every run", None),
    "stdin": ("reads standard input", "what it reads may change on every run", None),
    "network": ("uses the network", "what it reads may change on every run", None),
}


@dataclasses.dataclass(frozen=True)
class Volatility:
    """Something the trace did whose answer changes on every run
    (``kind``: a key of :data:`VOLATILE_KINDS`), where and through what."""

    kind: str
    source: str  # "random.random", "subprocess.Popen"...
    where: str  # "jugfile.py:9"

    def to_json(self):
        return [self.kind, self.source, self.where]

    @classmethod
    def from_json(cls, row):
        return cls(*row)

    @property
    def rule(self):
        return VOLATILE_KINDS[self.kind][2]

    def description(self):
        what, _, _ = VOLATILE_KINDS[self.kind]
        return f"{self.where} {what} ({self.source})"

    def line(self):
        """The line every command prints on stderr when it re-runs the trace."""
        _, why, rule = VOLATILE_KINDS[self.kind]
        text = f"jug: {self.description()}; {why}, so its manifest is not reused"
        if rule:
            text += f"; see jug lint --explain {rule}"
        return text


# -- the user's own modules -------------------------------------------------------


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
        if not path or not path.endswith(".py") or path.startswith(jug_dir):
            continue
        if path.startswith(_system_prefixes()) or _looks_installed(path):
            continue  # without a realpath: most modules are the standard library's
        real = os.path.realpath(path)
        if name in modules_before and not real.startswith(directory):
            continue
        if real == jugfile_path or real.startswith(jug_dir) or is_system_path(real):
            continue
        found[name] = real
    return found


# -- from an Observer to the records -----------------------------------------------


@dataclasses.dataclass(frozen=True)
class Observations:
    """What a finished trace depends on, as stored in the manifest header."""

    inputs: tuple  # of InputState
    stats: tuple  # of StatQuery
    variables: tuple  # of VariableRead
    volatile: tuple  # of Volatility


def record_observations(jugfile, observer, modules, store_location=None):
    """The :class:`Observations` of a finished trace: the jugfile, the user
    modules, then the files and directories it read, the stat questions it
    asked and the variables it read (the store's own files excluded)."""
    import time

    ended = time.time_ns()
    excluded = os.path.realpath(store_location) + os.sep if store_location else None
    states = {}
    jugfile_path = os.path.abspath(jugfile)
    states[jugfile_path] = _racy(file_state(jugfile_path), ended)
    for path in sorted(modules.values()):
        if path not in states:
            states[path] = _racy(file_state(path), ended)
    for path, seen in sorted(observer.files.items()):
        if path in states or _ignored(path, excluded):
            continue
        state = file_state(path, seen.where)
        if (state.size, state.mtime_ns) != (seen.size, seen.mtime_ns):
            state = dataclasses.replace(state, digest="")  # the trace changed what it read
        states[path] = _racy(state, ended)
    for path, seen in sorted(observer.directories.items()):
        if _ignored(path, excluded):
            continue
        state = seen.snapshot or directory_state(path)
        if seen.snapshot is None and state.mtime_ns != seen.mtime_ns:
            state = dataclasses.replace(state, digest="")  # listed, then changed while traced
        states[path + os.sep] = _racy(dataclasses.replace(state, where=seen.where), ended)
    stats = tuple(StatQuery(path, follow, tuple(sorted(answers.items())), where)
                  for (path, follow), (where, answers) in sorted(observer.stats.items())
                  if not _ignored(path, excluded, keep_system=True))
    variables = [VariableRead.of(name, value, where)
                 for name, (value, where) in sorted(observer.variables.items())]
    if observer.environment is not None:
        where, environment, written = observer.environment
        variables.append(VariableRead.whole(environment, written, where))
    return Observations(tuple(states.values()), stats, tuple(variables),
                        tuple(observer.volatile))


def _racy(state, ended_ns):
    if state.size != -1 and state.mtime_ns >= ended_ns - RACY_NS:
        return dataclasses.replace(state, racy=True)
    return state


def _ignored(path, excluded, keep_system=False):
    if excluded and (os.path.realpath(path) + os.sep).startswith(excluded):
        return True
    if "__pycache__" in path or path.endswith((".pyc", ".so")):
        return True
    if keep_system:
        return False
    return is_system_path(path) and not os.path.isdir(path)


def environment_fingerprint(argv):
    """What else a trace depends on: ``sys.argv`` and the versions."""
    return {"argv": list(argv), "jug": __version__, "python": PYTHON_VERSION}
