"""The records the lint passes between its parts, and the base class of a rule.

* :class:`Finding` -- one reported problem (what the output formats print);
* :class:`FileError` -- a file that could not be read, parsed or analysed;
* :class:`Taint` -- a fact the data-flow analysis carries along with a value:
  "this value came from an unseeded generator at line 3";
* :class:`CallSite` -- what a rule sees of one call at module scope;
* :class:`TaskCall` -- one place where a task is created;
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
class Finding:
    """One problem in one file.  ``line`` and ``column`` are 1-based and point
    at the task argument (or call) being reported; ``related_line`` is the line
    of the nondeterministic source, when it is elsewhere."""

    path: str
    line: int
    column: int
    code: str
    message: str
    severity: str
    related_line: int | None = None
    related_column: int | None = None

    def as_dict(self) -> dict:
        """The fields of the ``--format json`` output."""
        return {"path": self.path, "line": self.line, "column": self.column,
                "code": self.code, "message": self.message, "severity": self.severity}


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
class Taint:
    """A fact attached to a value: which rule cares (``code``), how it
    propagates (``kind``), and where it came from (``description`` and
    ``node``, whose position is looked up only if the fact is reported)."""

    code: str
    kind: str
    description: str
    node_id: int
    statement: int = dataclasses.field(compare=False, hash=False)
    node: Any = dataclasses.field(compare=False, hash=False, repr=False)

    def with_kind(self, kind: str) -> "Taint":
        return self if kind == self.kind else dataclasses.replace(self, kind=kind)


@dataclasses.dataclass(frozen=True)
class CallSite:
    """A call evaluated at module scope, as a rule's :meth:`LintRule.source`
    sees it.  ``qualified_names`` come from libcst's scope analysis, so
    ``from random import random as r; r()`` has ``{"random.random"}``
    (``imported_names``: those of them that come from an import);
    ``method`` is the attribute name for ``obj.method(...)`` calls;
    ``receiver_taint`` the taint of ``obj``.  ``args`` are libcst ``Arg`` nodes,
    ``arg_taints`` their taints in the same order."""

    node: Any
    qualified_names: frozenset
    imported_names: frozenset
    method: str | None
    args: Sequence[Any]
    arg_taints: Sequence[frozenset]
    receiver_taint: frozenset
    jugfile_classes: dict
    statement: int

    def taint(self, rule: "LintRule", kind: str, description: str) -> Taint:
        """A new fact created by ``rule`` at this call."""
        return Taint(rule.code, kind, description, id(self.node), self.statement, self.node)

    def matches(self, names: Iterable[str]) -> str | None:
        """The first of ``names`` that this call's callee is known as."""
        for name in names:
            if name in self.qualified_names:
                return name
        return None

    def positional(self) -> list:
        return [arg for arg in self.args if arg.keyword is None and not arg.star]

    def keyword(self, name: str):
        for arg in self.args:
            if arg.keyword is not None and arg.keyword.value == name:
                return arg
        return None


@dataclasses.dataclass(frozen=True)
class TaskCall:
    """A place where a task is created.  ``function_node`` is the expression
    naming the task's function (``None`` when the call *is* the function, as
    for a TaskGenerator); ``enclosing_task`` is set when the call sits inside
    the body of a task function."""

    node: Any
    task_name: str
    creator: str
    function_node: Any = None
    function_is_lambda: bool = False
    enclosing_task: str | None = None


@dataclasses.dataclass(frozen=True)
class Report:
    """What a rule hook returns: a message about ``node`` (a libcst node)."""

    node: Any
    message: str


class LintRule:
    """Base class of a rule.  A rule is a small class:

    * ``code`` (``JUGnnn``, stable), ``name`` (kebab-case), ``severity``;
    * ``summary``: one line; the docstring: why it matters and what to do;
    * ``message``: the template of what is printed; flow rules get the fields
      ``source``, ``line``, ``argument`` and ``task``;
    * ``VALID`` / ``INVALID``: snippets that are both its tests and its
      documentation.  A line of an INVALID snippet that must be reported ends
      with ``# <- CODE``.

    Rules that recognise a nondeterministic *source* implement :meth:`source`
    (and :meth:`display_source` for set displays); the shared analysis carries
    the facts they create to task arguments.  Rules about *how* tasks are
    created implement :meth:`check_task_call`.  One instance lints one file,
    so a rule may keep per-file state (e.g. "random.seed was called").
    """

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[str] = ERROR
    summary: ClassVar[str] = ""
    message: ClassVar[str] = ""
    VALID: ClassVar[Sequence[str]] = ()
    INVALID: ClassVar[Sequence[str]] = ()

    def source(self, call: CallSite) -> Taint | Iterable[Taint] | None:
        """The facts a module-scope call creates, if it is a source this rule
        knows (``random.random()``, ``time.time()``...)."""
        return None

    def display_source(self, node: Any, statement: int) -> Taint | None:
        """The fact a set display or set comprehension creates."""
        return None

    def check_task_call(self, call: TaskCall) -> Iterable[Report]:
        """Problems with how a task is created (not with its arguments)."""
        return ()

    def flow_message(self, taint: Taint, line: int, argument: str, task: str) -> str:
        """The message when ``taint`` reaches ``argument`` of ``task``."""
        return self.message.format(source=taint.description, line=line,
                                   argument=argument, task=task)
