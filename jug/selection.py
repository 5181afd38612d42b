"""Selecting tasks by name: ``--name`` (strict) and ``--pattern`` (loose),
with jug 2.7's semantics.

* ``--name NAME``: a glob (``*``, ``?``; other regex characters literal)
  matched against the whole task name or a suffix that starts right after a
  dot, so ``double`` and ``jugfile.double`` match ``jugfile.double`` but not
  ``jugfile.double_other``.
* ``--pattern PAT``: ``/REGEX/`` searched anywhere, otherwise a substring.
"""

import fnmatch
import re

from jug.errors import JugError


def name_matcher(name):
    if name == "":
        raise JugError("jug: empty --name; give a task name such as `double` or a glob such as `double*`")
    regex = re.compile(r"(?:.*\.)?" + fnmatch.translate(name))
    return lambda task_name: regex.fullmatch(task_name) is not None


def pattern_matcher(pattern):
    if pattern in ("", "//"):
        raise JugError("jug: empty --pattern; use '/.*/' to match every task")
    if len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/"):
        regex = re.compile(pattern[1:-1])
        return lambda task_name: regex.search(task_name) is not None
    return lambda task_name: pattern in task_name


def matcher_from_options(name=None, pattern=None):
    """A predicate on task names, or None when no selection was given."""
    matchers = []
    if name is not None:
        matchers.append(name_matcher(name))
    if pattern is not None:
        matchers.append(pattern_matcher(pattern))
    if not matchers:
        return None
    if len(matchers) == 1:
        return matchers[0]
    return lambda task_name: all(m(task_name) for m in matchers)
