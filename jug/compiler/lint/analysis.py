"""The data-flow analysis: follow nondeterministic values to task arguments.

The jugfile is *interpreted abstractly*: its statements are walked in
order, as Python would run them, but every value is a
:class:`~jug.compiler.lint.values.Value` -- what is known about it -- and
nothing is ever executed.  A call that a rule recognises as a source
(``random.random()``, ``glob('*.txt')``...) creates a fact; facts flow
through names, containers, unpacking, comprehensions, f-strings and calls;
when a task is created, the facts of its arguments are reported.

What is followed:

* **Functions** of the jugfile and of the user's local modules (see
  source.py) are analysed at each call with the values of its arguments,
  defaults (evaluated where the ``def`` ran) and the variables it closes
  over; what they return flows back.  So do methods of classes defined
  there.  A function analysed once for some arguments (and process state) is
  not analysed again for the same ones; recursion, very deep call chains and
  functions called in very many different ways get a conservative answer
  (the facts of their arguments).
* **Local modules** run (abstractly) when first imported, so a seed or a
  configuration call at their top level counts.
* **Tasks created inside functions** are found wherever the function is
  called from, including ``main()`` under ``if __name__ == '__main__'``.
  A function of the jugfile that nothing calls is analysed once on its own,
  with unknown arguments.  Bodies of task functions are analysed for tasks
  created while a task runs (JUG201), without reporting their data flow:
  what happens inside a task does not change its identity.
* **Control flow**: both branches of an ``if`` may run, a loop may run zero
  times, code after ``return``/``raise`` does not run on that path.  Names
  keep the facts of every path; the *process state* (seeding) keeps only
  what every path did (:class:`~jug.compiler.lint.model.ProcessState`).

Facts have a *kind* that says how they propagate (values.py):

* ``value``: the value differs between runs.  Survives everything but a task
  boundary (a task's result is identified by its own hash).
* ``order``: a sequence in an order that differs between runs (a directory
  listing).  ``sorted()`` (with a key that cannot tie), ``len()``,
  ``min()``, ``set()``... clear it; an element taken out of it by position
  (``files[0]``, ``enumerate``, a slice) becomes a ``value``; iterating over
  it (``for f in files``) gives clean elements but makes a list built in the
  loop ``order``-tainted.
* ``unordered``: a set or a dict whose hash does not depend on order but whose
  iteration order does.  Passing it to a task is fine; ``list(s)``,
  ``','.join(s)``, a comprehension over it or ``mapreduce.map`` over it make it
  ``order``.
* ``pickled``: an object the canonical hash does not know (an instance of a
  class, a DataFrame).  Survives names, containers and item access.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import os

from jug.compiler.lint import api, semantics
from jug.compiler.lint.model import (ORDER, UNORDERED, VALUE, Argument, CallSite,
                                     DisplaySite, FixSite, LintRule, ProcessState, StoreSite,
                                     Taint, TaskCall)
from jug.compiler.lint.scopes import (BodyFacts, ClassRef, Frame, FunctionRef, ModuleInfo,
                                      instance_value)
from jug.compiler.lint.source import ParsedFile, PythonSyntaxError, SourceCache
from jug.compiler.lint.values import (AS_DICT, AS_SET, CLEARED, EMPTY, NONE,
                                      ORDERABLE, POSITIONAL, STR, STRING, SUBSCRIPT, TASK,
                                      UNKNOWN, UNKNOWN_RESULT, BoundMethod, InstanceRef, Qual,
                                      TaskGenRef, TaskRef, Value, constant, convert,
                                      element_of, join, scalar_type, union)

MAX_DEPTH = 24        # nested calls of analysed functions
MAX_CONTEXTS = 24     # different argument values one function is analysed for
_BUILTINS = frozenset(dir(builtins))
TASK_VALUE = Value(refs=frozenset({TASK}))


@dataclasses.dataclass(frozen=True)
class RawFinding:
    """A report before noqa, configuration and merging: a flow of ``taints``
    into ``argument`` of ``task`` (``message`` None), or a rule's message."""

    code: str
    path: str
    line: int
    column: int
    message: str | None = None
    taints: tuple = ()
    argument: str = ""
    task: str = ""


@dataclasses.dataclass(frozen=True)
class ModuleProblem:
    """A local module that was imported but could not be parsed."""

    path: str
    error: object
    imported_from: str
    line: int


class _State:
    __slots__ = ("vars", "process", "alive")

    def __init__(self, variables, process, alive):
        self.vars = variables
        self.process = process
        self.alive = alive


class Activation:
    """One running function (or module top level) of the analysis."""

    __slots__ = ("frame", "function", "returns", "yields", "yield_taints", "task_mode",
                 "at_import", "loops")

    def __init__(self, frame: Frame, function, task_mode, at_import):
        self.frame = frame
        self.function = function
        self.returns: list = []           # (Value, ProcessState)
        self.yields: list = []
        self.yield_taints = EMPTY
        self.task_mode = task_mode        # name of the task function whose body this is
        self.at_import = at_import
        self.loops: list = []             # per enclosing loop: states at break, continue


def analyse(parsed: ParsedFile, rules, cache: SourceCache | None = None):
    """Run ``rules`` (fresh instances) over the program rooted at ``parsed``;
    returns ``(raw findings, module problems, uses jug)``."""
    analysis = Analysis(parsed, list(rules), cache or SourceCache())
    analysis.run()
    return analysis.findings, analysis.module_problems, analysis.uses_jug


