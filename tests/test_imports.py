"""Issue 12.3: the import structure. Every module imports on its own, the module-level
imports between trialmatch modules form a DAG (no cycle at import time), and the packages
and top-level modules form a DAG too when every import counts, wherever it is written (in a
function, under `if TYPE_CHECKING:`): a function-level import cannot hide a cycle."""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "trialmatch"


def module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports run when the module is imported: at module level, also inside `if`, `try`
    and `with` blocks, but not in functions, classes or `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If):
            if not _type_checking(node):
                stack.extend(node.body)
            stack.extend(node.orelse)
        elif isinstance(node, ast.Try):
            stack.extend([*node.body, *node.orelse, *node.finalbody])
            for handler in node.handlers:
                stack.extend(handler.body)
        elif isinstance(node, ast.With):
            stack.extend(node.body)
    return found


def _all_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement of a module, wherever it is written."""
    return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]


@cache
def _module_tree(name: str) -> tuple[ast.Module, bool]:
    """The parsed source of module `name`, and whether it is a package's __init__."""
    path = PACKAGE.parent / (name.replace(".", "/") + ".py")
    if not path.exists():
        path = PACKAGE.parent / name.replace(".", "/") / "__init__.py"
    return ast.parse(path.read_text(encoding="utf-8"), str(path)), path.name == "__init__.py"


def _targets(node: ast.Import | ast.ImportFrom, name: str, is_package: bool,
             modules: set[str]) -> list[str]:
    """The trialmatch modules one import statement of module `name` imports."""
    if isinstance(node, ast.Import):
        targets = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            here = name.split(".") if is_package else name.split(".")[:-1]
            here = here[:len(here) - node.level + 1]
            base = ".".join([*here, *([base] if base else [])])
        # a submodule named in the list is that module, any other name an
        # attribute of `base` (its __init__ must have run)
        targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                   for a in node.names]
    return [t for t in targets if t in modules and t != name]


def import_graph() -> dict[str, set[str]]:
    """module -> the trialmatch modules it imports at import time (a submodule named in
    `from package import name` counts as that submodule)."""
    modules = set(module_names())
    graph: dict[str, set[str]] = {}
    for name in modules:
        tree, is_package = _module_tree(name)
        graph[name] = {t for node in _top_level_imports(tree)
                       for t in _targets(node, name, is_package, modules)}
    return graph


def unit_of(module: str) -> str:
    """The package or top-level module a module belongs to: `trialmatch.nlp.parse` ->
    `trialmatch.nlp`, `trialmatch.errors` -> itself."""
    return ".".join(module.split(".")[:2])


def unit_graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], list[str]]]:
    """Package / top-level module -> those it imports, counting every import wherever it
    is written; and, for each edge, the imports that make it ("module:line -> module")."""
    modules = set(module_names())
    graph: dict[str, set[str]] = {unit_of(m): set() for m in modules}
    where: dict[tuple[str, str], list[str]] = {}
    for name in sorted(modules):
        tree, is_package = _module_tree(name)
        for node in _all_imports(tree):
            for target in _targets(node, name, is_package, modules):
                edge = (unit_of(name), unit_of(target))
                if edge[0] != edge[1]:
                    graph[edge[0]].add(edge[1])
                    lines = where.setdefault(edge, [])
                    if (line := f"{name}:{node.lineno} -> {target}") not in lines:
                        lines.append(line)
    return graph, where


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_reader_sees_imports_and_cycles():
    tree = ast.parse("import trialmatch.a\nfrom trialmatch import b\nif TYPE_CHECKING:\n"
                     "    import trialmatch.c\ndef f():\n    import trialmatch.d\n")
    assert {a.name for n in _top_level_imports(tree) if isinstance(n, ast.Import)
            for a in n.names} == {"trialmatch.a"}
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    graph = import_graph()
    assert "trialmatch.app.catalog" in graph["trialmatch.app.find"]
    assert "trialmatch.app.find" not in graph["trialmatch.cli.find_cmd"]  # in a function


def test_module_level_imports_form_a_dag():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_unit_graph_counts_imports_inside_functions():
    tree = ast.parse("import trialmatch.a\ndef f():\n    from trialmatch.b import c\n"
                     "if TYPE_CHECKING:\n    import trialmatch.d\n")
    assert {n.lineno for n in _all_imports(tree)} == {1, 3, 5}
    assert unit_of("trialmatch.nlp.parse") == "trialmatch.nlp"
    assert unit_of("trialmatch.errors") == "trialmatch.errors"
    graph, where = unit_graph()
    # the service layer uses the layers below it, in functions too
    assert "trialmatch.nlp" in graph["trialmatch.app"]
    assert any(":" in w for w in where[("trialmatch.app", "trialmatch.nlp")])


def test_packages_and_top_level_modules_form_a_dag_counting_every_import():
    """DESIGN 3, imports point one way: no package (or top-level module) imports, even
    inside a function, one that imports it back. A cycle is reported with the import
    statements that make it."""
    graph, where = unit_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle between packages: " + " -> ".join(cycle) + "\n" + \
        "\n".join(f"  {w}" for a, b in zip(cycle, cycle[1:]) for w in where[(a, b)])


def _compiled(name: str) -> bool:
    """Whether the module is a C extension (the parser's modules compiled with mypyc)."""
    spec = importlib.util.find_spec(name)
    return bool(spec and spec.origin and spec.origin.endswith(
        tuple(importlib.machinery.EXTENSION_SUFFIXES)))


def test_every_module_imports_on_its_own():
    """Each module imported first, with every trialmatch module forgotten before it (the
    third-party packages stay loaded, so this takes seconds, not a fresh interpreter each).
    `__main__` runs the command line, so it is left out. A compiled module (mypyc) cannot be
    imported twice in one interpreter: it stays loaded there, and is imported first in a
    fresh interpreter of its own instead."""
    names = [n for n in module_names() if not n.endswith("__main__")]
    compiled = [n for n in names if _compiled(n)]
    code = (
        "import importlib, sys, traceback\n"
        f"names = {[n for n in names if n not in compiled]!r}\n"
        f"native = {tuple(importlib.machinery.EXTENSION_SUFFIXES)!r}\n"
        "failed = []\n"
        "for name in names:\n"
        "    for loaded in [m for m in sys.modules if m.split('.')[0] == 'trialmatch']:\n"
        "        if not (getattr(sys.modules[loaded], '__file__', None) or '').endswith(native):\n"
        "            del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        failed.append(name + ': ' + traceback.format_exc(limit=-2))\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, cwd=ROOT)]
    procs += [subprocess.Popen([sys.executable, "-c", f"import {name}"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, cwd=ROOT)
              for name in compiled]
    for proc in procs:
        out, _ = proc.communicate()
        assert proc.returncode == 0, out


@pytest.mark.parametrize("module,name", [
    ("trialmatch.errors", "PartialFailure"),
    ("trialmatch.ontology.load", "check_unique"),
    ("trialmatch.ontology.load", "check_tree"),
])
def test_dead_code_stays_removed(module, name):
    import importlib

    assert not hasattr(importlib.import_module(module), name)
