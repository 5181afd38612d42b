"""The rule registry: every rule of ``jug lint``, in code order.

A rule is one small class in its own module here (see
:class:`jug.compiler.lint.model.LintRule`); add it to ``RULES`` and it is
linted, tested (its VALID/INVALID examples) and documented (docs/lint.md).
"""

from __future__ import annotations

from jug.compiler.lint.model import LintRule
from jug.compiler.lint.rules.clock_time import ClockTime
from jug.compiler.lint.rules.directory_order import DirectoryListingOrder
from jug.compiler.lint.rules.lambda_task import LambdaTaskFunction
from jug.compiler.lint.rules.pickled_argument import PickledArgument
from jug.compiler.lint.rules.process_configuration import ProcessConfiguration
from jug.compiler.lint.rules.process_identity import ProcessIdentity
from jug.compiler.lint.rules.set_order import SetIterationOrder
from jug.compiler.lint.rules.syntax_error import SyntaxErrorRule
from jug.compiler.lint.rules.task_in_task import TaskCreatedInTask
from jug.compiler.lint.rules.unseeded_random import UnseededRandom

RULES: tuple[type[LintRule], ...] = (
    SyntaxErrorRule,
    UnseededRandom,
    ClockTime,
    DirectoryListingOrder,
    SetIterationOrder,
    ProcessIdentity,
    TaskCreatedInTask,
    LambdaTaskFunction,
    PickledArgument,
    ProcessConfiguration,
)

RULES_BY_CODE: dict[str, type[LintRule]] = {rule.code: rule for rule in RULES}

#: Rules that cannot be selected, ignored or suppressed (a file that does not
#: parse is never "clean").
ALWAYS_ON = frozenset({SyntaxErrorRule.code})


def rule_for(code: str) -> type[LintRule] | None:
    """The rule with this code (case-insensitive), or its name (``clock-time``)."""
    code = code.strip()
    rule = RULES_BY_CODE.get(code.upper())
    if rule is None:
        rule = next((rule for rule in RULES if rule.name == code.lower()), None)
    return rule
