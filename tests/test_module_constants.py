"""A module-level constant assigned twice in one module: the second silently replaces the
first for every reader above it (two readings that chose the same name)."""

import ast
from collections import Counter
from pathlib import Path

import trialmatch

ROOT = Path(trialmatch.__file__).parent


def _reassigned(path: Path) -> list[str]:
    names = Counter(
        target.id
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name) and target.id.lstrip("_").isupper()
    )
    return [name for name, count in names.items() if count > 1]


def test_no_module_constant_is_assigned_twice():
    found = {str(p.relative_to(ROOT)): names for p in sorted(ROOT.rglob("*.py"))
             if (names := _reassigned(p))}
    assert found == {}


def test_the_check_sees_a_reassignment(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("_WORDS = 1\nOTHER = 2\n_WORDS = 3\n", encoding="utf-8")
    assert _reassigned(sample) == ["_WORDS"]


# A control character in source or rule data: "\b" typed into a non-raw string by a script
# that wrote the file became a backspace, and a regex meant to find the word "PS" silently
# matched nothing. Tabs (the TSV separators) and newlines are the only ones we write.
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


def _control_lines(path: Path) -> list[int]:
    return [k for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if _CONTROL & set(line)]


def test_no_control_character_in_code_or_rule_data():
    files = [p for pattern in ("*.py", "*.yaml", "*.tsv") for p in ROOT.rglob(pattern)]
    files += list((ROOT.parent / "ontologies").glob("*.tsv"))
    found = {str(p): lines for p in sorted(files) if (lines := _control_lines(p))}
    assert found == {}


def test_the_check_sees_a_backspace(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('WORD = r"\\bPS\x08"\n', encoding="utf-8")
    assert _control_lines(sample) == [1]
