"""Shared fixtures: the mini ontology, an in-memory store, paths to shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from trialmatch.ontology import Ontology, load_ontology

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
MINI = Path(__file__).resolve().parent / "fixtures" / "mini_ontology"

settings.register_profile("ci", max_examples=100, deadline=None)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def shared(*parts: str) -> Path:
    """A path in ../shared/data, or skip the test with a message when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (tests that need ../shared/data "
                    "are skipped in a plain clone)")
    return path


@pytest.fixture(scope="session")
def mini_ontology() -> Ontology:
    return load_ontology(MINI)


@pytest.fixture(autouse=True)
def _isolated_db(tmp_path_factory, monkeypatch):
    """Never touch the user's real database from a test."""
    monkeypatch.setenv("TRIALMATCH_DB", str(tmp_path_factory.getbasetemp() / "default.duckdb"))
