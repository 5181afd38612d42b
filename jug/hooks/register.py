"""The original jug's ``jug.hooks.register``: the hook functions, which live
in :mod:`jug.hooks` here."""

from jug.hooks import jug_hook, register_hook, register_hook_once, reset_all_hooks

__all__ = ["jug_hook", "register_hook", "register_hook_once", "reset_all_hooks"]
