"""A module-level name bound twice in one module silently replaces the first binding for every
function that reads it, the earlier lines included: two regexes named alike once made a
header test read a list's closing sentence with the wrong pattern. No module may do that."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "trialmatch"


def _bound_twice(path: Path) -> list[str]:
    names: Counter[str] = Counter()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] += 1
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] += 1
    return sorted(n for n, k in names.items() if k > 1)


def test_no_module_binds_a_top_level_name_twice():
    found = {str(p.relative_to(PACKAGE)): d for p in sorted(PACKAGE.rglob("*.py"))
             if (d := _bound_twice(p))}
    assert found == {}


def test_the_check_sees_a_second_binding(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("import re\nA = re.compile('a')\n\ndef f():\n    return A\n\nA = 1\n")
    assert _bound_twice(sample) == ["A"]
