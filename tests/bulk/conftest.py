"""Fixtures for bulk tests: a database with the curated and some synthetic trials."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
TODAY = date(2026, 11, 1)
sys.path.insert(0, str(ROOT / "benchmarks"))

import synth  # noqa: E402


def shared_cohort(name: str) -> Path:
    path = SHARED_DATA / "cohorts" / name
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (tests that need ../shared/data are "
                    "skipped in a plain clone)")
    return path


@pytest.fixture(scope="session")
def trial_db(tmp_path_factory) -> Path:
    """A database file with the embedded curated trials and 300 synthetic ones."""
    from trialmatch.app.catalog import open_catalog, replace_trials

    path = tmp_path_factory.mktemp("bulkdb") / "trials.duckdb"
    store, ont = open_catalog(path)
    try:
        replace_trials(store, ont, synth.trials(300, seed=5), "synthetic")
    finally:
        store.close()
    return path


@pytest.fixture
def db(trial_db, tmp_path) -> Path:
    """A private copy of the trial database for one test."""
    path = tmp_path / "bulk.duckdb"
    shutil.copy(trial_db, path)
    return path


def write_jsonl(path: Path, patients: list[dict]) -> Path:
    path.write_text("".join(json.dumps(p) + "\n" for p in patients))
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
