"""The original jug's ``jug.options``: ``set_jugdir`` (the programmatic
``--jugdir``).  Its option objects and parser have no equivalent here:
options are the click options of each command (``jug SUBCOMMAND --help``),
with defaults from jugrc files and ``JUG_*`` variables
(docs/configuration.md)."""

from jug.api import set_jugdir
from jug.compat import module_getattr

__all__ = ["set_jugdir"]

_OPTIONS = ("options are click options of each command (`jug SUBCOMMAND --help`), "
            "defaults come from jugrc files (docs/configuration.md); from a script run "
            "a command with jug.jug.main(['jug', SUBCOMMAND, ...])")
__getattr__ = module_getattr(__name__, {name: _OPTIONS for name in (
    "Options", "default_options", "parse", "read_configuration_file", "build_parser",
    "add_common_options", "load_default_options", "find_local_configuration_files",
    "key_to_option")})
