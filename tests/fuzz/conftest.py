"""Fixtures of the fuzz suite: one trial database (the embedded trials plus a few hostile
ones of our own), copied for tests that write, and the CLI run in-process.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.fuzz.hostile import HOSTILE_TRIALS, run_cli, write


@pytest.fixture(scope="session")
def fuzz_db(tmp_path_factory) -> Path:
    """A database with the embedded trials and the hostile trials of `hostile.py`."""
    from trialmatch.app.load import load_files

    folder = tmp_path_factory.mktemp("fuzzdb")
    trials = write(folder / "hostile.ndjson", HOSTILE_TRIALS)
    db = folder / "fuzz.duckdb"
    summary = load_files([trials], db)
    assert not summary.problems and summary.trials == 3, summary.problems
    return db


@pytest.fixture
def db_copy(fuzz_db, tmp_path) -> Path:
    """A private copy of the fuzz database, for a test that writes to it."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(fuzz_db, path)
    return path


@pytest.fixture
def cli(capsys):
    """`cli(args...)` -> (exit code, stdout, stderr), run in this process."""
    def call(*args: object) -> tuple[int, str, str]:
        return run_cli([str(a) for a in args], capsys)

    return call