class Analysis:
    def __init__(self, root: ParsedFile, rules: list[LintRule], cache: SourceCache):
        self.root = root
        self.cache = cache
        cache.add(root)
        self.rules_by_code = {rule.code: rule for rule in rules}
        self.source_rules = [r for r in rules if type(r).source is not LintRule.source]
        self.display_rules = [r for r in rules
                              if type(r).display_source is not LintRule.display_source]
        self.task_rules = [r for r in rules
                           if type(r).check_task_call is not LintRule.check_task_call]
        self.call_rules = [r for r in rules if type(r).check_call is not LintRule.check_call]
        self.store_rules = [r for r in rules if type(r).check_store is not LintRule.check_store]
        self.findings: list[RawFinding] = []
        self.module_problems: list[ModuleProblem] = []
        self.uses_jug = False
        self.process = ProcessState()
        self.alive = True
        self.memo: dict = {}
        self.stack: list = []
        self.modules: dict[str, ModuleInfo] = {}
        # local modules are searched next to the jugfile, named the way the
        # jugfile was (a relative path gives relative paths in findings)
        directory = (os.path.dirname(root.path) or os.curdir) if root.path != "<string>" \
            else None
        self.search = [directory] if directory else []
        self.root_functions: list[FunctionRef] = []
        self.called: set = set()
        self.task_functions: dict = {}     # id -> (FunctionRef, task name)
        self.task_analysed: set = set()
        self.act: Activation = None
        self.module: ModuleInfo = None
        self._loop_cache: dict = {}     # id(node) -> effects; the trees outlive the run
        self._facts_cache: dict = {}

    # -- running -------------------------------------------------------------

    def run(self):
        name = os.path.basename(self.root.path)
        name = name[:-3] if name.endswith(".py") else name
        info = ModuleInfo(name or "jugfile", self.root.path, self.root, "")
        self.modules[info.name] = info
        info.frame.vars["__name__"] = STR
        info.frame.vars["__file__"] = STR
        self.run_module(info, at_import=True)
        end_state = self.process.copy()
        # Functions nobody called (as where they were defined: a seed after the
        # def does not cover a call nobody makes), and task bodies, until no
        # new ones appear.
        while True:
            pending = [(fn, name) for key, (fn, name) in self.task_functions.items()
                       if key not in self.task_analysed]
            uncalled = [fn for fn in self.root_functions
                        if fn not in self.called and id(fn) not in self.task_functions]
            if not pending and not uncalled:
                break
            for fn, task_name in pending:
                self.task_analysed.add(id(fn))
                self.process = end_state.copy()
                self.call_function(fn, [], None, task_mode=task_name,
                                   at_import=False)
            for fn in uncalled:
                self.process = (fn.defined_state or end_state).copy()
                receiver = instance_value(fn.cls, EMPTY) if fn.cls is not None and \
                    fn.kind == "function" else None
                self.call_function(fn, [], None, receiver=receiver,
                                   task_mode=None, at_import=False)
                self.called.add(fn)

    def run_module(self, info: ModuleInfo, at_import: bool, task_mode=None):
        saved = (self.act, self.module, self.alive)
        self.act = Activation(info.frame, None, task_mode, at_import)
        self.module = info
        self.alive = True
        try:
            self.block(info.parsed.tree.body)
        finally:
            info.loading = False
            self.act, self.module, self.alive = saved

    @property
    def frame(self) -> Frame:
        return self.act.frame

    @property
    def path(self) -> str:
        return self.module.path

    @property
    def parsed(self) -> ParsedFile:
        return self.module.parsed

    # -- branching -------------------------------------------------------------

    def snapshot(self) -> _State:
        return _State(dict(self.frame.vars), self.process.copy(), self.alive)

    def restore(self, state: _State):
        self.frame.vars = dict(state.vars)
        self.process = state.process.copy()
        self.alive = state.alive

    def merge(self, states):
        live = [state for state in states if state.alive]
        if not live:
            self.restore(states[0])
            self.alive = False
            return
        if len(live) == 1:
            self.restore(live[0])
            return
        variables = dict(live[0].vars)
        for state in live[1:]:
            for name, value in state.vars.items():
                old = variables.get(name)
                if old is None:
                    variables[name] = value
                elif old is not value:
                    variables[name] = join([old, value])
        self.frame.vars = variables
        self.process = ProcessState.join([state.process for state in live])
        self.alive = True

    # -- statements ------------------------------------------------------------

    def block(self, statements):
        for statement in statements:
            if not self.alive:
                return
            handler = self._statements.get(type(statement))
            if handler is not None:
                handler(self, statement)

    def s_expr(self, node):
        self.expr(node.value)

    def s_assign(self, node):
        value = self.expr(node.value)
        for target in node.targets:
            self.assign(target, value)

    def s_annassign(self, node):
        if node.value is not None:
            self.assign(node.target, self.expr(node.value))

    def s_augassign(self, node):
        value = self.expr(node.value)
        current = self.expr(node.target)
        combined = semantics.binary(self, node.op, current, value)
        if isinstance(node.target, ast.Name):
            self.bind(node.target.id, combined)
        else:
            self.assign(node.target, combined)

    def s_return(self, node):
        value = self.expr(node.value) if node.value is not None else NONE
        self.act.returns.append((value, self.process.copy()))
        self.alive = False

    def s_raise(self, node):
        if node.exc is not None:
            self.expr(node.exc)
        self.alive = False

    def s_break(self, node):
        if self.act.loops:
            self.act.loops[-1][0].append(self.snapshot())
        self.alive = False

    def s_continue(self, node):
        if self.act.loops:
            self.act.loops[-1][1].append(self.snapshot())
        self.alive = False

    def s_delete(self, node):
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.frame.vars.pop(target.id, None)

    def s_if(self, node):
        test = node.test
        if isinstance(test, ast.Constant):
            self.block(node.body if test.value else node.orelse)
            return
        self.expr(test)
        entry = self.snapshot()
        self.block(node.body)
        after_body = self.snapshot()
        self.restore(entry)
        self.block(node.orelse)
        self.merge([after_body, self.snapshot()])

    def s_for(self, node):
        iterable = self.expr(node.iter)
        order = frozenset(t for t in self.iterated(iterable, node.iter)
                          if t.kind == ORDER)
        entry = self.snapshot()
        self.act.loops.append(([], []))
        self.assign(node.target, element_of(iterable), iteration=True)
        self.block(node.body)
        end = self.snapshot()
        breaks, continues = self.act.loops.pop()
        self.merge([entry, end] + continues + breaks)
        if node.orelse:
            self.block(node.orelse)
            self.alive = True
        if order:
            self.loop_effects(node, order)

    def s_while(self, node):
        self.expr(node.test)
        infinite = isinstance(node.test, ast.Constant) and bool(node.test.value)
        entry = self.snapshot()
        self.act.loops.append(([], []))
        self.block(node.body)
        end = self.snapshot()
        breaks, continues = self.act.loops.pop()
        if not infinite:
            self.merge([entry, end] + continues + breaks)
        elif breaks:
            self.merge(breaks)      # `while True:` ends only at a break
        else:
            self.alive = False      # ... or never (or by return/raise)
            return
        if node.orelse and self.alive:
            self.block(node.orelse)

    def s_with(self, node):
        for item in node.items:
            value = self.expr(item.context_expr)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, value.replace(
                    taints=convert(value.taints, UNKNOWN_RESULT), refs=EMPTY,
                    type=value.type if value.type == "str" else None))
        self.block(node.body)

    def s_try(self, node):
        entry = self.snapshot()
        self.block(node.body)
        after_body = self.snapshot()
        self.merge([entry, after_body])
        handler_start = self.snapshot()
        self.restore(after_body)
        self.block(node.orelse)
        ends = [self.snapshot()]
        for handler in node.handlers:
            self.restore(handler_start)
            self.alive = True
            if handler.type is not None:
                self.expr(handler.type)
            if handler.name:
                self.bind(handler.name, UNKNOWN)
            self.block(handler.body)
            ends.append(self.snapshot())
        self.merge(ends)
        if node.finalbody:
            alive = self.alive
            self.alive = True
            self.block(node.finalbody)
            self.alive = self.alive and alive

    def s_match(self, node):
        subject = self.expr(node.subject)
        entry = self.snapshot()
        ends = []
        exhaustive = False
        for case in node.cases:
            self.restore(entry)
            for name in _pattern_names(case.pattern):
                self.bind(name, Value(convert(subject.taints, POSITIONAL)))
            if case.guard is not None:
                self.expr(case.guard)
            self.block(case.body)
            ends.append(self.snapshot())
            if isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None \
                    and case.guard is None:
                exhaustive = True
        if not exhaustive:
            ends.append(entry)
        self.merge(ends)

    def s_function(self, node):
        defaults = tuple(self.expr(default) for default in node.args.defaults)
        kw_defaults = tuple(self.expr(default) if default is not None else None
                            for default in node.args.kw_defaults)
        closure = self.frame
        while closure.kind == "class":
            closure = closure.parent
        cls = self._defining_class
        function = FunctionRef(node, self.module, closure, defaults, kw_defaults,
                               self.body_facts(node), cls)
        function.defined_state = self.process.copy()
        value = Value(refs=frozenset({function}))
        for decorator in reversed(node.decorator_list):
            value = self.decorate(self.expr(decorator), value, function, decorator)
        if self.module is self.modules_root:
            self.root_functions.append(function)
        self.bind(node.name, value)

    _defining_class = None

    def decorate(self, decorator: Value, value: Value, function: FunctionRef, node) -> Value:
        names = semantics.names_of(decorator)
        if names & api.TASK_GENERATORS or names & api.COMPOUND_GENERATORS:
            compound = bool(names & api.COMPOUND_GENERATORS)
            self.uses_jug = True
            if not compound:
                self.task_functions[id(function)] = (function, function.name)
            return Value(refs=frozenset({TaskGenRef(function.name, function,
                                                    function.positional, compound)}))
        if "builtins.staticmethod" in names:
            function.kind = "staticmethod"
        elif "builtins.classmethod" in names:
            function.kind = "classmethod"
        elif "builtins.property" in names or "functools.cached_property" in names:
            function.kind = "property"
        return value   # other decorators are assumed to keep the function's behaviour

    def s_class(self, node):
        bases = [self.expr(base) for base in node.bases]
        for keyword in node.keywords:
            self.expr(keyword.value)
        decorators = [self.expr(decorator) for decorator in node.decorator_list]
        frame = Frame("class", self.module, self.frame)
        saved_act, saved_class = self.act, self._defining_class
        self.act = Activation(frame, None, saved_act.task_mode, saved_act.at_import)
        cls = ClassRef.__new__(ClassRef)   # methods need it while the body runs
        self._defining_class = cls
        alive = self.alive
        try:
            self.block(node.body)
        finally:
            self.act, self._defining_class = saved_act, saved_class
            self.alive = alive
        is_dataclass = any(name.endswith("dataclass") for value in decorators
                           for name in semantics.names_of(value))
        ClassRef.__init__(cls, node, self.module, frame, bases, is_dataclass)
        self.bind(node.name, Value(refs=frozenset({cls})))

    def s_import(self, node):
        for alias in node.names:
            if api.is_jug(alias.name):
                self.uses_jug = True
            info = self.import_module(alias.name, node)
            if alias.asname:
                value = Value(refs=frozenset({info})) if info is not None else Value(
                    refs=frozenset({Qual(alias.name)}))
                self.bind(alias.asname, value)
            else:
                first = alias.name.split(".")[0]
                top = self.modules.get(first) if info is not None else None
                value = Value(refs=frozenset({top})) if top is not None else Value(
                    refs=frozenset({Qual(first)}))
                self.bind(first, value)

    def s_importfrom(self, node):
        module = self.absolute_module(node)
        if module is None:
            for alias in node.names:
                if alias.name != "*":
                    self.bind(alias.asname or alias.name, UNKNOWN)
            return
        if api.is_jug(module):
            self.uses_jug = True
        info = self.import_module(module, node)
        for alias in node.names:
            if alias.name == "*":
                if info is not None:
                    for name, value in list(info.frame.vars.items()):
                        if not name.startswith("_"):
                            self.bind(name, value)
                elif module == "jug":
                    for name in api.STAR_NAMES:
                        self.bind(name, Value(refs=frozenset({Qual(f"jug.{name}")})))
                else:
                    self.frame.star_modules.append(module)
                continue
            if info is not None:
                value = info.frame.vars.get(alias.name)
                if value is None:
                    sub = self.import_module(f"{module}.{alias.name}", node)
                    value = Value(refs=frozenset({sub})) if sub is not None else UNKNOWN
            else:
                value = Value(refs=frozenset({Qual(f"{module}.{alias.name}")}))
            self.bind(alias.asname or alias.name, value)

    _statements = {}

    # -- modules ---------------------------------------------------------------

    @property
    def modules_root(self) -> ModuleInfo:
        return next(iter(self.modules.values()))

    def absolute_module(self, node: ast.ImportFrom) -> str | None:
        if not node.level:
            return node.module
        package = self.module.package.split(".") if self.module.package else []
        if node.level - 1 > len(package) or not self.module.package:
            return None
        base = package[:len(package) - (node.level - 1)]
        return ".".join(base + ([node.module] if node.module else [])) or None

    def import_module(self, name: str, node) -> ModuleInfo | None:
        """Import local module ``name`` (running its top level the first
        time), or None when it is not a local module."""
        info = self.modules.get(name)
        if info is not None:
            return info
        if not self.search or api.is_jug(name):
            return None
        path = self.cache.find_module(name, self.search)
        if path is None:
            return None
        if "." in name:
            parent = self.import_module(name.rsplit(".", 1)[0], node)
        else:
            parent = None
        try:
            parsed = self.cache.parse(path)
        except (PythonSyntaxError, OSError, UnicodeDecodeError, SyntaxError) as error:
            self.module_problems.append(ModuleProblem(path, error, self.path, node.lineno))
            return None
        package = name if os.path.basename(path) == "__init__.py" else name.rpartition(".")[0]
        info = ModuleInfo(name, path, parsed, package)
        info.frame.vars["__name__"] = STR
        info.frame.vars["__file__"] = STR
        self.modules[name] = info
        if parent is not None:
            parent.frame.vars.setdefault(name.rsplit(".", 1)[1], Value(refs=frozenset({info})))
        self.run_module(info, self.act.at_import, self.act.task_mode)
        return info

    def add_search_path(self, value_node):
        if isinstance(value_node, ast.Constant) and isinstance(value_node.value, str) \
                and self.search:
            directory = os.path.normpath(os.path.join(self.search[0], value_node.value))
            if directory not in self.search:
                self.search.append(directory)

    # -- names -----------------------------------------------------------------

    def lookup(self, name: str, frame: Frame | None = None) -> Value:
        frame = frame or self.frame
        if name in frame.globals_:
            frame = frame.module_frame()
        start = frame
        while frame is not None:
            if frame.kind == "class" and frame is not start:
                frame = frame.parent
                continue
            value = frame.vars.get(name)
            if value is not None:
                return value
            if frame.star_modules:
                return Value(refs=frozenset(Qual(f"{module}.{name}")
                                            for module in frame.star_modules))
            frame = frame.parent
        if name in _BUILTINS:
            return Value(refs=frozenset({Qual(f"builtins.{name}")}))
        return UNKNOWN

    def bind(self, name: str, value: Value):
        frame = self.frame
        if frame.kind == "comprehension":
            frame.vars[name] = value
            return
        if name in frame.globals_:
            frame.module_frame().vars[name] = value
        elif name in frame.nonlocals:
            owner = frame.parent.owner(name) if frame.parent is not None else None
            (owner or frame).vars[name] = value
        else:
            frame.vars[name] = value

    def bind_outside_comprehension(self, name: str, value: Value):
        frame = self.frame
        while frame.kind == "comprehension":
            frame = frame.parent
        frame.vars[name] = value

    def add_taints(self, name: str, taints: frozenset, value: Value | None = None):
        """The object bound to ``name`` changed (``xs.append(x)``)."""
        owner = self.frame.owner(name)
        if owner is None:
            return
        old = owner.vars[name]
        new = old.with_taints(old.taints | taints) if value is None else value
        owner.vars[name] = new

    def assign(self, target, value: Value, iteration: bool = False):
        if isinstance(target, ast.Name):
            self.bind(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.unpack(target.elts, value)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value)
        elif isinstance(target, ast.Attribute):
            self.store_attribute(target, value)
        elif isinstance(target, ast.Subscript):
            self.store_item(target, value)

    def unpack(self, targets, value: Value):
        starred = [i for i, target in enumerate(targets) if isinstance(target, ast.Starred)]
        items = value.items
        if items is not None and all(isinstance(key, int) for key, _ in items) and (
                len(items) == len(targets) if not starred else len(items) >= len(targets) - 1):
            values = [item for _, item in items]
            if starred:
                index = starred[0]
                after = len(targets) - index - 1
                rest = values[index:len(values) - after]
                values = values[:index] + [Value(union(v.taints for v in rest), type="list",
                                                 element=join(rest) if rest else None)] + \
                    values[len(values) - after:]
            for target, item in zip(targets, values):
                self.assign(target, item)
            return
        element = element_of(value)
        positional = element.with_taints(element.taints | convert(value.taints, POSITIONAL))
        for target in targets:
            if isinstance(target, ast.Starred):
                self.assign(target.value, Value(value.taints, type="list", element=element))
            else:
                self.assign(target, positional)

    def store_attribute(self, target: ast.Attribute, value: Value):
        obj = self.expr(target.value)
        for ref in obj.refs:
            if isinstance(ref, InstanceRef):
                ref.cls.store(target.attr, value)
            elif isinstance(ref, ModuleInfo):
                ref.frame.vars[target.attr] = value
            elif isinstance(ref, ClassRef):
                ref.frame.vars[target.attr] = value
            elif isinstance(ref, Qual):
                self.stored(target, f"{ref.name}.{target.attr}")

    def store_item(self, target: ast.Subscript, value: Value):
        base = self.expr(target.value)
        index = self.expr(target.slice)
        for ref in base.refs:
            if isinstance(ref, Qual):
                self.stored(target, ref.name)
        name = _base_name(target)
        if name is None:
            return
        taints = value.taints | convert(index.taints, POSITIONAL)
        if isinstance(target.value, ast.Name) and isinstance(target.slice, ast.Constant) \
                and base.items is not None and len(base.items) < 16:
            key = target.slice.value
            items = tuple((k, v) for k, v in base.items if not (k == key and type(k) is
                                                                 type(key))) + ((key, value),)
            self.add_taints(name, EMPTY, base.replace(taints=base.taints | taints, items=items))
        else:
            self.add_taints(name, taints)

    def stored(self, node, qualified_name: str):
        if not self.store_rules or not self.act.at_import or self.act.task_mode:
            return
        site = StoreSite(node, self.path, qualified_name)
        for rule in self.store_rules:
            for report in rule.check_store(site):
                self.report(rule.code, report.node, report.message)

    # -- loops -----------------------------------------------------------------

    def loop_effects(self, node, order: frozenset):
        effects = self._loop_cache.get(id(node))
        if effects is None:
            effects = self._loop_cache[id(node)] = _loop_effects(node)
        assigned, ordered, unordered, yields = effects
        for name in assigned:
            self.add_taints(name, convert(order, POSITIONAL))
        for name in ordered:
            self.add_taints(name, order)
        for name in unordered:
            self.add_taints(name, convert(order, {ORDER: UNORDERED}))
        if yields:
            self.act.yield_taints = self.act.yield_taints | order


    def body_facts(self, node) -> BodyFacts:
        facts = self._facts_cache.get(id(node))
        if facts is None:
            facts = self._facts_cache[id(node)] = (node, BodyFacts(node))
        return facts[1]


    def iterated(self, value: Value, node) -> frozenset:
        """The facts of ``value`` materialised in its iteration order: a
        set's order becomes an ``order`` fact, which wrapping ``node`` in
        sorted() removes when the elements can be sorted."""
        taints = value.taints
        if not any(taint.kind == UNORDERED for taint in taints):
            return taints
        fix = None
        if element_of(value).type in ORDERABLE and node is not None:
            fix = self.fix_site(node)
        result = set()
        for taint in taints:
            if taint.kind == UNORDERED:
                taint = dataclasses.replace(taint, kind=ORDER,
                                            fix=taint.fix if taint.fix is not None else fix)
            result.add(taint)
        return frozenset(result)

    def fix_site(self, node) -> FixSite:
        line, column, end_line, end_column = self.parsed.span(node)
        return FixSite(self.path, line, column, end_line, end_column)

    # -- expressions -------------------------------------------------------------

    def expr(self, node) -> Value:
        handler = self._expressions.get(type(node))
        if handler is None:
            return UNKNOWN
        return handler(self, node)

    def e_constant(self, node):
        return constant(node.value)

    def e_name(self, node):
        return self.lookup(node.id)

    def e_attribute(self, node):
        return self.attribute(self.expr(node.value), node.attr)

    def attribute(self, obj: Value, attr: str) -> Value:
        results = []
        unknown = not obj.refs
        for ref in obj.refs:
            if isinstance(ref, Qual):
                results.append(Value(refs=frozenset({ref.attribute(attr)}),
                                     type=semantics.qualified_type(f"{ref.name}.{attr}")))
            elif isinstance(ref, ModuleInfo):
                value = ref.frame.vars.get(attr)
                if value is None:
                    sub = self.import_module(f"{ref.name}.{attr}", None) \
                        if not ref.loading else None
                    value = Value(refs=frozenset({sub})) if sub is not None else UNKNOWN
                results.append(value)
            elif isinstance(ref, InstanceRef):
                results.append(self.instance_attribute(ref.cls, obj, attr))
            elif isinstance(ref, ClassRef):
                value = ref.lookup(attr)
                results.append(value if value is not None else UNKNOWN)
            elif isinstance(ref, TaskGenRef):
                results.append(Value(refs=frozenset({ref.function}))
                               if attr == "f" and ref.function is not None else UNKNOWN)
            elif isinstance(ref, TaskRef):
                results.append(UNKNOWN)
            else:
                unknown = True
        if unknown:
            results.append(semantics.attribute_value(obj, attr))
        return join(results)

    def instance_attribute(self, cls: ClassRef, obj: Value, attr: str) -> Value:
        value = cls.attrs.get(attr)
        if value is not None:
            return value
        found = cls.lookup(attr)
        if found is None:
            return Value(convert(obj.taints, UNKNOWN_RESULT))
        bound = []
        for ref in found.refs:
            if isinstance(ref, FunctionRef):
                if ref.kind == "property":
                    return self.call_function(ref, (), None, receiver=obj)
                if ref.kind == "staticmethod":
                    bound.append(ref)
                elif ref.kind == "classmethod":
                    bound.append(BoundMethod(ref, Value(refs=frozenset({cls}))))
                else:
                    bound.append(BoundMethod(ref, obj))
        if bound:
            return Value(refs=frozenset(bound))
        return found

    def e_subscript(self, node):
        base = self.expr(node.value)
        index_node = node.slice
        if isinstance(index_node, ast.Slice):
            index = union(self.expr(part).taints for part in
                          (index_node.lower, index_node.upper, index_node.step)
                          if part is not None)
            taints = convert(base.taints, SUBSCRIPT) | convert(index, POSITIONAL)
            return base.replace(taints=taints, items=None)
        index = self.expr(index_node)
        if isinstance(index_node, ast.Constant):
            item = base.item(index_node.value)
            if item is not None:
                return item
        taints = convert(base.taints, SUBSCRIPT) | convert(index.taints, POSITIONAL)
        element = base.element
        if base.type == "str":
            return Value(taints, type="str")
        if base.type == "dict" and base.items is not None and base.items:
            element = join(value for _, value in base.items)
        if element is not None:
            return element.with_taints(element.taints | convert(taints, {ORDER: VALUE}))
        return Value(taints)

    def e_binop(self, node):
        return semantics.binary(self, node.op, self.expr(node.left), self.expr(node.right))

    def e_boolop(self, node):
        values = [self.expr(value) for value in node.values]
        return join(values).with_taints(convert(union(v.taints for v in values),
                                                UNKNOWN_RESULT))

    def e_unaryop(self, node):
        value = self.expr(node.operand)
        if isinstance(node.op, ast.Not):
            return Value(convert(value.taints, STRING), type="bool")
        return Value(convert(value.taints, UNKNOWN_RESULT), type=value.type)

    def e_compare(self, node):
        taints = self.expr(node.left).taints
        for op, comparator in zip(node.ops, node.comparators):
            value = self.expr(comparator)
            if isinstance(op, (ast.In, ast.NotIn)):
                taints = taints | convert(value.taints, CLEARED)   # membership has no order
            else:
                taints = taints | value.taints
        return Value(convert(taints, STRING), type="bool")

    def e_ifexp(self, node):
        test = self.expr(node.test)
        value = join([self.expr(node.body), self.expr(node.orelse)])
        return value.with_taints(value.taints | convert(test.taints, STRING))

    def e_sequence(self, node):
        values = []
        taints = EMPTY
        for element in node.elts:
            if isinstance(element, ast.Starred):
                inner = self.expr(element.value)
                taints = taints | self.iterated(inner, element.value)
                values.append(None)
                values.append(element_of(inner))
            else:
                value = self.expr(element)
                values.append(value)
                taints = taints | value.taints
        kind = "tuple" if isinstance(node, ast.Tuple) else "list"
        if None in values:
            elements = [value for value in values if value is not None]
            return Value(taints, type=kind, element=join(elements) if elements else None)
        items = tuple(enumerate(values)) if len(values) <= 16 else None
        return Value(taints, type=kind, element=join(values) if values else None, items=items)

    def e_set(self, node):
        values = [element_of(self.expr(e.value)) if isinstance(e, ast.Starred)
                  else self.expr(e) for e in node.elts]
        element = join(values) if values else UNKNOWN
        taints = convert(union(v.taints for v in values), AS_SET)
        return Value(taints | self.display(node, element), type="set", element=element)

    def e_dict(self, node):
        items = []
        taints = EMPTY
        constant_keys = True
        for key, value_node in zip(node.keys, node.values):
            value = self.expr(value_node)
            if key is None:     # {**other}
                taints = taints | value.taints
                constant_keys = False
                continue
            key_value = self.expr(key)
            taints = taints | key_value.taints | value.taints
            if isinstance(key, ast.Constant):
                items.append((key.value, value))
            else:
                constant_keys = False
        return Value(taints, type="dict",
                     items=tuple(items) if constant_keys and len(items) <= 32 else None)

    def e_fstring(self, node):
        taints = EMPTY
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                taints = taints | self.expr(part.value).taints
                if part.format_spec is not None:
                    taints = taints | self.expr(part.format_spec).taints
        return Value(convert(taints, STRING), type="str")

    def e_formatted(self, node):
        return Value(convert(self.expr(node.value).taints, STRING), type="str")

    def e_namedexpr(self, node):
        value = self.expr(node.value)
        self.bind_outside_comprehension(node.target.id, value)
        return value

    def e_lambda(self, node):
        defaults = tuple(self.expr(default) for default in node.args.defaults)
        kw_defaults = tuple(self.expr(default) if default is not None else None
                            for default in node.args.kw_defaults)
        function = FunctionRef(node, self.module, self.frame, defaults, kw_defaults,
                               self.body_facts(node))
        return Value(refs=frozenset({function}))

    def e_starred(self, node):
        return self.expr(node.value)

    def e_await(self, node):
        return self.expr(node.value)

    def e_yield(self, node):
        value = self.expr(node.value) if node.value is not None else NONE
        self.act.yields.append(value)
        self.act.yield_taints = self.act.yield_taints | value.taints
        return UNKNOWN

    def e_yieldfrom(self, node):
        value = self.expr(node.value)
        self.act.yields.append(element_of(value))
        self.act.yield_taints = self.act.yield_taints | self.iterated(value, node.value)
        return UNKNOWN

    def e_comprehension(self, node):
        frame = Frame("comprehension", self.module, self.frame)
        saved = self.act.frame
        order = EMPTY
        conditions = EMPTY
        try:
            for index, generator in enumerate(node.generators):
                if index == 0:
                    iterable = self.expr(generator.iter)   # evaluated outside, as Python does
                    self.act.frame = frame
                else:
                    iterable = self.expr(generator.iter)
                order = order | frozenset(t for t in self.iterated(iterable, generator.iter)
                                          if t.kind == ORDER)
                self.assign(generator.target, element_of(iterable), iteration=True)
                for condition in generator.ifs:
                    conditions = conditions | self.expr(condition).taints
            if isinstance(node, ast.DictComp):
                key = self.expr(node.key)
                value = self.expr(node.value)
                produced = Value(key.taints | value.taints)
            else:
                produced = self.expr(node.elt)
        finally:
            self.act.frame = saved
        conditions = convert(conditions, STRING)
        if isinstance(node, ast.SetComp):
            taints = convert(produced.taints, AS_SET) | conditions
            return Value(taints | self.display(node, produced), type="set", element=produced)
        if isinstance(node, ast.DictComp):
            return Value(produced.taints | conditions | convert(order, AS_DICT), type="dict")
        element = produced.with_taints(produced.taints | conditions)
        return Value(produced.taints | conditions | order, type="list", element=element)

    def display(self, node, element: Value) -> frozenset:
        if not self.display_rules:
            return EMPTY
        line, column = self.parsed.position(node)
        site = DisplaySite(node, self.path, line, column, self.parsed.segment(node, 40),
                           scalar_type(element))
        found = []
        for rule in self.display_rules:
            taint = rule.display_source(site)
            if taint is not None:
                found.append(taint)
        return frozenset(found)

    # -- calls -----------------------------------------------------------------------

    def arguments(self, node: ast.Call) -> list:
        """``[(keyword, star, node, Value)]`` of a call."""
        args = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                args.append((None, "*", arg.value, self.expr(arg.value)))
            else:
                args.append((None, "", arg, self.expr(arg)))
        for keyword in node.keywords:
            if keyword.arg is None:
                args.append((None, "**", keyword.value, self.expr(keyword.value)))
            else:
                args.append((keyword.arg, "", keyword.value, self.expr(keyword.value)))
        return args

    def e_call(self, node):
        method = receiver = None
        if isinstance(node.func, ast.Attribute):
            receiver = self.expr(node.func.value)
            method = node.func.attr
            func = self.attribute(receiver, method)
        else:
            func = self.expr(node.func)
        args = self.arguments(node)
        results = []
        external = not func.refs
        for ref in func.refs:
            if isinstance(ref, FunctionRef):
                if ref.kind == "classmethod" and ref.cls is not None:
                    results.append(self.call_function(
                        ref, args, node, receiver=Value(refs=frozenset({ref.cls}))))
                else:
                    results.append(self.call_function(ref, args, node))
            elif isinstance(ref, BoundMethod):
                results.append(self.call_function(ref.function, args, node,
                                                  receiver=ref.receiver))
            elif isinstance(ref, ClassRef):
                results.append(self.call_class(ref, node, args))
            elif isinstance(ref, TaskGenRef):
                results.append(self.call_task_generator(ref, node, args))
            else:   # an imported name, an instance, a module: not followed
                external = True
        if external:
            results.append(self.external_call(node, func, method, receiver, args))
        return join(results) if len(results) != 1 else results[0]

    def call_site(self, node, names, method, receiver, args, local_class=None) -> CallSite:
        line, column = self.parsed.position(node)
        receiver_arg = None
        if receiver is not None:
            receiver_arg = Argument(None, "", node.func.value, receiver.taints,
                                    scalar_type(receiver), scalar_type(element_of(receiver)))
        return CallSite(
            node=node, path=self.path, line=line, column=column, qualified_names=names,
            method=method, receiver=receiver_arg,
            args=tuple(Argument(keyword, star, arg_node, value.taints, scalar_type(value),
                                scalar_type(element_of(value)))
                       for keyword, star, arg_node, value in args),
            local_class=local_class, state=self.process,
            at_import=self.act.at_import and self.act.task_mode is None,
            span=self.fix_site(node), callee_text=self.parsed.segment(node.func, 40))

    def sources(self, site: CallSite) -> frozenset:
        found = []
        for rule in self.source_rules:
            result = rule.source(site)
            if result is None:
                continue
            if isinstance(result, Taint):
                found.append(result)
            else:
                found.extend(result)
        if site.at_import:
            for rule in self.call_rules:
                for report in rule.check_call(site):
                    self.report(rule.code, report.node, report.message)
        return frozenset(found)

    def external_call(self, node, func: Value, method, receiver, args) -> Value:
        names = semantics.names_of(func)
        if names:
            created = self.api_call(node, names, args)
            if created is not None:
                return created
        site = self.call_site(node, names, method, receiver, args)
        sources = self.sources(site)
        result = semantics.call(self, node, names, method, receiver, args, sources)
        return result.with_taints(result.taints | sources) if sources else result

    # -- functions and classes of the analysed code ------------------------------------

    def call_function(self, fn: FunctionRef, args, node, receiver=None, task_mode=False,
                      at_import=None) -> Value:
        task_mode = self.act.task_mode if task_mode is False else task_mode
        at_import = self.act.at_import if at_import is None else at_import
        self.called.add(fn)
        parameters = self.bind_parameters(fn, args, receiver)
        key = (fn, parameters, self.process.frozen(), task_mode, at_import)
        cached = self.memo.get(key)
        if cached is not None:
            result, process = cached
            self.process = process.copy()
            return result
        if fn in self.stack or len(self.stack) >= MAX_DEPTH or fn.contexts >= MAX_CONTEXTS:
            return Value(convert(union(value.taints for _, value in parameters),
                                 UNKNOWN_RESULT))
        fn.contexts += 1
        self.memo[key] = (Value(convert(union(value.taints for _, value in parameters),
                                        UNKNOWN_RESULT)), self.process.copy())
        result, process = self.run_function(fn, parameters, task_mode, at_import)
        self.memo[key] = (result, process.copy())
        self.process = process
        return result

    def run_function(self, fn: FunctionRef, parameters, task_mode, at_import):
        frame = Frame("function", fn.module, fn.closure, fn.globals_, fn.nonlocals)
        frame.vars.update(parameters)
        saved = (self.act, self.module, self.alive, self._defining_class)
        self.act = Activation(frame, fn, task_mode, at_import)
        self.module = fn.module
        self.alive = True
        self._defining_class = None
        self.stack.append(fn)
        entry = self.process.copy()
        try:
            if fn.is_lambda:
                self.act.returns.append((self.expr(fn.node.body), self.process.copy()))
            else:
                self.block(fn.node.body)
                if self.alive:
                    self.act.returns.append((NONE, self.process.copy()))
            returns = self.act.returns
            if fn.is_generator:
                element = join(self.act.yields) if self.act.yields else UNKNOWN
                result = Value(self.act.yield_taints, type="list", element=element)
            else:
                result = join(value for value, _ in returns) if returns else UNKNOWN
            process = ProcessState.join([state for _, state in returns]) if returns else entry
        finally:
            self.stack.pop()
            self.act, self.module, self.alive, self._defining_class = saved
        return result, process

    def bind_parameters(self, fn: FunctionRef, args, receiver=None) -> tuple:
        positional = [receiver] if receiver is not None else []
        keywords: dict = {}
        rest = None        # *xs of unknown length
        extra_keywords = None
        for keyword, star, _, value in args:
            if star == "*":
                if value.items is not None and all(isinstance(k, int) for k, _ in value.items):
                    positional.extend(item for _, item in value.items)
                else:
                    element = element_of(value)
                    rest = element.with_taints(element.taints | convert(value.taints,
                                                                         POSITIONAL))
            elif star == "**":
                if value.items is not None and all(isinstance(k, str) for k, _ in value.items):
                    keywords.update(value.items)
                else:
                    extra_keywords = Value(convert(value.taints, CLEARED))
            elif keyword is None:
                positional.append(value)
            else:
                keywords[keyword] = value
        bound = []
        names = fn.positional
        first_default = len(names) - len(fn.defaults)
        for index, name in enumerate(names):
            if index < len(positional):
                value = positional[index]
            elif name in keywords:
                value = keywords.pop(name)
            elif rest is not None:
                value = rest
            elif extra_keywords is not None:
                value = extra_keywords
            elif index >= first_default:
                value = fn.defaults[index - first_default]
            else:
                value = UNKNOWN
            bound.append((name, value))
        if fn.vararg:
            extra = positional[len(names):]
            taints = union(value.taints for value in extra) | (rest.taints if rest else EMPTY)
            items = tuple(enumerate(extra)) if rest is None and len(extra) <= 16 else None
            bound.append((fn.vararg, Value(taints, type="tuple", items=items)))
        for name, default in zip(fn.keyword_only, fn.kw_defaults):
            value = keywords.pop(name, None)
            if value is None:
                value = extra_keywords or default or UNKNOWN
            bound.append((name, value))
        if fn.kwarg:
            items = tuple(keywords.items())
            taints = union(value.taints for _, value in items)
            if extra_keywords is not None:
                taints = taints | extra_keywords.taints
                items = None
            bound.append((fn.kwarg, Value(taints, type="dict",
                                          items=items if items and len(items) <= 32 else None)))
        return tuple(bound)

    def call_class(self, cls: ClassRef, node, args) -> Value:
        site = self.call_site(node, frozenset(), None, None, args, local_class=cls)
        sources = self.sources(site)
        taints = convert(union(value.taints for _, _, _, value in args), UNKNOWN_RESULT)
        instance = instance_value(cls, sources | taints)
        init = cls.lookup("__init__")
        functions = [ref for ref in init.refs if isinstance(ref, FunctionRef)] if init else []
        for function in functions:
            self.call_function(function, args, node, receiver=instance)
        if not functions and cls.is_dataclass:
            positional = [value for keyword, star, _, value in args if keyword is None and not star]
            for name, value in zip(cls.fields, positional):
                cls.store(name, value)
            for keyword, star, _, value in args:
                if keyword in cls.fields:
                    cls.store(keyword, value)
        return instance

    # -- tasks ---------------------------------------------------------------------------

    def call_task_generator(self, gen: TaskGenRef, node, args) -> Value:
        self.uses_jug = True
        labelled = _labelled(args, gen.parameters)
        self.report_arguments(labelled, gen.name)
        self.check_task(TaskCall(node, self.path, gen.name, gen.name))
        if gen.compound and gen.function is not None:
            self.call_function(gen.function, args, node)   # its body runs while tracing
        return TASK_VALUE

    def api_call(self, node, names: frozenset, args) -> Value | None:
        """A call of jug's API: a task, a task generator, the value of a task."""
        for name in sorted(names):
            if name in api.FUNCTION_FIRST and args and args[0][0] is None and not args[0][1]:
                self.uses_jug = True
                return self.function_first(node, api.FUNCTION_FIRST[name], args)
            if name in api.MAPREDUCE:
                self.uses_jug = True
                return self.mapreduce(node, api.MAPREDUCE[name], args)
            if name in api.BUILTIN_TASKS:
                self.uses_jug = True
                task_name, parameters = api.BUILTIN_TASKS[name]
                self.report_arguments(_labelled(args, parameters), task_name)
                self.check_task(TaskCall(node, self.path, task_name, task_name))
                return TASK_VALUE
            if name in api.TASK_VALUES:
                return UNKNOWN
            if name in api.TASK_GENERATORS or name in api.COMPOUND_GENERATORS:
                self.uses_jug = True
                return self.declare_task_generator(node, name in api.COMPOUND_GENERATORS, args)
        return None

    def function_facts(self, value: Value):
        """``(name, parameters, is_lambda, FunctionRef or None)`` of a task's function."""
        for ref in value.refs:
            if isinstance(ref, TaskGenRef):
                return ref.name, ref.parameters, ref.is_lambda, ref.function
            if isinstance(ref, FunctionRef):
                return ref.name, ref.positional, ref.is_lambda, ref
            if isinstance(ref, Qual):
                return ref.name.rsplit(".", 1)[-1], None, False, None
        return None, None, False, None

    def function_first(self, node, creator: str, args) -> Value:
        _, _, function_node, function = args[0]
        name, parameters, is_lambda, fn = self.function_facts(function)
        name = name or self.parsed.segment(function_node)
        self.report_arguments(_labelled(args[1:], parameters), name)
        self.check_task(TaskCall(node, self.path, name, creator, function_node, is_lambda))
        if fn is not None:
            if creator in api.COMPOUND_CREATORS:
                self.call_function(fn, args[1:], node)
            else:
                self.task_functions.setdefault(id(fn), (fn, fn.name))
        return UNKNOWN if creator == "CachedFunction" else TASK_VALUE

    def mapreduce(self, node, signature: api.MapReduceSignature, args) -> Value:
        bound = {}
        arguments = []
        for index, (keyword, star, arg_node, value) in enumerate(args):
            if keyword is not None:
                bound[keyword] = (arg_node, value)
            elif not star and index < len(signature.parameters):
                bound[signature.parameters[index]] = (arg_node, value)
            else:
                label = f"argument `{star}{self.parsed.segment(arg_node)}`" if star else \
                    f"argument {index + 1}"
                arguments.append((label, arg_node, value, "value"))
        function = bound.get(signature.task_function())
        function_node = function[0] if function is not None else None
        name = None
        is_lambda = False
        for parameter in signature.functions:
            if parameter in bound:
                fn_name, _, lambda_here, fn = self.function_facts(bound[parameter][1])
                if lambda_here:
                    function_node, is_lambda = bound[parameter][0], True
                if parameter == signature.task_function():
                    name = fn_name
                if fn is not None:
                    self.task_functions.setdefault(id(fn), (fn, fn.name))
        for parameter, (arg_node, value) in bound.items():
            if parameter in signature.functions:
                continue
            mode = "sequence" if parameter == signature.sequence else "value"
            arguments.append((f"argument `{parameter}` ({signature.display})", arg_node, value,
                              mode))
        if name is None:
            name = self.parsed.segment(function_node) if function_node is not None \
                else signature.display
        self.report_arguments(arguments, name)
        self.check_task(TaskCall(node, self.path, name, signature.display, function_node,
                                 is_lambda))
        return TASK_VALUE

    def declare_task_generator(self, node, compound: bool, args) -> Value:
        if not args:
            return UNKNOWN
        _, _, function_node, function = args[0]
        name, parameters, is_lambda, fn = self.function_facts(function)
        name = name or self.parsed.segment(function_node)
        creator = "CompoundTaskGenerator" if compound else "TaskGenerator"
        self.check_task(TaskCall(node, self.path, name, creator, function_node, is_lambda))
        if fn is not None and not compound:
            self.task_functions.setdefault(id(fn), (fn, fn.name))
        return Value(refs=frozenset({TaskGenRef(name, fn, parameters, compound, is_lambda)}))

    def report_arguments(self, labelled, task_name: str):
        if self.act.task_mode is not None:
            return
        for label, node, value, mode in labelled:
            taints = value.taints
            if mode == "sequence":
                taints = self.iterated(value, node)
            elif mode == "keywords":
                taints = convert(taints, CLEARED)
            if not taints:
                continue
            line, column = self.parsed.position(node)
            for taint in sorted(taints, key=_taint_order):
                if taint.kind == UNORDERED or taint.code not in self.rules_by_code:
                    continue
                self.findings.append(RawFinding(taint.code, self.path, line, column,
                                                taints=(taint,), argument=label,
                                                task=task_name))

    def report_map(self, function: Value, iterables, node):
        """``map(task_generator, xs)``: a task per element."""
        for ref in function.refs:
            if isinstance(ref, TaskGenRef):
                labelled = []
                for index, (arg_node, value) in enumerate(iterables):
                    parameters = ref.parameters or ()
                    label = f"argument `{parameters[index]}`" if index < len(parameters) else \
                        f"argument {index + 1}"
                    element = element_of(value)
                    if len(iterables) > 1:
                        element = element.with_taints(element.taints | convert(
                            value.taints, POSITIONAL))
                    labelled.append((label, arg_node, element, "value"))
                self.report_arguments(labelled, ref.name)
                self.check_task(TaskCall(node, self.path, ref.name, ref.name))

    def check_task(self, call: TaskCall):
        if self.act.task_mode is not None:
            call = dataclasses.replace(call, enclosing_task=self.act.task_mode)
        for rule in self.task_rules:
            for report in rule.check_task_call(call):
                self.report(rule.code, report.node, report.message)

    def report(self, code: str, node, message: str):
        line, column = self.parsed.position(node)
        self.findings.append(RawFinding(code, self.path, line, column, message))


