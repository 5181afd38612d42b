"""Stop ``jug execute`` cleanly between tasks: after N tasks, after some time,
when a file exists, or when a condition holds.  Every exit is ``sys.exit(0)``
and happens only between tasks, so no lock is left behind.

The environment variables ``JUG_MAX_TASKS``, ``JUG_MAX_HOURS``,
``JUG_MAX_MINUTES``, ``JUG_MAX_SECONDS`` and ``JUG_EXIT_IF_FILE_EXISTS`` set
the same limits from outside (:func:`exit_env_vars`); ``jug execute`` also
stops when ``__jug_please_stop_running.txt`` exists in the current directory.
"""

import os
import sys
import time

from jug.hooks import register_hook_once

STOP_FILE = "__jug_please_stop_running.txt"


def exit_if_file_exists(fname):
    """Stop before the next task once ``fname`` exists."""

    def check(_task):
        if os.path.exists(fname):
            sys.exit(0)

    register_hook_once("execute.task-pre-execute", ("exit_if_file_exists", fname), check)


def exit_when_true(f, function_takes_Task=False):
    """Stop after a task once ``f()`` (or ``f(task)``) is true."""

    def check(task):
        if (f(task) if function_takes_Task else f()):
            sys.exit(0)

    register_hook_once("execute.task-executed1", ("exit_when_true", f, function_takes_Task), check)


def exit_after_n_tasks(n):
    """Stop after ``n`` tasks have been executed."""
    executed = [0]

    def check(_task):
        executed[0] += 1
        if executed[0] >= n:
            sys.exit(0)

    register_hook_once("execute.task-executed1", ("exit_after_n_tasks", n), check)


def exit_after_time(hours=0, minutes=0, seconds=0):
    """Stop after the first task that ends past the time limit (counted from
    this call)."""
    deadline = time.monotonic() + 3600 * hours + 60 * minutes + seconds

    def check(_task):
        if time.monotonic() >= deadline:
            sys.exit(0)

    register_hook_once("execute.task-executed1", ("exit_after_time", hours, minutes, seconds), check)


def exit_env_vars(environ=None):
    """Apply the ``JUG_MAX_*`` and ``JUG_EXIT_IF_FILE_EXISTS`` variables."""
    environ = os.environ if environ is None else environ

    def number(name, kind=int):
        raw = environ.get(name)
        if raw is None or raw.strip() == "":
            return 0
        try:
            value = kind(raw)
        except ValueError:
            value = -1
        if not value >= 0 or value == float("inf"):
            from jug.errors import ConfigError

            what = "a whole number" if kind is int else "a number"
            raise ConfigError(f"jug: the environment variable {name} must be {what} (0 or more), "
                              f"not {raw!r}; fix it or unset it") from None
        return value

    max_tasks = number("JUG_MAX_TASKS")
    if max_tasks:
        exit_after_n_tasks(max_tasks)
    hours, minutes, seconds = (number(f"JUG_MAX_{unit}", float)
                               for unit in ("HOURS", "MINUTES", "SECONDS"))
    if hours or minutes or seconds:
        exit_after_time(hours, minutes, seconds)
    fname = environ.get("JUG_EXIT_IF_FILE_EXISTS")
    if fname:
        exit_if_file_exists(fname)


def register_default_checks(environ=None):
    """What ``jug execute`` does unless ``--no-check-environment``."""
    exit_env_vars(environ)
    exit_if_file_exists(STOP_FILE)
