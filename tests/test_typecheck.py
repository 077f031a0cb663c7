"""Issue 12.4: the type checker is part of the test suite. mypy, with the project's
configuration (`[tool.mypy]` in pyproject.toml), reports no error on trialmatch/.

A cold run takes well under a minute; mypy's cache (`.mypy_cache/`, ignored by git) makes
the next ones faster. Run it on its own with `python -m mypy` from the repository root."""

from __future__ import annotations

from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_error_in_trialmatch():
    stdout, stderr, status = api.run([
        "--config-file", str(ROOT / "pyproject.toml"),
        "--cache-dir", str(ROOT / ".mypy_cache"),
        str(ROOT / "trialmatch"),
    ])
    report = f"{stdout}{stderr}".strip()
    assert status == 0, f"mypy reports type errors (fix them, see README):\n{report}"
    assert "Success: no issues found" in stdout, report