def _taint_order(taint: Taint):
    return (taint.code, taint.path, taint.line, taint.column, taint.description)


def _labelled(args, parameters) -> list:
    """``[(label, node, Value, mode)]`` for the arguments of a task."""
    labelled = []
    position = 0
    for keyword, star, node, value in args:
        if keyword is not None:
            labelled.append((f"argument `{keyword}`", node, value, "value"))
        elif star == "**":
            labelled.append((f"argument `**{ast.unparse(node)}`", node, value, "keywords"))
        elif star == "*":
            labelled.append((f"argument `*{ast.unparse(node)}`", node, value, "sequence"))
        else:
            if parameters is not None and position < len(parameters):
                label = f"argument `{parameters[position]}`"
            else:
                label = f"argument {position + 1}"
            labelled.append((label, node, value, "value"))
            position += 1
    return labelled


def _base_name(node) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _pattern_names(pattern) -> list:
    names = []
    for node in ast.walk(pattern):
        if isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.append(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.append(node.rest)
    return names


_ORDERED_MUTATORS = frozenset({"append", "extend", "insert"})
_UNORDERED_MUTATORS = frozenset({"add", "update", "setdefault"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _loop_effects(node) -> tuple:
    """Names a loop body rebinds, containers it fills in order or not, and
    whether it yields: ``(assigned, ordered, unordered, yields)``."""
    assigned, ordered, unordered = set(), set(), set()
    yields = False

    def target(item):
        if isinstance(item, ast.Name):
            assigned.add(item.id)
        elif isinstance(item, (ast.Tuple, ast.List)):
            for element in item.elts:
                target(element)
        elif isinstance(item, ast.Starred):
            target(item.value)
        elif isinstance(item, ast.Subscript):
            name = _base_name(item)
            if name is not None:
                unordered.add(name)

    target(node.target)
    stack = list(node.body)
    while stack:
        item = stack.pop()
        if isinstance(item, _SCOPES):
            continue
        if isinstance(item, ast.Assign):
            for each in item.targets:
                target(each)
        elif isinstance(item, (ast.AnnAssign, ast.For, ast.AsyncFor)):
            target(item.target)
        elif isinstance(item, ast.NamedExpr):
            target(item.target)
        elif isinstance(item, ast.withitem) and item.optional_vars is not None:
            target(item.optional_vars)
        elif isinstance(item, ast.AugAssign):
            name = _base_name(item.target)
            if name is not None:
                (ordered if isinstance(item.target, ast.Name) else unordered).add(name)
        elif isinstance(item, (ast.Yield, ast.YieldFrom)):
            yields = True
        elif isinstance(item, ast.Call) and isinstance(item.func, ast.Attribute) \
                and isinstance(item.func.value, ast.Name):
            if item.func.attr in _ORDERED_MUTATORS:
                ordered.add(item.func.value.id)
            elif item.func.attr in _UNORDERED_MUTATORS:
                unordered.add(item.func.value.id)
        stack.extend(ast.iter_child_nodes(item))
    return (frozenset(assigned - ordered - unordered), frozenset(ordered),
            frozenset(unordered), yields)


Analysis._statements = {
    ast.Expr: Analysis.s_expr,
    ast.Assign: Analysis.s_assign,
    ast.AnnAssign: Analysis.s_annassign,
    ast.AugAssign: Analysis.s_augassign,
    ast.Return: Analysis.s_return,
    ast.Raise: Analysis.s_raise,
    ast.Break: Analysis.s_break,
    ast.Continue: Analysis.s_continue,
    ast.Delete: Analysis.s_delete,
    ast.If: Analysis.s_if,
    ast.For: Analysis.s_for,
    ast.AsyncFor: Analysis.s_for,
    ast.While: Analysis.s_while,
    ast.With: Analysis.s_with,
    ast.AsyncWith: Analysis.s_with,
    ast.Try: Analysis.s_try,
    ast.Match: Analysis.s_match,
    ast.FunctionDef: Analysis.s_function,
    ast.AsyncFunctionDef: Analysis.s_function,
    ast.ClassDef: Analysis.s_class,
    ast.Import: Analysis.s_import,
    ast.ImportFrom: Analysis.s_importfrom,
}
if hasattr(ast, "TryStar"):
    Analysis._statements[ast.TryStar] = Analysis.s_try

Analysis._expressions = {
    ast.Constant: Analysis.e_constant,
    ast.Name: Analysis.e_name,
    ast.Attribute: Analysis.e_attribute,
    ast.Subscript: Analysis.e_subscript,
    ast.BinOp: Analysis.e_binop,
    ast.BoolOp: Analysis.e_boolop,
    ast.UnaryOp: Analysis.e_unaryop,
    ast.Compare: Analysis.e_compare,
    ast.IfExp: Analysis.e_ifexp,
    ast.List: Analysis.e_sequence,
    ast.Tuple: Analysis.e_sequence,
    ast.Set: Analysis.e_set,
    ast.Dict: Analysis.e_dict,
    ast.JoinedStr: Analysis.e_fstring,
    ast.FormattedValue: Analysis.e_formatted,
    ast.NamedExpr: Analysis.e_namedexpr,
    ast.Lambda: Analysis.e_lambda,
    ast.Starred: Analysis.e_starred,
    ast.Await: Analysis.e_await,
    ast.Yield: Analysis.e_yield,
    ast.YieldFrom: Analysis.e_yieldfrom,
    ast.ListComp: Analysis.e_comprehension,
    ast.SetComp: Analysis.e_comprehension,
    ast.DictComp: Analysis.e_comprehension,
    ast.GeneratorExp: Analysis.e_comprehension,
    ast.Call: Analysis.e_call,
}

__all__ = ["Analysis", "ModuleProblem", "RawFinding", "analyse"]
