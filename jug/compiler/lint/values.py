"""What the analysis knows about a value: :class:`Value`, and the things a
value can be known to be (its *refs*).

A :class:`Value` is immutable and hashable (so a function analysed once for
some arguments is not analysed again for the same ones):

* ``taints``: the facts (:class:`~jug.compiler.lint.model.Taint`) of the
  value and everything in it;
* ``refs``: what the value is, when that matters for a call: an imported
  name (:class:`Qual` ``"numpy.random.default_rng"``), a function or class
  defined in the linted code, a local module, a task generator, a task.
  Several refs are alternatives (``f = a if x else b``); none means unknown;
* ``type``: a coarse type (``"int"``, ``"float"``, ``"bool"``, ``"none"``,
  ``"str"``, ``"bytes"``, ``"path"``, ``"numbers"`` for a tuple of numbers,
  ``"list"``, ``"set"``, ``"dict"``, ``"items"``...) or None;
* ``element``: the value of one element when it is iterated, if known;
* ``items``: for tuple and list displays the value at each position, for dict
  displays the value of each constant key.

Kinds of taints convert as values are combined; the mappings below say how
(kind -> new kind, None to drop).
"""

from __future__ import annotations

from jug.compiler.lint.model import ORDER, PICKLED, UNORDERED, VALUE

EMPTY: frozenset = frozenset()

NUMERIC = frozenset({"int", "float", "bool", "none", "numbers"})
ORDERABLE = frozenset({"int", "float", "bool", "str", "bytes", "path"})
MAX_REFS = 4
MAX_ITEMS = 16


class Value:
    __slots__ = ("taints", "refs", "type", "element", "items", "_hash")

    def __init__(self, taints: frozenset = EMPTY, refs: frozenset = EMPTY,
                 type: str | None = None, element: "Value | None" = None,
                 items: tuple | None = None):
        self.taints = taints
        self.refs = refs
        self.type = type
        self.element = element
        self.items = items
        self._hash = None

    def _key(self):
        return (self.taints, self.refs, self.type, self.element, self.items)

    def __eq__(self, other):
        return self is other or (isinstance(other, Value) and self._key() == other._key())

    def __hash__(self):
        if self._hash is None:
            self._hash = hash(self._key())
        return self._hash

    def __repr__(self):
        parts = [f"{name}={getattr(self, name)!r}" for name in ("taints", "refs", "type",
                                                             "element", "items")
                 if getattr(self, name)]
        return f"Value({', '.join(parts)})"

    def replace(self, **changes) -> "Value":
        fields = {"taints": self.taints, "refs": self.refs, "type": self.type,
                  "element": self.element, "items": self.items}
        fields.update(changes)
        return Value(**fields)

    def with_taints(self, taints: frozenset) -> "Value":
        return self if taints == self.taints else self.replace(taints=taints)

    def item(self, key):
        """The value at constant ``key`` (an index or a dict key), if known."""
        if self.items is None:
            return None
        for item_key, value in self.items:
            if item_key == key and type(item_key) is type(key):
                return value
        return None


UNKNOWN = Value()
NONE = Value(type="none")
INT = Value(type="int")
FLOAT = Value(type="float")
BOOL = Value(type="bool")
STR = Value(type="str")
BYTES = Value(type="bytes")


def constant(value) -> Value:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, (float, complex)):
        return FLOAT
    if isinstance(value, str):
        return STR
    if isinstance(value, bytes):
        return BYTES
    return UNKNOWN


# -- refs --------------------------------------------------------------------------

