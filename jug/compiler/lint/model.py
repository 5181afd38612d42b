"""The records the lint passes between its parts, and the base class of a rule.

* :class:`Finding` -- one reported problem (what the output formats print),
  with :class:`Related` places (where the value came from, possibly in
  another file);
* :class:`FileError` -- a file that could not be read, parsed or analysed;
* :class:`Taint` -- a fact the data-flow analysis carries along with a value:
  "this value came from an unseeded generator at helpers.py line 3";
* :class:`FixSite` -- where a fix for a fact would go (wrap it in sorted());
* :class:`CallSite`, :class:`DisplaySite`, :class:`StoreSite`,
  :class:`TaskCall` -- what a rule sees of one call, set display,
  assignment, or task creation;
* :class:`LintRule` -- the base class of every rule in ``rules/``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Iterable, Sequence

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)

# Taint kinds: how a fact propagates (see docs/lint.md, "How the analysis works").
VALUE = "value"          # the value itself differs between runs
ORDER = "order"          # the value is a sequence whose *order* differs between runs
UNORDERED = "unordered"  # a set/dict whose hash is stable but whose iteration order is not
PICKLED = "pickled"      # an object the canonical hash does not know: hashed by pickle


@dataclasses.dataclass(frozen=True)
class Related:
    """Another place a finding is about: where the value comes from."""

    path: str
    line: int
    column: int
    message: str


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem in one file.  ``line`` and ``column`` are 1-based and point
    at the task argument (or call) being reported; ``related`` are the places
    the nondeterministic value comes from (in this file or another);
    ``suggestion`` is a change jug lint proposes but does not make."""

    path: str
    line: int
    column: int
    code: str
    message: str
    severity: str
    related: tuple = ()
    suggestion: str | None = None

    @property
    def related_line(self) -> int | None:
        """The line of the first related place in the same file, if any."""
        for related in self.related:
            if related.path == self.path:
                return related.line
        return None

    def as_dict(self) -> dict:
        """The fields of the ``--format json`` output."""
        data = {"path": self.path, "line": self.line, "column": self.column,
                "code": self.code, "message": self.message, "severity": self.severity,
                "related": [dataclasses.asdict(related) for related in self.related]}
        if self.suggestion is not None:
            data["suggestion"] = self.suggestion
        return data


@dataclasses.dataclass(frozen=True)
class FileError:
    """A file the lint could not check: unreadable, unparsable, or an internal
    error of the analysis.  ``line``/``column`` are 1-based (0 when unknown);
    ``source_line`` is the offending line for the caret display; ``code`` is
    set when the error is also reported as a finding (``JUG001``)."""

    path: str
    message: str
    line: int = 0
    column: int = 0
    source_line: str | None = None
    code: str | None = None

    def caret_display(self) -> str:
        """``path:line:col: message`` followed by the line and a caret, the way
        Python reports a syntax error."""
        where = f"{self.path}:{self.line}:{self.column}" if self.line else self.path
        text = f"{where}: {self.message}"
        if self.source_line is not None:
            stripped = self.source_line.rstrip("\r\n")
            text += f"\n    {stripped}\n    {' ' * max(self.column - 1, 0)}^"
        return text


