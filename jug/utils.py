"""Utilities for jugfiles: ``identity``, ``CustomHash``, ``timed_path``,
``jug_execute``, ``cached_glob``, ``sync_move``."""

import os

from jug.task import Task, TaskGenerator, Tasklet, value

__all__ = ["identity", "CustomHash", "timed_path", "hash_with_mtime_size", "jug_execute",
           "cached_glob", "glob_sort", "sync_move"]


def _identity(x):
    return x


def identity(x):
    """A task whose value is ``x`` (named ``identity``).  Its hash is cheap to
    embed in other tasks, and ``identity([val, token])[0]`` makes ``val``
    wait for ``token``.  A task passed in is returned as is."""
    if isinstance(x, (Task, Tasklet)):
        return x
    task = Task.__new__(Task)
    task._init_named(_identity, "identity", (x,), {})
    return task


class CustomHash:
    """Wrap ``obj`` so its identity is ``hash_function(obj)`` (bytes) instead
    of its canonical encoding; its value is ``value(obj)``."""

    def __init__(self, obj, hash_function):
        self.obj = obj
        self.hash_function = hash_function

    def __jug_hash__(self):
        return self.hash_function(self.obj)

    def __jug_value__(self):
        return value(self.obj)

    def __jug_dependencies__(self):
        return [self.obj]


def hash_with_mtime_size(path):
    from jug.hash import hash_one

    st = os.stat(path)
    return hash_one((path, st.st_mtime, st.st_size))


def timed_path(path):
    """``path``, whose identity changes when the file is modified or resized
    (so dependent tasks re-run)."""
    return CustomHash(path, hash_with_mtime_size)


@TaskGenerator
def jug_execute(args, check_exit=True, run_after=None, return_value=None):
    """A task running the command ``args`` (``subprocess.call``); a non-zero
    exit raises unless ``check_exit`` is false.  ``run_after`` only adds a
    dependency; the task's value is ``return_value``."""
    import subprocess

    exit_code = subprocess.call(args)
    if check_exit and exit_code != 0:
        raise SystemError(f"Command {args} failed with exit code {exit_code}")
    return return_value


def glob_sort(pattern):
    from glob import glob

    return sorted(glob(pattern))


def cached_glob(pattern):
    """``sorted(glob(pattern))`` computed once and kept in the store (new
    files appear only after ``jug invalidate --name glob_sort``)."""
    from jug import CachedFunction

    return CachedFunction(glob_sort, pattern)


def sync_move(src, dst):
    """``os.rename(src, dst)`` made durable (the destination directory is
    fsynced)."""
    os.rename(src, dst)
    directory = os.path.dirname(os.path.abspath(dst))
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
