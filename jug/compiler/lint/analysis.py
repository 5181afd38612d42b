"""The data-flow analysis: follow nondeterministic values to task arguments.

It is deliberately simple.  The jugfile's module-scope statements are walked
once, in order.  Every name has a set of :class:`~jug.compiler.lint.model.Taint`
facts, replaced when the name is rebound.  An expression's facts are those of
the names and calls it contains; a call that a rule recognises as a source
(``random.random()``, ``glob('*.txt')``...) adds a fact.  When a task is
created, the facts of each of its arguments are reported.

Facts have a *kind* that says how they propagate:

* ``value``: the value differs between runs.  Survives everything but a task
  boundary (a task's result is identified by its own hash).
* ``order``: a sequence in an order that differs between runs (a directory
  listing).  ``sorted()``, ``len()``, ``min()``, ``set()``... clear it; an
  element taken out of it by position (``files[0]``, ``enumerate``) becomes a
  ``value``; iterating over it (``for f in files``) gives clean elements but
  makes a list built in the loop ``order``-tainted.
* ``unordered``: a set or a dict whose hash does not depend on order but whose
  iteration order does.  Passing it to a task is fine; ``list(s)``,
  ``','.join(s)``, a comprehension over it or ``mapreduce.map`` over it make it
  ``order``.
* ``pickled``: an object the canonical hash does not know (an instance of a
  class).  Survives names and containers only.

Function bodies are not followed, except the bodies of task functions, which
are searched for tasks created while a task runs.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

import libcst as cst

from jug.compiler.lint import api
from jug.compiler.lint.model import (ORDER, PICKLED, UNORDERED, VALUE, CallSite, LintRule, Taint,
                                     TaskCall)
from jug.compiler.lint.source import ParsedSource

EMPTY: frozenset = frozenset()
_CODE = cst.Module([])

_ORDER_CLEARING = frozenset({"builtins.sorted"})
_REDUCTIONS = frozenset({"builtins.len", "builtins.min", "builtins.max", "builtins.sum",
                         "builtins.any", "builtins.all"})
_STRINGIFY = frozenset({"builtins.str", "builtins.repr", "builtins.format", "builtins.print",
                        "builtins.bytes", "builtins.hash"})
_SEQUENCES = frozenset({"builtins.list", "builtins.tuple", "builtins.iter",
                        "builtins.reversed", "builtins.map", "builtins.filter"})
_SETS = frozenset({"builtins.set", "builtins.frozenset"})
_SEQUENCES = _SEQUENCES | {"builtins.enumerate", "builtins.zip"}
_CONTAINERS = _SEQUENCES | _SETS | _ORDER_CLEARING | {"builtins.dict"}
_ORDERED_MUTATORS = frozenset({"append", "extend", "insert"})
_UNORDERED_MUTATORS = frozenset({"add", "update", "setdefault"})


@dataclasses.dataclass(frozen=True)
class RawFinding:
    """A report before positions, noqa and configuration are applied."""

    code: str
    message: str
    node: object
    statement: int
    related_node: object = None
    related_statement: int | None = None


@dataclasses.dataclass(frozen=True)
class TaskFunction:
    """What a name bound to a task generator is known to take."""

    name: str
    parameters: tuple | None
    compound: bool = False
    is_lambda: bool = False


def analyse(parsed: ParsedSource, rules: Iterable[LintRule]) -> list[RawFinding]:
    """Run ``rules`` (fresh instances, one file) over ``parsed``."""
    return _Analysis(parsed, list(rules)).run()


# -- helpers on taint sets ---------------------------------------------------

def _convert(taints: frozenset, mapping: dict) -> frozenset:
    """Change kinds by ``mapping`` (kind -> new kind, or None to drop)."""
    if not taints:
        return taints
    result = set()
    for taint in taints:
        kind = mapping.get(taint.kind, taint.kind)
        if kind is not None:
            result.add(taint.with_kind(kind))
    return frozenset(result)


_ELEMENTS = {ORDER: None, UNORDERED: None}                # one element of an iterable
_POSITIONAL = {ORDER: VALUE, UNORDERED: VALUE, PICKLED: None}   # an element picked by position
_SUBSCRIPT = {ORDER: VALUE, UNORDERED: None, PICKLED: None}     # xs[i] by position, d[k] by key
_ITERATED = {UNORDERED: ORDER}                            # materialised in iteration order
_AS_SET = {ORDER: None}                                   # put into a set
_AS_DICT = {ORDER: UNORDERED}                             # dict built in iteration order
_CLEARED = {ORDER: None, UNORDERED: None}
_STRING = {ORDER: VALUE, UNORDERED: VALUE, PICKLED: None}
_UNKNOWN_RESULT = {PICKLED: None}


def _union(parts) -> frozenset:
    result = EMPTY
    for part in parts:
        if part:
            result = result | part
    return result


class _Env:
    """Facts and bindings of names: module scope, or a comprehension on top
    of it."""

    def __init__(self, parent: "_Env | None" = None):
        self.parent = parent
        self.taints: dict[str, frozenset] = {}
        self.tasks: dict[str, TaskFunction | None] = {}
        self.functions: dict[str, tuple | None] = {}
        self.lambdas: dict[str, bool] = {}
        # classes defined in the jugfile -> whether they define __jug_hash__
        self.classes: dict[str, bool] = parent.classes if parent is not None else {}

    def _lookup(self, table: str, name: str):
        env = self
        while env is not None:
            values = getattr(env, table)
            if name in values:
                return values[name]
            env = env.parent
        return None

    def taint(self, name: str) -> frozenset:
        return self._lookup("taints", name) or EMPTY

    def task(self, name: str) -> TaskFunction | None:
        return self._lookup("tasks", name)

    def parameters(self, name: str) -> tuple | None:
        return self._lookup("functions", name)

    def is_lambda(self, name: str) -> bool:
        return bool(self._lookup("lambdas", name))

    def bind(self, name: str, taints: frozenset, task: TaskFunction | None = None,
             parameters: tuple | None = None, is_lambda: bool = False,
             jugfile_class: bool | None = None):
        self.taints[name] = taints
        self.tasks[name] = task
        self.functions[name] = parameters
        self.lambdas[name] = is_lambda
        if jugfile_class is not None:
            self.classes[name] = jugfile_class
        elif self.parent is None:
            self.classes.pop(name, None)


class _Analysis:
    def __init__(self, parsed: ParsedSource, rules: list[LintRule]):
        self.parsed = parsed
        self.rules_by_code = {rule.code: rule for rule in rules}
        self.source_rules = [rule for rule in rules if type(rule).source is not LintRule.source]
        self.display_rules = [rule for rule in rules
                              if type(rule).display_source is not LintRule.display_source]
        self.task_rules = [rule for rule in rules
                           if type(rule).check_task_call is not LintRule.check_task_call]
        self.env = _Env()
        self.statement = 0
        self.findings: list[RawFinding] = []
        self.reported: set = set()
        self.task_definitions: dict[str, bool] = {}   # def name -> compound?
        self.compound_functions: set[str] = set()
        self.definitions: dict[str, tuple] = {}       # def name -> (node, statement)

    def run(self) -> list[RawFinding]:
        for index, statement in enumerate(self.parsed.statements):
            self.statement = index
            self.walk_statement(statement, self.env)
        self.check_task_bodies()
        return self.findings

    # -- statements -----------------------------------------------------

    def walk_statement(self, node, env: _Env):
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self.walk_small_statement(small, env)
        elif isinstance(node, cst.FunctionDef):
            self.function_def(node, env)
        elif isinstance(node, cst.ClassDef):
            # the class body may have been left out of the parse (see source.py)
            has_hash = node.name.value in self.parsed.classes_with_jug_hash or any(
                isinstance(item, cst.FunctionDef) and item.name.value == "__jug_hash__"
                for item in _block(node.body))
            env.bind(node.name.value, EMPTY, jugfile_class=has_hash)
        elif isinstance(node, cst.For):
            self.for_loop(node, env)
        elif isinstance(node, cst.If):
            # either branch may run: a name keeps the facts of both
            self.expression(node.test, env)
            before = dict(env.taints)
            self.walk_block(node.body, env)
            after_body = env.taints
            env.taints = dict(before)
            if isinstance(node.orelse, cst.If):
                self.walk_statement(node.orelse, env)
            elif node.orelse is not None:
                self.walk_block(node.orelse.body, env)
            for name, taints in after_body.items():
                env.taints[name] = env.taints.get(name, EMPTY) | taints
        elif isinstance(node, cst.With):
            for item in node.items:
                # `as` binds what __enter__ returns, not the object itself
                taints = _convert(self.expression(item.item, env), _UNKNOWN_RESULT)
                if item.asname is not None:
                    self.bind_target(item.asname.name, taints, None, env)
            self.walk_block(node.body, env)
        else:
            # while, try, match...: their test expressions are not followed,
            # their blocks are walked in order.
            if isinstance(node, cst.While):
                self.expression(node.test, env)
            blocks = (cst.IndentedBlock, cst.SimpleStatementSuite)
            for child in node.children:
                if isinstance(child, blocks):
                    self.walk_block(child, env)
                elif isinstance(getattr(child, "body", None), blocks):   # except, else, case
                    self.walk_block(child.body, env)

    def walk_block(self, body, env: _Env):
        for statement in _block(body):
            self.walk_statement(statement, env)

    def walk_small_statement(self, node, env: _Env):
        if isinstance(node, cst.Assign):
            if (len(node.targets) == 1 and isinstance(node.targets[0].target, (cst.Tuple, cst.List))
                    and isinstance(node.value, (cst.Tuple, cst.List))
                    and _same_shape(node.targets[0].target, node.value)):
                for target, value in zip(node.targets[0].target.elements, node.value.elements):
                    self.bind_target(target.value, self.expression(value.value, env),
                                     value.value, env)
                return
            taints = self.expression(node.value, env)
            for target in node.targets:
                self.bind_target(target.target, taints, node.value, env)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.bind_target(node.target, self.expression(node.value, env), node.value, env)
        elif isinstance(node, cst.AugAssign):
            taints = self.expression(node.value, env)
            name = _base_name(node.target)
            if name is not None:
                env.taints[name] = env.taint(name) | taints
        elif isinstance(node, cst.Expr):
            self.expression(node.value, env)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            if isinstance(node.names, cst.ImportStar):
                return
            for alias in node.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                while isinstance(bound, cst.Attribute):
                    bound = bound.value
                if isinstance(bound, cst.Name):
                    env.bind(bound.value, EMPTY)

    def function_def(self, node: cst.FunctionDef, env: _Env):
        name = node.name.value
        parameters = _parameters(node)
        task = None
        for decorator in node.decorators:
            names = self.parsed.qualified_names(decorator.decorator)
            if names & api.TASK_GENERATORS or names & api.COMPOUND_GENERATORS:
                compound = bool(names & api.COMPOUND_GENERATORS)
                task = TaskFunction(name, parameters, compound)
                self.task_definitions[name] = compound
        self.definitions[name] = (node, self.statement)
        env.bind(name, EMPTY, task=task, parameters=parameters)

    def for_loop(self, node: cst.For, env: _Env):
        iterated = self.expression(node.iter, env)
        self.bind_iteration_target(node.target, node.iter, iterated, env)
        self.walk_block(node.body, env)
        if node.orelse is not None:
            self.walk_block(node.orelse.body, env)
        order = [taint for taint in iterated if taint.kind in (ORDER, UNORDERED)]
        if not order:
            return
        order = frozenset(order)
        assigned, ordered, unordered = _loop_effects(node)
        for name in assigned:
            env.taints[name] = env.taint(name) | _convert(order, _POSITIONAL)
        for name in ordered:
            env.taints[name] = env.taint(name) | _convert(order, {UNORDERED: ORDER})
        for name in unordered:
            env.taints[name] = env.taint(name) | _convert(order, {ORDER: UNORDERED})

    def bind_target(self, target, taints: frozenset, value, env: _Env):
        if isinstance(target, cst.Name):
            env.bind(target.value, taints, **self.binding(value, env))
        elif isinstance(target, (cst.Tuple, cst.List)):
            element = _convert(taints, _POSITIONAL)
            for item in target.elements:
                inner = item.value
                self.bind_target(inner, taints if isinstance(item, cst.StarredElement)
                                 else element, None, env)
        elif isinstance(target, cst.StarredElement):
            self.bind_target(target.value, taints, None, env)
        else:
            name = _base_name(target)
            if name is not None:
                env.taints[name] = env.taint(name) | taints

    def binding(self, value, env: _Env) -> dict:
        """What else than facts a name bound to ``value`` is: a task
        generator, a lambda, an alias of a function."""
        if value is None:
            return {}
        if isinstance(value, cst.Lambda):
            return {"is_lambda": True}
        if isinstance(value, cst.Name):
            return {"task": env.task(value.value), "parameters": env.parameters(value.value),
                    "is_lambda": env.is_lambda(value.value)}
        if isinstance(value, cst.Call) and value.args:
            names = self.parsed.qualified_names(value.func) if _is_reference(value.func) else EMPTY
            if names & api.TASK_GENERATORS or names & api.COMPOUND_GENERATORS:
                function = value.args[0].value
                compound = bool(names & api.COMPOUND_GENERATORS)
                if isinstance(function, cst.Name):
                    name = function.value
                    if name in self.definitions:
                        self.task_definitions[name] = compound
                    return {"task": TaskFunction(name, env.parameters(name), compound,
                                                 env.is_lambda(name))}
                return {"task": TaskFunction(_text(function), _lambda_parameters(function),
                                             compound, isinstance(function, cst.Lambda))}
        return {}

    def bind_iteration_target(self, target, iterable, iterated: frozenset, env: _Env):
        """Bind the target of ``for target in iterable``."""
        element = _convert(iterated, _ELEMENTS)
        if (isinstance(iterable, cst.Call) and isinstance(target, (cst.Tuple, cst.List))
                and _is_reference(iterable.func)):
            names = self.parsed.qualified_names(iterable.func)
            if "builtins.enumerate" in names and len(target.elements) == 2:
                # enumerate(xs): the index depends on the order of xs, the item does not.
                index, item = target.elements
                self.bind_target(index.value, _convert(iterated, _POSITIONAL), None, env)
                self.bind_target(item.value, element, None, env)
                return
            if "builtins.zip" in names and len(iterable.args) > 1:
                # zip(xs, ys): which x goes with which y depends on both orders.
                element = element | _convert(iterated, _POSITIONAL)
        if isinstance(target, (cst.Tuple, cst.List)):
            for item in target.elements:
                self.bind_target(item.value, element, None, env)
        else:
            self.bind_target(target, element, None, env)

    # -- expressions ----------------------------------------------------

    def expression(self, node, env: _Env) -> frozenset:
        if isinstance(node, cst.Name):
            return env.taint(node.value)
        if isinstance(node, cst.Call):
            return self.call(node, env)
        if isinstance(node, cst.Attribute):
            return _convert(self.expression(node.value, env), _UNKNOWN_RESULT)
        if isinstance(node, cst.Subscript):
            base = _convert(self.expression(node.value, env), _SUBSCRIPT)
            index = _union(self.expression(element.slice.value, env)
                           for element in node.slice if isinstance(element.slice, cst.Index))
            for element in node.slice:
                if isinstance(element.slice, cst.Slice):
                    for part in (element.slice.lower, element.slice.upper, element.slice.step):
                        if part is not None:
                            index = index | self.expression(part, env)
            return base | _convert(index, _POSITIONAL)
        if isinstance(node, (cst.BinaryOperation, cst.BooleanOperation)):
            return _convert(self.expression(node.left, env) | self.expression(node.right, env),
                            _UNKNOWN_RESULT)
        if isinstance(node, cst.UnaryOperation):
            return _convert(self.expression(node.expression, env), _UNKNOWN_RESULT)
        if isinstance(node, cst.Comparison):
            parts = [self.expression(node.left, env)]
            parts += [self.expression(target.comparator, env) for target in node.comparisons]
            return _convert(_union(parts), _STRING)
        if isinstance(node, cst.IfExp):
            return (_convert(self.expression(node.test, env), _STRING)
                    | self.expression(node.body, env) | self.expression(node.orelse, env))
        if isinstance(node, (cst.List, cst.Tuple)):
            return _union(self.element(item, env) for item in node.elements)
        if isinstance(node, cst.Set):
            taints = _convert(_union(self.element(item, env) for item in node.elements), _AS_SET)
            return taints | self.display(node)
        if isinstance(node, cst.Dict):
            parts = []
            for item in node.elements:
                if isinstance(item, cst.DictElement):
                    parts.append(self.expression(item.key, env))
                    parts.append(self.expression(item.value, env))
                else:
                    parts.append(self.expression(item.value, env))
            return _union(parts)
        if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
            return self.comprehension(node, env)
        if isinstance(node, cst.FormattedString):
            return _convert(_union(self.expression(part.expression, env) for part in node.parts
                                   if isinstance(part, cst.FormattedStringExpression)), _STRING)
        if isinstance(node, cst.ConcatenatedString):
            return self.expression(node.left, env) | self.expression(node.right, env)
        if isinstance(node, cst.NamedExpr):
            taints = self.expression(node.value, env)
            self.bind_target(node.target, taints, node.value, env)
            return taints
        return EMPTY

    def element(self, item, env: _Env) -> frozenset:
        taints = self.expression(item.value, env)
        if isinstance(item, cst.StarredElement):
            return _convert(taints, _ITERATED)
        return taints

    def display(self, node) -> frozenset:
        found = []
        for rule in self.display_rules:
            taint = rule.display_source(node, self.statement)
            if taint is not None:
                found.append(taint)
        return frozenset(found)

    def comprehension(self, node, env: _Env) -> frozenset:
        inner = _Env(env)
        order = EMPTY
        conditions = EMPTY
        clause = node.for_in
        while clause is not None:
            iterated = self.expression(clause.iter, inner)
            order = order | frozenset(t for t in iterated if t.kind in (ORDER, UNORDERED))
            self.bind_iteration_target(clause.target, clause.iter, iterated, inner)
            for condition in clause.ifs:
                conditions = conditions | self.expression(condition.test, inner)
            clause = clause.inner_for_in
        if isinstance(node, cst.DictComp):
            produced = self.expression(node.key, inner) | self.expression(node.value, inner)
        else:
            produced = self.expression(node.elt, inner)
        conditions = _convert(conditions, _STRING)
        if isinstance(node, cst.SetComp):
            return _convert(produced, _AS_SET) | conditions | self.display(node)
        if isinstance(node, cst.DictComp):
            return produced | conditions | _convert(order, _AS_DICT)
        return produced | conditions | _convert(order, _ITERATED)

    # -- calls ----------------------------------------------------------

    def call(self, node: cst.Call, env: _Env) -> frozenset:
        names = self.parsed.qualified_names(node.func) if _is_reference(node.func) else EMPTY
        if self.task_created(node, names, env):
            return EMPTY   # a task's identity is its own hash: the facts stop here
        if names & api.TASK_GENERATORS or names & api.COMPOUND_GENERATORS:
            # TaskGenerator(f) on its own: a task function is declared here.
            if node.args:
                self.declared_task_function(node, node.args[0].value, env,
                                            "TaskGenerator" if names & api.TASK_GENERATORS
                                            else "CompoundTaskGenerator")
            return EMPTY

        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
        if isinstance(node.func, cst.Attribute):
            receiver = self.expression(node.func.value, env)
        elif isinstance(node.func, cst.Name):
            receiver = env.taint(node.func.value)
        else:
            receiver = self.expression(node.func, env)
        arg_taints = [self.expression(arg.value, env) for arg in node.args]
        if names & api.TASK_VALUES:
            return EMPTY

        imported = self.parsed.imported_names(node.func) if names else EMPTY
        site = CallSite(node=node, qualified_names=names, imported_names=imported,
                        method=method, args=node.args,
                        arg_taints=arg_taints, receiver_taint=receiver,
                        jugfile_classes=self.env.classes, statement=self.statement)
        sources = []
        for rule in self.source_rules:
            found = rule.source(site)
            if found is None:
                continue
            if isinstance(found, Taint):
                sources.append(found)
            else:
                sources.extend(found)
        sources = frozenset(sources)

        arguments = _union(arg_taints)
        if names & _ORDER_CLEARING:
            result = _convert(arguments, _CLEARED)
        elif names & _REDUCTIONS:
            result = _convert(arguments, {ORDER: None, UNORDERED: None, PICKLED: None})
        elif names & _STRINGIFY:
            result = _convert(arguments, _STRING)
        elif names & _SEQUENCES:
            result = _convert(arguments, _ITERATED)
        elif names & _SETS:
            result = _convert(arguments, _AS_SET)
        elif "builtins.dict" in names:
            result = _convert(arguments, _AS_DICT)
        elif "builtins.next" in names:
            result = _convert(arguments, _POSITIONAL)
        elif method == "join":
            result = _convert(arguments, _STRING)
        else:
            result = _convert(arguments, _UNKNOWN_RESULT)
        if not names & _CONTAINERS:
            result = _convert(result, _UNKNOWN_RESULT)  # containers keep pickled objects

        if method in ("pop", "popitem"):
            receiver = _convert(receiver, _SUBSCRIPT if node.args else _POSITIONAL)
        self.mutation(node, names, method, receiver, arguments, sources, env)
        return sources | result | _convert(receiver, _UNKNOWN_RESULT)

    def mutation(self, node: cst.Call, names, method, receiver, arguments, sources, env: _Env):
        """``xs.sort()``, ``xs.append(x)``, ``random.shuffle(xs)`` change ``xs``."""
        if method is not None and isinstance(node.func.value, cst.Name):
            name = node.func.value.value
            if method == "sort":
                env.taints[name] = _convert(env.taint(name), _CLEARED)
            elif method == "extend":
                env.taints[name] = env.taint(name) | _convert(arguments, _ITERATED)
            elif method in _ORDERED_MUTATORS:
                env.taints[name] = env.taint(name) | arguments
            elif method in _UNORDERED_MUTATORS:
                env.taints[name] = env.taint(name) | _convert(arguments, _AS_SET)
        if method == "shuffle" and receiver and node.args:   # an unseeded generator's shuffle
            self.shuffled(node.args[0].value, receiver, env)
        if sources and node.args and any(name.endswith(".shuffle") for name in names):
            self.shuffled(node.args[0].value, sources, env)

    def shuffled(self, target, taints, env: _Env):
        if isinstance(target, cst.Name):
            env.taints[target.value] = env.taint(target.value) | _convert(
                frozenset(t for t in taints if t.kind == VALUE), {VALUE: ORDER})

    # -- task creation ----------------------------------------------------

    def task_created(self, node: cst.Call, names: frozenset, env: _Env) -> bool:
        """If ``node`` creates a task, report its arguments' facts and return True."""
        spec = self.task_spec(node, names, env)
        if spec is None:
            return False
        task_name, creator, function_node, is_lambda, arguments = spec
        reported_args = []
        for label, expression, mode in arguments:
            taints = self.expression(expression, env)
            if mode == "sequence":
                taints = _convert(taints, _ITERATED)
            elif mode == "keywords":
                taints = _convert(taints, {ORDER: None, UNORDERED: None})
            for taint in sorted(taints, key=lambda t: (t.code, t.description)):
                if taint.kind == UNORDERED:
                    continue
                reported_args.append((label, expression, taint))
        for label, expression, taint in reported_args:
            self.report_flow(label, expression, taint, task_name)
        self.check_task(TaskCall(node=node, task_name=task_name, creator=creator,
                                 function_node=function_node, function_is_lambda=is_lambda))
        return True

    def task_spec(self, node: cst.Call, names: frozenset, env: _Env):
        """``(task name, creator, function node, is lambda, [(label, expr, mode)])``
        when ``node`` creates a task, else None."""
        args = list(node.args)
        for name in sorted(names):
            if name in api.FUNCTION_FIRST and args and args[0].keyword is None:
                creator = api.FUNCTION_FIRST[name]
                function = args[0].value
                if creator in api.COMPOUND_CREATORS and isinstance(function, cst.Name):
                    self.compound_functions.add(function.value)
                elif isinstance(function, cst.Name) and function.value in self.definitions:
                    self.task_definitions.setdefault(function.value, False)
                parameters, is_lambda = self.function_facts(function, env)
                return (_function_name(function), creator, function, is_lambda,
                        _labelled(args[1:], parameters))
            if name in api.MAPREDUCE:
                return self.mapreduce_spec(api.MAPREDUCE[name], args, env)
            if name in api.BUILTIN_TASKS:
                task_name, parameters = api.BUILTIN_TASKS[name]
                return (task_name, task_name, None, False, _labelled(args, parameters))
        if isinstance(node.func, cst.Name):
            task = env.task(node.func.value)
            if task is not None:
                return (task.name, task.name, None, False, _labelled(args, task.parameters))
        if isinstance(node.func, cst.Call) and node.func.args and _is_reference(node.func.func):
            inner = self.parsed.qualified_names(node.func.func)
            if inner & api.TASK_GENERATORS or inner & api.COMPOUND_GENERATORS:
                function = node.func.args[0].value
                parameters, is_lambda = self.function_facts(function, env)
                return (_function_name(function), "TaskGenerator", function, is_lambda,
                        _labelled(args, parameters))
        return None

    def mapreduce_spec(self, signature: api.MapReduceSignature, args, env: _Env):
        bound = {}
        arguments = []
        for index, arg in enumerate(args):
            if arg.keyword is not None:
                bound[arg.keyword.value] = arg
            elif not arg.star and index < len(signature.parameters):
                bound[signature.parameters[index]] = arg
            else:
                arguments.append((_star_label(arg, index), arg.value, "value"))
        function = bound.get(signature.task_function())
        function_node = function.value if function is not None else None
        is_lambda = False
        for parameter in signature.functions:
            if parameter in bound:
                _, lambda_here = self.function_facts(bound[parameter].value, env)
                if lambda_here:
                    function_node, is_lambda = bound[parameter].value, True
                value = bound[parameter].value
                if isinstance(value, cst.Name) and value.value in self.definitions:
                    self.task_definitions.setdefault(value.value, False)
        for parameter, arg in bound.items():
            if parameter in signature.functions:
                continue
            mode = "sequence" if parameter == signature.sequence else "value"
            arguments.append((f"argument `{parameter}` ({signature.display})", arg.value, mode))
        name = _function_name(function_node) if function_node is not None else signature.display
        return (name, signature.display, function_node, is_lambda, arguments)

    def function_facts(self, function, env: _Env) -> tuple:
        """``(parameters, is_lambda)`` of the expression naming a task's function."""
        if isinstance(function, cst.Lambda):
            return _lambda_parameters(function), True
        if isinstance(function, cst.Name):
            task = env.task(function.value)
            if task is not None:
                return task.parameters, task.is_lambda
            return env.parameters(function.value), env.is_lambda(function.value)
        return None, False

    def declared_task_function(self, node, function, env: _Env, creator: str):
        _, is_lambda = self.function_facts(function, env)
        if isinstance(function, cst.Name) and function.value in self.definitions:
            self.task_definitions.setdefault(function.value, creator == "CompoundTaskGenerator")
        self.check_task(TaskCall(node=node, task_name=_function_name(function), creator=creator,
                                 function_node=function, function_is_lambda=is_lambda))

    def check_task(self, call: TaskCall, statement: int | None = None):
        statement = self.statement if statement is None else statement
        for rule in self.task_rules:
            for report in rule.check_task_call(call):
                self.add(rule.code, report.message, report.node, statement)

    def report_flow(self, label: str, expression, taint: Taint, task_name: str):
        rule = self.rules_by_code.get(taint.code)
        if rule is None:
            return
        line, _ = self.parsed.position(taint.node, taint.statement)
        message = rule.flow_message(taint, line, label, task_name)
        self.add(rule.code, message, expression, self.statement, taint.node, taint.statement)

    def add(self, code, message, node, statement, related_node=None, related_statement=None):
        key = (code, id(node), message)
        if key in self.reported:
            return
        self.reported.add(key)
        self.findings.append(RawFinding(code, message, node, statement, related_node,
                                        related_statement))

    # -- tasks created inside task functions ------------------------------

    def check_task_bodies(self):
        if not self.task_rules:
            return
        tasks = {name: task for name, task in self.env.tasks.items() if task is not None}
        for name, compound in self.task_definitions.items():
            if compound or name in self.compound_functions or name not in self.definitions:
                continue
            definition, statement = self.definitions[name]
            for call in _calls_in(definition.body):
                created = self.created_in_body(call, tasks)
                if created is not None:
                    task_name, creator = created
                    self.check_task(TaskCall(node=call, task_name=task_name, creator=creator,
                                             enclosing_task=name), statement)

    def created_in_body(self, call: cst.Call, tasks: dict):
        if not _is_reference(call.func):
            return None
        names = self.parsed.qualified_names(call.func)
        for name in sorted(names):
            if name in api.FUNCTION_FIRST and call.args:
                return _function_name(call.args[0].value), api.FUNCTION_FIRST[name]
            if name in api.MAPREDUCE:
                return api.MAPREDUCE[name].display, api.MAPREDUCE[name].display
            if name in api.BUILTIN_TASKS:
                return api.BUILTIN_TASKS[name][0], api.BUILTIN_TASKS[name][0]
            if name in tasks:
                return tasks[name].name, tasks[name].name
        return None


