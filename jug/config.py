"""Configuration files: ``~/.config/jugrc`` (or ``~/.config/jug/jugrc``,
``~/.jug/configrc``) and a project-local ``.jugrc`` or ``jugrc``.

INI format, as in jug's manual::

    [main]
    jugdir=%(jugfile)s.jugdata

    [execute]
    wait-cycle-time=12
    nr-wait-cycles=150

Keys of ``[main]`` apply to every command, keys of ``[execute]`` to ``jug
execute`` and so on; dashes become underscores.  Precedence, highest first:
the command line, the environment (``JUGDIR``), the nearest local file (the
current directory, then its parents up to the git root when inside a git
checkout), the global file.  The result is a click ``default_map``.
"""

import configparser
import dataclasses
import os

GLOBAL_FILES = ("~/.config/jug/jugrc", "~/.config/jugrc", "~/.jug/configrc")
LOCAL_NAMES = (".jugrc", "jugrc")


def global_config_file():
    for candidate in GLOBAL_FILES:
        path = os.path.expanduser(candidate)
        if os.path.isfile(path) and os.access(path, os.R_OK):
            return path
    return None


def local_config_files(start=None):
    """Local config files, nearest first."""
    directory = os.path.abspath(start or os.getcwd())
    chain = [directory]
    probe = directory
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            break
        parent = os.path.dirname(probe)
        if parent == probe:
            chain = [directory]  # not inside a git checkout: only the current directory
            break
        probe = parent
        chain.append(probe)
    found = []
    for folder in chain:
        for name in LOCAL_NAMES:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                found.append(path)
    return found


def read_config(path):
    """``{section: {key: value}}`` of one file (no ``%`` interpolation, so
    ``%(jugfile)s`` survives to be expanded later)."""
    from jug.errors import ConfigError

    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except configparser.Error as error:
        first = str(error).splitlines()[0].rstrip(".")
        line = getattr(error, "lineno", None)
        at = f", line {line}" if line else ""
        raise ConfigError(f"cannot read the configuration file {path}{at} ({first}): write "
                          "it as INI sections such as [execute] with key=value lines, or "
                          "remove it") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"cannot read the configuration file {path}: it is not UTF-8 text "
                          f"({error.reason} at byte {error.start}); fix or remove it") from None
    except OSError as error:
        raise ConfigError(f"cannot read the configuration file {path} ({error.strerror}): "
                          "fix its permissions or remove it") from None
    return {section: dict(parser.items(section)) for section in parser.sections()}


def default_map(commands, start=None, sources=None):
    """The click ``default_map`` for the group, from every config file.
    ``sources`` (a dict), when given, is filled with where each value came
    from: ``{command: {parameter: ConfigSource}}``."""
    files = []
    global_file = global_config_file()
    if global_file:
        files.append(global_file)
    files.extend(reversed(local_config_files(start)))  # farthest first, nearest wins
    merged, origins = {}, {}
    for path in files:
        for section, values in read_config(path).items():
            merged.setdefault(section, {}).update(values)
            origins.setdefault(section, {}).update(
                {key: ConfigSource(path, section, key) for key in values})
    result = {}
    main = {_param(k): v for k, v in merged.get("main", {}).items()}
    main_origins = {_param(k): o for k, o in origins.get("main", {}).items()}
    for command in commands:
        entries, where = dict(main), dict(main_origins)
        name = command if command in merged else command.replace("-", "_")
        entries.update({_param(k): v for k, v in merged.get(name, {}).items()})
        where.update({_param(k): o for k, o in origins.get(name, {}).items()})
        if command == "invalidate":
            entries.pop("name", None)  # a config file alone must not choose what to delete
            entries.pop("pattern", None)
        for key in _SELECTION:
            if key in entries:  # the parameters of --name/--pattern/--target
                entries["select_" + key] = entries.pop(key)
                where["select_" + key] = where.pop(key)
        if entries:
            result[command] = entries
            if sources is not None:
                sources[command] = {key: where[key] for key in entries}
    return result


@dataclasses.dataclass(frozen=True)
class ConfigSource:
    """Where a configuration value was read: file, section and key as
    written there."""

    path: str
    section: str
    key: str

    def __str__(self):
        return f"{self.path} ([{self.section}] {self.key})"


_SELECTION = ("name", "pattern", "target")


def _param(key):
    return key.strip().replace("-", "_")