class Qual:
    """An imported (or builtin) name: ``Qual("os.listdir")``."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __eq__(self, other):
        return isinstance(other, Qual) and other.name == self.name

    def __hash__(self):
        return hash(("Qual", self.name))

    def __repr__(self):
        return f"Qual({self.name!r})"

    def attribute(self, attr: str) -> "Qual":
        return Qual(f"{self.name}.{attr}")


class TaskRef:
    """A task (the result of creating one)."""

    __slots__ = ()

    def __repr__(self):
        return "TaskRef()"


TASK = TaskRef()


class TaskGenRef:
    """A task generator: calling it creates a task of ``function`` (a
    :class:`FunctionRef` of the analysed code, or None when unknown)."""

    __slots__ = ("name", "function", "parameters", "compound", "is_lambda", "_key")

    def __init__(self, name, function=None, parameters=None, compound=False, is_lambda=False):
        self.name = name
        self.function = function
        self.parameters = parameters
        self.compound = compound
        self.is_lambda = is_lambda
        self._key = (name, id(function), parameters, compound, is_lambda)

    def __eq__(self, other):
        return isinstance(other, TaskGenRef) and other._key == self._key

    def __hash__(self):
        return hash(self._key)

    def __repr__(self):
        return f"TaskGenRef({self.name!r})"


class BoundMethod:
    """``obj.method`` where ``method`` is a function of a class of the
    analysed code: calling it passes ``receiver`` as ``self``."""

    __slots__ = ("function", "receiver")

    def __init__(self, function, receiver: Value):
        self.function = function
        self.receiver = receiver

    def __eq__(self, other):
        return (isinstance(other, BoundMethod) and other.function is self.function
                and other.receiver == self.receiver)

    def __hash__(self):
        return hash((id(self.function), self.receiver))


class InstanceRef:
    """An instance of a class of the analysed code."""

    __slots__ = ("cls",)

    def __init__(self, cls):
        self.cls = cls

    def __eq__(self, other):
        return isinstance(other, InstanceRef) and other.cls is self.cls

    def __hash__(self):
        return hash(("InstanceRef", id(self.cls)))


# FunctionRef, ClassRef and ModuleRef (analysis.py) compare by identity.


def refs_of(value: Value, kind) -> list:
    return [ref for ref in value.refs if isinstance(ref, kind)]


def qualified_names(value: Value) -> frozenset:
    return frozenset(ref.name for ref in value.refs if isinstance(ref, Qual))


# -- joins ---------------------------------------------------------------------------

def join(values) -> Value:
    """What is known of a value that is one of ``values``."""
    values = [value for value in values if value is not None]
    if not values:
        return UNKNOWN
    first = values[0]
    if all(value is first or value == first for value in values[1:]):
        return first
    taints = EMPTY
    refs = set()
    for value in values:
        taints = taints | value.taints
        refs |= value.refs
    if any(not value.refs for value in values) or len(refs) > MAX_REFS:
        refs = set()
    types = {value.type for value in values}
    joined_type = types.pop() if len(types) == 1 else (
        "numbers" if types <= NUMERIC - {"none"} else None)
    # a container known to be empty (`names = set()` before a loop) has no
    # element to disagree about
    elements = [value.element for value in values if value.items != ()]
    element = join(elements) if elements and all(e is not None for e in elements) else None
    items = None
    if all(value.items is not None for value in values):
        keys = [tuple(key for key, _ in value.items) for value in values]
        if all(k == keys[0] for k in keys):
            items = tuple((key, join([value.items[index][1] for value in values]))
                          for index, key in enumerate(keys[0]))
    return Value(taints, frozenset(refs), joined_type, element, items)


def union(parts) -> frozenset:
    result = EMPTY
    for part in parts:
        if part:
            result = result | part
    return result


# -- kind conversions ----------------------------------------------------------------

def convert(taints: frozenset, mapping: dict) -> frozenset:
    """Change kinds by ``mapping`` (kind -> new kind, or None to drop)."""
    if not taints:
        return taints
    result = set()
    changed = False
    for taint in taints:
        kind = mapping.get(taint.kind, taint.kind)
        if kind is None:
            changed = True
        elif kind != taint.kind:
            changed = True
            result.add(taint.with_kind(kind))
        else:
            result.add(taint)
    return frozenset(result) if changed else taints


ELEMENTS = {ORDER: None, UNORDERED: None}                # one element of an iterable
POSITIONAL = {ORDER: VALUE, UNORDERED: VALUE, PICKLED: None}   # an element picked by position
SUBSCRIPT = {ORDER: VALUE, UNORDERED: None}              # xs[i] by position, d[k] by key
ITERATED = {UNORDERED: ORDER}                            # materialised in iteration order
AS_SET = {ORDER: None}                                   # put into a set
AS_DICT = {ORDER: UNORDERED}                             # dict built in iteration order
CLEARED = {ORDER: None, UNORDERED: None}
REDUCED = {ORDER: None, UNORDERED: None, PICKLED: None}  # len(), sum()...
STRING = {ORDER: VALUE, UNORDERED: VALUE, PICKLED: None}
UNKNOWN_RESULT = {PICKLED: None}


def element_of(value: Value) -> Value:
    """One element of ``value`` when it is iterated: what is known of its
    elements, with the facts of the whole that are not about order (a list
    whose content is random has random elements)."""
    inherited = convert(value.taints, ELEMENTS)
    element = value.element
    if element is None:
        element = STR if value.type == "str" else INT if value.type == "bytes" else UNKNOWN
    if inherited and not inherited <= element.taints:
        items = element.items
        if items is not None:   # (key, group) of a random grouping: both parts
            items = tuple((key, item.with_taints(item.taints | inherited)) for key, item in items)
        return element.replace(taints=element.taints | inherited, items=items)
    return element


def scalar_type(value: Value) -> str | None:
    """The type of ``value`` for hash(): a tuple of numbers is ``"numbers"``."""
    if value.type == "tuple" and value.items is not None:
        types = {scalar_type(item) for _, item in value.items}
        if types <= NUMERIC:
            return "numbers"
        if types & {"str", "bytes", "path"}:
            return "str"
        return None
    return value.type