@dataclasses.dataclass(frozen=True)
class FixSite:
    """An expression to wrap in ``sorted(...)``: its file and its span
    (1-based lines, 0-based character columns, end exclusive)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    iterator: bool = False   # the expression is an iterator: `next(...)` on it must keep working


@dataclasses.dataclass(frozen=True)
class Taint:
    """A fact attached to a value: which rule cares (``code``), how it
    propagates (``kind``), what and where it came from (``description``,
    ``path``, ``line``, ``column``, 1-based).  ``note`` is said after the
    place ("a sort key that can tie ({place}) keeps this order", ``{place}``
    being ``note_path``:``note_line`` said the way the finding says places);
    ``fix`` is where wrapping in sorted() removes it; ``suggestion`` a change
    to propose."""

    code: str
    kind: str
    description: str
    path: str
    line: int
    column: int
    note: str = ""
    fix: FixSite | None = None
    suggestion: str | None = None
    note_path: str | None = None
    note_line: int = 0

    def with_kind(self, kind: str) -> "Taint":
        return self if kind == self.kind else dataclasses.replace(self, kind=kind)


@dataclasses.dataclass(frozen=True)
class Argument:
    """One argument of a call as a rule sees it: ``keyword`` (None when
    positional), ``star`` (``""``, ``"*"`` or ``"**"``), the ``ast`` node, and
    what the analysis knows of its value (``taints``, ``type``: ``"int"``,
    ``"str"``, ``"none"``... or None when unknown)."""

    keyword: str | None
    star: str
    node: Any
    taints: frozenset
    type: str | None
    element_type: str | None = None


@dataclasses.dataclass(frozen=True)
class CallSite:
    """A call the analysis evaluates, as a rule's :meth:`LintRule.source`
    and :meth:`LintRule.check_call` see it.

    ``qualified_names`` are what the callee is known to be, from the
    imports and assignments the analysis followed, so ``from random import
    random as r; r()`` has ``{"random.random"}`` and builtins are
    ``"builtins.hash"``; ``method`` is the attribute name of ``obj.method(...)``
    and ``receiver`` what ``obj`` is (an :class:`Argument`, or None);
    ``local_class`` is set when a class defined in the linted code is called
    (``.name``, ``.path``, ``.has_jug_hash``, ``.is_enum``); ``state`` is
    the process state on this path (see :class:`ProcessState`);
    ``at_import`` is true when the call runs while the jugfile is imported
    (at its top level or in a function called from there), not inside a task
    or a function nobody calls; ``callee_text`` is the source of the callee
    (``Path(root).rglob``), shortened."""

    node: Any
    path: str
    line: int
    column: int
    qualified_names: frozenset
    method: str | None
    receiver: Argument | None
    args: Sequence[Argument]
    local_class: Any
    state: "ProcessState"
    at_import: bool
    span: FixSite
    callee_text: str = ""

    def taint(self, rule: "LintRule", kind: str, description: str, fix=False,
              suggestion: str | None = None) -> Taint:
        """A new fact created by ``rule`` at this call; ``fix`` says that
        wrapping this call in sorted() removes it (``"iterator"``: and the
        call returns an iterator)."""
        site = None
        if fix:
            site = dataclasses.replace(self.span, iterator=fix == "iterator")
        return Taint(rule.code, kind, description, self.path, self.line, self.column,
                     fix=site, suggestion=suggestion)

    def matches(self, names: Iterable[str]) -> str | None:
        """The first of ``names`` that this call's callee is known as."""
        for name in names:
            if name in self.qualified_names:
                return name
        return None

    def positional(self) -> list:
        return [arg for arg in self.args if arg.keyword is None and not arg.star]

    def keyword(self, name: str) -> Argument | None:
        for arg in self.args:
            if arg.keyword == name:
                return arg
        return None

    def argument(self, position: int, keyword: str) -> Argument | None:
        """The argument given at ``position`` or as ``keyword``."""
        positional = self.positional()
        if position < len(positional):
            return positional[position]
        return self.keyword(keyword)


class ProcessState:
    """What every path so far has done to the process (``random.seed(1)``):
    a mapping from a rule-chosen key to the facts of the value it was set to.
    Where paths join (after an ``if``, a loop that may not run, a function
    that returns early), a key is kept only if it was set on *every* path, so
    a seed on only some paths does not count."""

    def __init__(self, facts: dict | None = None):
        self.facts: dict = dict(facts or {})

    def get(self, key: str) -> frozenset | None:
        """The facts of ``key``, or None when it is not set on every path."""
        return self.facts.get(key)

    def set(self, key: str, facts: frozenset | None):
        if facts is None:
            self.facts.pop(key, None)
        else:
            self.facts[key] = frozenset(facts)

    def copy(self) -> "ProcessState":
        return ProcessState(self.facts)

    def frozen(self) -> tuple:
        return tuple(sorted(self.facts.items(), key=lambda item: item[0]))

    @staticmethod
    def join(states: Sequence["ProcessState"]) -> "ProcessState":
        first, *rest = states
        facts = {}
        for key, value in first.facts.items():
            if all(key in other.facts for other in rest):
                for other in rest:
                    value = value | other.facts[key]
                facts[key] = value
        return ProcessState(facts)


