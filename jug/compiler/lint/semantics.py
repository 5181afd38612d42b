"""What calls, operators and attributes of things the analysis does not
follow do to facts: builtins (``sorted``, ``list``, ``zip``...), methods of
strings, lists, dicts and paths, a few standard-library functions.

Everything here is a function of the running :class:`Analysis` (passed as
``an``), so that a mutating method can change the fact of the name it is
called on (``files.sort()``).  A call not described here returns the facts
of its arguments and its receiver (a pickled object stays pickled only in
containers and frame-like methods).
"""

from __future__ import annotations

import ast
import dataclasses

from jug.compiler.lint.model import ORDER, PICKLED, VALUE
from jug.compiler.lint.scopes import FunctionRef
from jug.compiler.lint.values import (AS_DICT, AS_SET, CLEARED, EMPTY, INT,
                                      ITERATED, NONE, NUMERIC, POSITIONAL, REDUCED, STR,
                                      STRING, SUBSCRIPT, UNKNOWN, UNKNOWN_RESULT, Qual, Value,
                                      convert, element_of, join, union)

PATH = Value(type="path")

#: Sort keys that give different keys to different elements of a listing:
#: sorting by them cannot tie.  A file's name is unique within one directory.
INJECTIVE_KEYS = frozenset({
    "builtins.str", "builtins.repr", "os.fspath", "os.path.abspath", "os.path.realpath",
    "os.path.normpath", "os.path.basename", "pathlib.Path", "pathlib.PurePath",
    "pathlib.PosixPath", "pathlib.PurePosixPath"})
_INJECTIVE_ATTRIBUTES = frozenset({"name", "path"})
_INJECTIVE_METHODS = frozenset({"as_posix", "resolve", "absolute", "__str__", "__fspath__"})

#: Functions that sort like sorted() without a key.
_SORTS = frozenset({"natsort.natsorted", "natsort.os_sorted", "natsort.humansorted"})

_STR_RESULTS = frozenset({
    "capitalize", "casefold", "center", "expandtabs", "format", "format_map", "ljust",
    "lower", "lstrip", "removeprefix", "removesuffix", "replace", "rjust", "rstrip",
    "strip", "swapcase", "title", "translate", "upper", "zfill", "read_text", "as_posix",
    "hexdigest", "isoformat", "strftime", "decode", "read", "readline"})
_STR_LISTS = frozenset({"split", "rsplit", "splitlines", "readlines"})
_PATH_RESULTS = frozenset({"resolve", "absolute", "with_suffix", "with_name", "with_stem",
                           "joinpath", "expanduser", "relative_to"})
_PATH_ATTRIBUTES = {"name": STR, "stem": STR, "suffix": STR, "parent": PATH,
                    "parts": Value(type="tuple", element=STR)}
_BOOL_METHODS = frozenset({"startswith", "endswith", "isdigit", "isalpha", "isalnum",
                           "isspace", "islower", "isupper", "exists", "is_file", "is_dir",
                           "match", "issubset", "issuperset", "isdisjoint"})
_INT_METHODS = frozenset({"count", "find", "rfind", "index", "rindex", "bit_length"})

#: Methods and attributes of a pandas-like object that return such an object.
#: (Names other objects also use for other things -- ``sample``, ``filter``,
#: ``apply`` -- are left out: a random generator's sample is not a frame.)
FRAME_METHODS = frozenset({
    "dropna", "fillna", "query", "merge", "sort_values", "sort_index", "reset_index",
    "set_index", "drop", "drop_duplicates", "rename", "assign", "astype", "head", "tail",
    "pivot", "pivot_table", "melt", "groupby", "transpose", "reindex", "agg", "aggregate",
    "resample", "rolling", "sel", "isel"})
FRAME_ATTRIBUTES = frozenset({"loc", "iloc", "at", "iat", "T", "str", "dt"})

_STR_FUNCTIONS = frozenset({
    "os.path.join", "os.path.basename", "os.path.dirname", "os.path.abspath",
    "os.path.realpath", "os.path.normpath", "os.path.relpath", "os.path.expanduser",
    "os.path.expandvars", "os.getcwd", "os.fspath", "json.dumps", "platform.python_version"})
