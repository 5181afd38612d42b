"""The import graph follows the layering of DESIGN.md (checked on the
source with ``ast``, so imports inside functions count too).

From the bottom up:

* ``jug.errors``: imports nothing of jug.
* ``jug.graph`` owns the graph form; ``jug.store`` the stores.  Each
  imports only ``jug.errors`` (and itself).
* ``jug.compiler`` (parse, trace, manifest, freshness, lint) builds on the
  public API (tasks, context, hashing, hooks), the graph and the stores, but
  never on the commands above it.
* The commands (``jug.project``, ``jug.execution``, ``jug.runners``,
  ``jug.status``, ``jug.shell``, ``jug.cli``) use everything below.
"""

import ast
import pathlib

import pytest

from jugtest import REPO

JUG = pathlib.Path(REPO) / "jug"

API = {"jug.errors", "jug.version", "jug.context", "jug.task", "jug.hash", "jug.hooks",
       "jug.barrier"}
ALLOWED = {
    "jug.graph": {"jug.errors"},
    "jug.store": {"jug.errors"},
    "jug.compiler": API | {"jug.graph", "jug.store"},
}


def module_name(path):
    parts = list(path.relative_to(JUG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source, name, is_package=False):
    """Every jug module the code ``source`` of module ``name`` imports, with
    the line: at any depth of the code, relative imports resolved, ``from jug
    import x`` counted as ``jug.x``, and ``importlib.import_module("...")``
    of a literal name included."""
    package = name if is_package else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module
            if node.level:
                parts = package.split(".")
                base = parts[:len(parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            if module == "jug":
                found.extend((f"jug.{alias.name}", node.lineno) for alias in node.names)
            else:
                found.append((module, node.lineno))
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and getattr(node.func, "attr", getattr(node.func, "id", None))
              in ("import_module", "__import__")):
            found.append((node.args[0].value, node.lineno))
    return [(module, line) for module, line in found if within(module, "jug")]


def within(module, package):
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_the_layering_allows(package):
    allowed = ALLOWED[package] | {package}
    directory = JUG.joinpath(*package.split(".")[1:])
    files = sorted(directory.rglob("*.py"))
    assert files
    wrong = []
    for path in files:
        source = path.read_text()
        for module, line in imported_modules(source, module_name(path), path.name == "__init__.py"):
            if not any(within(module, layer) for layer in allowed):
                wrong.append(f"{path.relative_to(REPO)}:{line} imports {module}")
    assert not wrong, f"{package} may import only {sorted(allowed)}:\n" + "\n".join(wrong)


def test_the_checker_sees_lazy_relative_and_dynamic_imports():
    source = ("import os\n"
              "def f():\n"
              "    from jug.project import execute\n"
              "    from . import dot\n"
              "    from .. import task\n"
              "    import jug.store.base, json\n"
              "    return importlib.import_module('jug.cli')\n")
    assert imported_modules(source, "jug.graph.probe") == [
        ("jug.project", 3), ("jug.graph", 4), ("jug.task", 5), ("jug.store.base", 6),
        ("jug.cli", 7)]
    assert imported_modules("from . import base", "jug.store", is_package=True) == [
        ("jug.store", 1)]