@dataclasses.dataclass(frozen=True)
class DisplaySite:
    """A set display (``{"a", "b"}``) or set comprehension; ``element_type``
    is the type of its elements when known (``"int"``, ``"str"``...)."""

    node: Any
    path: str
    line: int
    column: int
    text: str
    element_type: str | None

    def taint(self, rule: "LintRule", kind: str, description: str) -> Taint:
        return Taint(rule.code, kind, description, self.path, self.line, self.column)


@dataclasses.dataclass(frozen=True)
class StoreSite:
    """An assignment to an attribute or item of something imported
    (``plt.rcParams["font.size"] = 8``), run while the jugfile is imported:
    ``qualified_name`` is the target's (``"matplotlib.pyplot.rcParams"``)."""

    node: Any
    path: str
    qualified_name: str


@dataclasses.dataclass(frozen=True)
class TaskCall:
    """A place where a task is created.  ``function_node`` is the expression
    naming the task's function (``None`` when the call *is* the function, as
    for a TaskGenerator); ``enclosing_task`` is set when the call runs inside
    the body of a task function (directly or through functions it calls)."""

    node: Any
    path: str
    task_name: str
    creator: str
    function_node: Any = None
    function_is_lambda: bool = False
    enclosing_task: str | None = None


@dataclasses.dataclass(frozen=True)
class Report:
    """What a rule hook returns: a message about ``node`` (an ``ast`` node in
    the file of the call being checked)."""

    node: Any
    message: str


class LintRule:
    """Base class of a rule.  A rule is a small class:

    * ``code`` (``JUGnnn``, stable), ``name`` (kebab-case), ``severity``;
    * ``summary``: one line; the docstring: why it matters and what to do;
    * ``message``: the template of what is printed; flow rules get the fields
      ``source``, ``where`` (``line 3``, or ``helpers.py:3`` for another
      file), ``argument`` and ``task``;
    * ``VALID`` / ``INVALID``: snippets that are both its tests and its
      documentation.  A line of an INVALID snippet that must be reported ends
      with ``# <- CODE``.

    Rules that recognise a nondeterministic *source* implement :meth:`source`
    (and :meth:`display_source` for set displays); the shared analysis carries
    the facts they create to task arguments.  Rules about *how* tasks are
    created implement :meth:`check_task_call`; rules about what the jugfile
    does while it is imported implement :meth:`check_call` and
    :meth:`check_store`.  State that must survive between calls and be joined
    where paths meet (seeding) lives in ``call.state``, not in the rule.
    """

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[str] = ERROR
    summary: ClassVar[str] = ""
    message: ClassVar[str] = ""
    VALID: ClassVar[Sequence[str]] = ()
    INVALID: ClassVar[Sequence[str]] = ()
    #: Report only in code that uses jug (a script that configures logging
    #: and creates no task is not a jugfile).
    jugfiles_only: ClassVar[bool] = False

    def source(self, call: CallSite) -> Taint | Iterable[Taint] | None:
        """The facts a call creates, if it is a source this rule knows
        (``random.random()``, ``time.time()``...)."""
        return None

    def display_source(self, display: DisplaySite) -> Taint | None:
        """The fact a set display or set comprehension creates."""
        return None

    def check_task_call(self, call: TaskCall) -> Iterable[Report]:
        """Problems with how a task is created (not with its arguments)."""
        return ()

    def check_call(self, call: CallSite) -> Iterable[Report]:
        """Problems with a call made while the jugfile is imported."""
        return ()

    def check_store(self, store: StoreSite) -> Iterable[Report]:
        """Problems with an assignment made while the jugfile is imported."""
        return ()

    @classmethod
    def flow_message(cls, source: str, where: str, argument: str, task: str) -> str:
        """The message when a fact described by ``source`` (found at
        ``where``) reaches ``argument`` of ``task``."""
        return cls.message.format(source=source, where=where, argument=argument, task=task)