_BOOL_FUNCTIONS = frozenset({"os.path.exists", "os.path.isfile", "os.path.isdir",
                             "os.path.islink", "builtins.isinstance", "builtins.issubclass",
                             "builtins.callable", "builtins.hasattr"})
_INT_FUNCTIONS = frozenset({"os.path.getsize", "builtins.id", "builtins.hash", "builtins.len",
                            "builtins.ord"})
_FLOAT_FUNCTIONS = frozenset({"os.path.getmtime", "os.path.getctime", "os.path.getatime",
                              "math.sqrt", "math.log", "math.exp"})
_PATHS = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath",
                    "pathlib.PurePosixPath", "pathlib.Path.cwd", "pathlib.Path.home"})
_IDENTITY = frozenset({"copy.copy", "copy.deepcopy"})
_ORDERED_DICTS = frozenset({"collections.OrderedDict"})
_DICTS = frozenset({"collections.Counter", "collections.defaultdict"})


def names_of(value: Value) -> frozenset:
    return frozenset(ref.name for ref in value.refs if isinstance(ref, Qual))


def qualified_type(name: str) -> str | None:
    if name in ("os.sep", "os.linesep", "os.curdir", "sys.platform", "sys.executable"):
        return "str"
    if name in ("math.pi", "math.e", "math.inf"):
        return "float"
    return None


def attribute_value(obj: Value, attr: str) -> Value:
    """``obj.attr`` of something the analysis does not follow."""
    if obj.type == "path" and attr in _PATH_ATTRIBUTES:
        known = _PATH_ATTRIBUTES[attr]
        return known.with_taints(convert(obj.taints, UNKNOWN_RESULT))
    if attr in FRAME_ATTRIBUTES:
        return Value(obj.taints)
    return Value(convert(obj.taints, UNKNOWN_RESULT))


def binary(an, op, left: Value, right: Value) -> Value:
    taints = convert(left.taints | right.taints, UNKNOWN_RESULT)
    types = {left.type, right.type}
    if isinstance(op, ast.Div) and "path" in types:
        return Value(taints, type="path")
    if isinstance(op, ast.Mod) and left.type == "str":
        return Value(convert(left.taints | right.taints, STRING), type="str")
    if isinstance(op, ast.Add) and left.type in ("list", "tuple") and right.type == left.type:
        elements = [left.element, right.element]
        return Value(left.taints | right.taints, type=left.type,
                     element=join(elements) if None not in elements else None)
    if isinstance(op, (ast.Add, ast.Mult)) and "str" in types:
        return Value(taints, type="str")
    if types <= NUMERIC - {"none", "numbers"}:
        if isinstance(op, ast.Div) or "float" in types:
            return Value(taints, type="float")
        return Value(taints, type="int")
    return Value(taints)


def static_value(an, node, frame) -> Value:
    """What a name or attribute chain in a lambda or key function refers to."""
    if isinstance(node, ast.Name):
        return an.lookup(node.id, frame)
    if isinstance(node, ast.Attribute):
        return an.attribute(static_value(an, node.value, frame), node.attr)
    return UNKNOWN


def key_may_tie(an, key: Value | None, iterable: Value) -> bool:
    """Whether sorting ``iterable`` by ``key`` can give equal keys (a stable
    sort then keeps the original order for them)."""
    if key is None or key.type == "none":
        return False
    if names_of(key) & INJECTIVE_KEYS and len(key.refs) == len(names_of(key)):
        return False
    if not key.refs:
        return True
    for ref in key.refs:
        if not isinstance(ref, FunctionRef) or not ref.positional:
            if isinstance(ref, Qual) and ref.name in INJECTIVE_KEYS:
                continue
            return True
        body = _single_expression(ref)
        if body is None or not _injective(an, body, ref.positional[0], ref, iterable):
            return True
    return False