# -- small syntactic helpers ---------------------------------------------------

def _block(body) -> list:
    if isinstance(body, cst.IndentedBlock):
        return list(body.body)
    if isinstance(body, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=body.body)]
    return []


def _text(node) -> str:
    return _CODE.code_for_node(node)


def _is_reference(node) -> bool:
    return isinstance(node, (cst.Name, cst.Attribute))


def _function_name(node) -> str:
    if isinstance(node, cst.Lambda):
        return "<lambda>"
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Name):
        return node.value
    return _text(node)


def _base_name(node) -> str | None:
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def _same_shape(target, value) -> bool:
    return (len(target.elements) == len(value.elements)
            and not any(isinstance(item, cst.StarredElement) for item in target.elements)
            and not any(isinstance(item, cst.StarredElement) for item in value.elements))


def _parameters(function: cst.FunctionDef) -> tuple:
    params = function.params
    return tuple(param.name.value for param in list(params.posonly_params) + list(params.params))


def _lambda_parameters(function) -> tuple | None:
    if not isinstance(function, cst.Lambda):
        return None
    params = function.params
    return tuple(param.name.value for param in list(params.posonly_params) + list(params.params))


def _star_label(arg, index: int) -> str:
    if arg.star:
        return f"argument `{arg.star}{_text(arg.value)}`"
    return f"argument {index + 1}"


