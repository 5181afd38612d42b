"""What the analysis binds names to: frames, local modules, functions and
classes of the analysed code.

* :class:`Frame` -- the names of one scope (a module, a function call, a
  class body, a comprehension) and the scope it is nested in;
* :class:`ModuleInfo` -- a local module (or the jugfile itself): its parsed
  file and its module frame; it is also the ref of a value that *is* that
  module (``import helpers``);
* :class:`FunctionRef` -- a ``def`` or ``lambda`` as it was executed: its
  node, the frame it closes over (read when it is called, as Python does),
  its defaults (evaluated where it was defined);
* :class:`ClassRef` -- a class of the analysed code: its body's names and
  what its instances are known to hold (``self.x = ...``, for all instances
  together).

They compare by identity: two executions of the same ``def`` are two
functions, as in Python.
"""

from __future__ import annotations

import ast

from jug.compiler.lint.values import EMPTY, Value, join


class Frame:
    __slots__ = ("vars", "parent", "module", "kind", "globals_", "nonlocals", "star_modules")

    def __init__(self, kind: str, module: "ModuleInfo", parent: "Frame | None" = None,
                 globals_: frozenset = EMPTY, nonlocals: frozenset = EMPTY):
        self.vars: dict[str, Value] = {}
        self.kind = kind                  # module, function, class, comprehension
        self.module = module
        self.parent = parent
        self.globals_ = globals_
        self.nonlocals = nonlocals
        self.star_modules: list[str] = []

    def module_frame(self) -> "Frame":
        frame = self
        while frame.parent is not None:
            frame = frame.parent
        return frame

    def owner(self, name: str) -> "Frame | None":
        """The frame where ``name`` is bound, as a load would find it."""
        frame = self
        while frame is not None:
            if name in frame.vars:
                return frame
            frame = frame.parent
        return None


class ModuleInfo:
    """A module of the analysed code.  ``package`` is the package relative
    imports start from; ``loading`` is true while its top level runs."""

    def __init__(self, name: str, path: str, parsed, package: str):
        self.name = name
        self.path = path
        self.parsed = parsed
        self.package = package
        self.frame = Frame("module", self)
        self.loading = True

    def __repr__(self):
        return f"ModuleInfo({self.name!r})"


class FunctionRef:
    """A function of the analysed code (``def`` or ``lambda``)."""

    def __init__(self, node, module: ModuleInfo, closure: Frame, defaults: tuple,
                 kw_defaults: tuple, facts: "BodyFacts", cls: "ClassRef | None" = None):
        self.node = node
        self.module = module
        self.closure = closure
        self.is_lambda = isinstance(node, ast.Lambda)
        self.name = "<lambda>" if self.is_lambda else node.name
        arguments = node.args
        self.positional = tuple(a.arg for a in arguments.posonlyargs + arguments.args)
        self.keyword_only = tuple(a.arg for a in arguments.kwonlyargs)
        self.vararg = arguments.vararg.arg if arguments.vararg else None
        self.kwarg = arguments.kwarg.arg if arguments.kwarg else None
        self.defaults = defaults          # aligned with the last positional parameters
        self.kw_defaults = kw_defaults    # aligned with keyword_only (None: no default)
        self.globals_ = facts.globals_
        self.nonlocals = facts.nonlocals
        self.is_generator = facts.is_generator
        self.cls = cls
        self.kind = "function"            # or staticmethod, classmethod, property
        self.contexts = 0
        self.defined_state = None         # process state where the def ran

    def __repr__(self):
        return f"FunctionRef({self.name!r})"


class ClassRef:
    """A class of the analysed code."""

    def __init__(self, node: ast.ClassDef, module: ModuleInfo, frame: Frame, bases: list,
                 is_dataclass: bool):
        self.node = node
        self.module = module
        self.name = node.name
        self.path = module.path
        self.frame = frame
        self.bases = bases                # Values
        self.is_dataclass = is_dataclass
        self.attrs: dict[str, Value] = {}
        self.fields = tuple(item.target.id for item in node.body
                            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name))
        self.has_jug_hash = "__jug_hash__" in frame.vars or any(
            isinstance(base_ref, ClassRef) and base_ref.has_jug_hash
            for base in bases for base_ref in base.refs)
        base_names = {getattr(ref, "name", "") for base in bases for ref in base.refs}
        self.is_enum = any(name.rsplit(".", 1)[-1] in ("Enum", "IntEnum", "StrEnum", "Flag",
                                                         "IntFlag") for name in base_names
                           if isinstance(name, str)) or any(
            isinstance(ref, ClassRef) and ref.is_enum for base in bases for ref in base.refs)

    def lookup(self, name: str, seen=None) -> Value | None:
        """A name of the class body or of its bases in the analysed code."""
        value = self.frame.vars.get(name)
        if value is not None:
            return value
        seen = seen or set()
        seen.add(id(self))
        for base in self.bases:
            for ref in base.refs:
                if isinstance(ref, ClassRef) and id(ref) not in seen:
                    found = ref.lookup(name, seen)
                    if found is not None:
                        return found
        return None

    def store(self, name: str, value: Value):
        old = self.attrs.get(name)
        self.attrs[name] = value if old is None else join([old, value])

    def __repr__(self):
        return f"ClassRef({self.name!r})"


class BodyFacts:
    """What a function body declares: ``global``/``nonlocal`` names and
    whether it yields (nested functions and classes not included)."""

    __slots__ = ("globals_", "nonlocals", "is_generator")

    def __init__(self, node):
        globals_, nonlocals = set(), set()
        generator = False
        body = [node.body] if isinstance(node, ast.Lambda) else list(node.body)
        stack = body
        while stack:
            item = stack.pop()
            if isinstance(item, ast.Global):
                globals_.update(item.names)
            elif isinstance(item, ast.Nonlocal):
                nonlocals.update(item.names)
            elif isinstance(item, (ast.Yield, ast.YieldFrom)):
                generator = True
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                 ast.Lambda)):
                continue
            stack.extend(ast.iter_child_nodes(item))
        self.globals_ = frozenset(globals_)
        self.nonlocals = frozenset(nonlocals)
        self.is_generator = generator


def instance_value(cls: ClassRef, taints: frozenset) -> Value:
    from jug.compiler.lint.values import InstanceRef

    return Value(taints, frozenset({InstanceRef(cls)}), "instance")


__all__ = ["BodyFacts", "ClassRef", "Frame", "FunctionRef", "ModuleInfo", "instance_value"]