def _single_expression(fn: FunctionRef):
    if fn.is_lambda:
        return fn.node.body
    statements = [s for s in fn.node.body
                  if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(statements) == 1 and isinstance(statements[0], ast.Return):
        return statements[0].value
    return None


def _injective(an, node, parameter: str, fn: FunctionRef, iterable: Value) -> bool:
    if isinstance(node, ast.Name):
        return node.id == parameter
    if isinstance(node, ast.Tuple):
        return any(_injective(an, element, parameter, fn, iterable) for element in node.elts)
    if isinstance(node, ast.Attribute):
        return node.attr in _INJECTIVE_ATTRIBUTES and _is_name(node.value, parameter)
    if isinstance(node, ast.Subscript):
        return (iterable.type == "items" and _is_name(node.value, parameter)
                and isinstance(node.slice, ast.Constant) and node.slice.value == 0)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute) and node.func.attr in _INJECTIVE_METHODS \
                and not node.args:
            return _injective(an, node.func.value, parameter, fn, iterable)
        if len(node.args) == 1 and not node.keywords:
            names = names_of(static_value(an, node.func, fn.closure))
            return bool(names & INJECTIVE_KEYS) and _injective(an, node.args[0], parameter,
                                                                fn, iterable)
    return False


def _is_name(node, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _tie_note(an, taints: frozenset, node) -> frozenset:
    note = "a sort key that can tie ({place}) keeps this order for equal keys"
    return frozenset(dataclasses.replace(t, note=note, note_path=an.path, note_line=node.lineno)
                     if t.kind == ORDER and not t.note else t for t in taints)


# -- calls ---------------------------------------------------------------------------

def call(an, node, names: frozenset, method, receiver: Value | None, args,
         sources: frozenset) -> Value:
    """The value of a call the analysis does not follow."""
    positional = [(arg_node, value) for keyword, star, arg_node, value in args
                  if keyword is None and not star]
    keywords = {keyword: (arg_node, value) for keyword, star, arg_node, value in args
                if keyword is not None}
    all_taints = union(value.taints for _, _, _, value in args)
    builtin = next((name[9:] for name in names if name.startswith("builtins.")), None)
    if builtin is not None:
        result = _builtin(an, node, builtin, positional, keywords, args, all_taints)
        if result is not None:
            return result
    if names:
        return _qualified(an, node, names, positional, args, all_taints, sources)
    if method is not None and receiver is not None:
        return _method(an, node, method, receiver, positional, keywords, all_taints)
    return Value(convert(all_taints, UNKNOWN_RESULT))


def _first(positional):
    return positional[0] if positional else (None, UNKNOWN)


def _builtin(an, node, name, positional, keywords, args, taints):
    for handler in (_ordering, _container, _scalar):
        result = handler(an, node, name, positional, keywords, taints)
        if result is not None:
            return result
    return None


def _ordering(an, node, name, positional, keywords, taints):
    """sorted(), min(), max(): a key that can tie keeps the order of ties."""
    x_node, x = _first(positional)
    key = keywords.get("key", (None, None))[1]
    if name == "sorted":
        if key_may_tie(an, key, x):
            result = _tie_note(an, an.iterated(x, x_node), node)
        else:
            result = convert(x.taints, CLEARED)
        return Value(result, type="list", element=element_of(x))
    if name in ("min", "max"):
        if len(positional) == 1:
            if key is not None and key_may_tie(an, key, x):
                return Value(convert(an.iterated(x, x_node), POSITIONAL),
                             type=element_of(x).type)
            return Value(convert(x.taints, REDUCED), type=element_of(x).type)
        values = [value for _, value in positional]
        return Value(convert(union(v.taints for v in values), REDUCED),
                     type=join(values).type)
    return None


def _container(an, node, name, positional, keywords, taints):
    """Builtins that make a container from an iterable."""
    x_node, x = _first(positional)
    if name in ("list", "tuple", "iter", "reversed"):
        kind = "tuple" if name == "tuple" else "list"
        if not positional:
            return Value(type=kind, items=())
        return Value(an.iterated(x, x_node), type=kind, element=element_of(x),
                     items=x.items if x.type in ("list", "tuple") else None)
    if name in ("set", "frozenset"):
        if not positional:
            return Value(type="set", items=())
        return Value(convert(x.taints, AS_SET), type="set", element=element_of(x))
    if name == "dict":
        items = tuple((keyword, value) for keyword, (_, value) in keywords.items())
        taints = convert(x.taints, AS_DICT) | union(value.taints for _, value in items)
        return Value(taints, type="dict", items=items if not positional and items else None)
    if name == "enumerate":
        order = an.iterated(x, x_node)
        index = Value(convert(order, POSITIONAL), type="int")
        element = Value(index.taints | element_of(x).taints, type="tuple",
                        items=((0, index), (1, element_of(x))))
        return Value(order, type="list", element=element)
    if name == "zip":
        # which x goes with which y depends on both orders
        orders = union(an.iterated(value, arg_node) for arg_node, value in positional)
        pairing = convert(orders, POSITIONAL) if len(positional) > 1 else EMPTY
        items = tuple((index, element_of(value).with_taints(element_of(value).taints | pairing))
                      for index, (_, value) in enumerate(positional))
        element = Value(union(item.taints for _, item in items), type="tuple", items=items)
        return Value(orders | pairing, type="list", element=element)
    if name == "map":
        an.report_map(x, positional[1:], node)
        orders = union(an.iterated(value, arg_node) for arg_node, value in positional[1:])
        return Value(orders | convert(x.taints, UNKNOWN_RESULT), type="list")
    if name == "filter":
        y_node, y = positional[1] if len(positional) > 1 else (None, UNKNOWN)
        return Value(an.iterated(y, y_node), type="list", element=element_of(y))
    if name == "next":
        element = element_of(x)
        return element.with_taints(element.taints | convert(x.taints, POSITIONAL))
    return None


def _scalar(an, node, name, positional, keywords, taints):
    """Builtins that return a number, a string or a bool."""
    x_node, x = _first(positional)
    if name in ("len", "sum", "any", "all"):
        kind = {"len": "int", "any": "bool", "all": "bool"}.get(name, element_of(x).type)
        return Value(convert(x.taints, REDUCED), type=kind)
    if name in ("str", "repr", "format", "ascii", "chr", "input"):
        return Value(convert(taints, STRING), type="str")
    if name in ("bytes", "bytearray"):
        return Value(convert(taints, STRING), type="bytes")
    if name in ("int", "hash", "id", "ord", "round"):
        return Value(convert(taints, STRING), type="int")
    if name in ("float", "abs", "pow", "divmod", "complex"):
        kind = x.type if name == "abs" and x.type in ("int", "float") else "float"
        return Value(convert(taints, STRING), type=kind)
    if name in ("bool", "isinstance", "issubclass", "callable", "hasattr"):
        return Value(convert(taints, STRING), type="bool")
    if name == "range":
        return Value(convert(taints, STRING), type="list", element=INT)
    if name == "print":
        return NONE
    if name == "open":
        return Value(convert(taints, UNKNOWN_RESULT), type="file")
    if name == "getattr" and len(positional) >= 2 and isinstance(positional[1][0], ast.Constant) \
            and isinstance(positional[1][0].value, str):
        return an.attribute(x, positional[1][0].value)
    return None


def _qualified(an, node, names, positional, args, taints, sources):
    x_node, x = _first(positional)
    if names & _SORTS:
        return Value(convert(x.taints, CLEARED), type="list", element=element_of(x))
    if names & _IDENTITY:
        return x
    if names & _ORDERED_DICTS:
        return Value(an.iterated(x, x_node), type="dict")
    if names & _DICTS:
        return Value(convert(x.taints, AS_DICT), type="dict")
    if any(name.endswith(".shuffle") for name in names) and sources and positional:
        _shuffled(an, x_node, sources)
    if names & {"sys.path.insert", "sys.path.append"} and positional:
        an.add_search_path(positional[-1][0])
    result = convert(taints, UNKNOWN_RESULT)
    if names & _STR_FUNCTIONS:
        return Value(convert(taints, STRING), type="str")
    if names & _BOOL_FUNCTIONS:
        return Value(convert(taints, STRING), type="bool")
    if names & _INT_FUNCTIONS:
        return Value(convert(taints, STRING), type="int")
    if names & _FLOAT_FUNCTIONS:
        return Value(convert(taints, STRING), type="float")
    if names & _PATHS:
        return Value(result, type="path")
    if names & {"os.listdir", "glob.glob", "glob.iglob"}:
        return Value(result, type="list", element=STR)
    return Value(result)


def _method(an, node, method, receiver: Value, positional, keywords, taints):
    x_node, x = _first(positional)
    receiver_node = node.func.value
    name = receiver_node.id if isinstance(receiver_node, ast.Name) else None
    if method == "join" and receiver.type in ("str", "bytes", None) and len(positional) == 1:
        joined = convert(an.iterated(x, x_node), STRING)
        return Value(joined | convert(receiver.taints, STRING), type=receiver.type or "str")
    if method == "sort" and not positional:
        key = keywords.get("key", (None, None))[1]
        if name is not None:
            if key_may_tie(an, key, receiver):
                an.add_taints(name, _tie_note(an, an.iterated(receiver, receiver_node), node),
                              receiver.replace(taints=_tie_note(
                                  an, an.iterated(receiver, receiver_node), node)))
            else:
                an.add_taints(name, EMPTY,
                              receiver.replace(taints=convert(receiver.taints, CLEARED)))
        return NONE
    if method in ("append", "insert", "add") and positional and receiver.type in (
            "list", "set", None):
        item = positional[-1][1]
        if name is not None:
            taints = item.taints if method != "add" else convert(item.taints, AS_SET)
            an.add_taints(name, EMPTY, receiver.replace(
                taints=receiver.taints | taints, element=_grown(receiver, item), items=None))
        return NONE
    if method == "extend" and positional:
        if name is not None:
            an.add_taints(name, an.iterated(x, x_node))
        return NONE
    if method in ("add", "update", "setdefault") and positional:
        if name is not None:
            an.add_taints(name, convert(taints, AS_SET))
        return NONE if method != "setdefault" else Value(convert(taints, UNKNOWN_RESULT))
    if method in ("pop", "popitem"):
        picked = convert(receiver.taints, SUBSCRIPT if positional else POSITIONAL)
        element = receiver.element
        if element is not None:
            return element.with_taints(element.taints | picked)
        return Value(picked)
    if method in ("items", "keys", "values"):
        taints = convert(receiver.taints, ITERATED)
        values = join(value for _, value in receiver.items) if receiver.items else None
        if method == "items":
            element = Value(type="tuple", items=((0, UNKNOWN), (1, values or UNKNOWN)))
            return Value(taints, type="items", element=element)
        return Value(taints, type="list", element=values if method == "values" else None)
    if method == "copy":
        return receiver
    if method == "shuffle" and positional:
        _shuffled(an, x_node, frozenset(t for t in receiver.taints if t.kind == VALUE))
        return NONE
    if method in ("glob", "rglob", "iterdir"):
        return Value(convert(receiver.taints | taints, UNKNOWN_RESULT), type="list",
                     element=PATH)
    if method in _STR_LISTS:
        return Value(convert(receiver.taints | taints, STRING), type="list", element=STR)
    if method in _STR_RESULTS and receiver.type in ("str", "path", None):
        return Value(convert(receiver.taints | taints, STRING), type="str")
    if method in _PATH_RESULTS and receiver.type == "path":
        return Value(convert(receiver.taints | taints, UNKNOWN_RESULT), type="path")
    if method in _BOOL_METHODS:
        return Value(convert(receiver.taints | taints, STRING), type="bool")
    if method in _INT_METHODS:
        return Value(convert(receiver.taints | taints, STRING), type="int")
    if method == "encode":
        return Value(convert(receiver.taints | taints, STRING), type="bytes")
    result = convert(receiver.taints | taints, UNKNOWN_RESULT)
    if method in FRAME_METHODS:
        result = result | frozenset(t for t in receiver.taints if t.kind == PICKLED)
    return Value(result)


def _grown(container: Value, item: Value) -> Value | None:
    """The element of ``container`` after ``item`` is added to it."""
    if container.element is not None:
        return join([container.element, item])
    if container.items == ():
        return item      # it was empty: `xs = []`, `set()`
    return None


def _shuffled(an, target, taints: frozenset):
    if isinstance(target, ast.Name):
        an.add_taints(target.id, convert(frozenset(t for t in taints if t.kind == VALUE),
                                         {VALUE: ORDER}))


__all__ = ["FRAME_METHODS", "INJECTIVE_KEYS", "attribute_value", "binary", "call",
           "key_may_tie", "names_of", "qualified_type"]