def _labelled(args, parameters: tuple | None) -> list:
    """``[(label, expression, mode)]`` for the arguments of a task."""
    labelled = []
    position = 0
    for arg in args:
        if arg.keyword is not None:
            labelled.append((f"argument `{arg.keyword.value}`", arg.value, "value"))
        elif arg.star == "**":
            labelled.append((f"argument `**{_text(arg.value)}`", arg.value, "keywords"))
        elif arg.star == "*":
            labelled.append((f"argument `*{_text(arg.value)}`", arg.value, "sequence"))
        else:
            if parameters is not None and position < len(parameters):
                label = f"argument `{parameters[position]}`"
            else:
                label = f"argument {position + 1}"
            labelled.append((label, arg.value, "value"))
            position += 1
    return labelled


class _LoopEffects(cst.CSTVisitor):
    """Names a loop body rebinds, and containers it fills in order or not."""

    def __init__(self):
        self.assigned: set[str] = set()
        self.ordered: set[str] = set()
        self.unordered: set[str] = set()

    def on_visit(self, node):
        # other scopes: their bindings do not outlive them
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.ListComp,
                             cst.SetComp, cst.DictComp, cst.GeneratorExp)):
            return False
        return super().on_visit(node)

    def visit_AssignTarget(self, node):
        self._target(node.target)

    def visit_AnnAssign(self, node):
        self._target(node.target)

    def visit_AugAssign(self, node):
        name = _base_name(node.target)
        if name is not None:
            (self.ordered if isinstance(node.target, cst.Name) else self.unordered).add(name)

    def visit_For(self, node):
        self._target(node.target)

    def visit_NamedExpr(self, node):
        self._target(node.target)

    def visit_Call(self, node):
        if isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name):
            method = node.func.attr.value
            if method in _ORDERED_MUTATORS:
                self.ordered.add(node.func.value.value)
            elif method in _UNORDERED_MUTATORS:
                self.unordered.add(node.func.value.value)

    def _target(self, target):
        if isinstance(target, cst.Name):
            self.assigned.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for item in target.elements:
                self._target(item.value)
        elif isinstance(target, cst.StarredElement):
            self._target(target.value)
        else:
            name = _base_name(target)
            if name is not None:
                self.unordered.add(name)


def _loop_effects(node: cst.For):
    effects = _LoopEffects()
    node.body.visit(effects)
    effects._target(node.target)
    return (effects.assigned - effects.ordered - effects.unordered, effects.ordered,
            effects.unordered)


class _Calls(cst.CSTVisitor):
    def __init__(self):
        self.calls: list[cst.Call] = []

    def visit_Call(self, node):
        self.calls.append(node)


def _calls_in(body) -> list:
    collector = _Calls()
    body.visit(collector)
    return collector.calls
