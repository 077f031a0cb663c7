"""Shared fixtures: the mini ontology, an in-memory store, paths to shared data."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from trialmatch.ontology import Ontology, load_ontology

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
MINI = Path(__file__).resolve().parent / "fixtures" / "mini_ontology"

# Hypothesis profiles, chosen by $HYPOTHESIS_PROFILE ("ci" when $CI is set, else "dev"; see
# tests/thoroughness.py, which also sizes the few non-hypothesis samples):
# `max_examples` is what the property tests that do not fix their own count run, among
# them the SQL-versus-reference-evaluator test. CI (`.ci/run`) runs "ci" (500 examples);
# the default "dev" keeps the README's test command under ten minutes on a 2-core machine.
settings.register_profile("ci", max_examples=500, deadline=None)
settings.register_profile("dev", max_examples=60, deadline=None)
try:
    from tests.thoroughness import PROFILE as HYPOTHESIS_PROFILE
except ImportError:  # tests/ is not a package
    from thoroughness import PROFILE as HYPOTHESIS_PROFILE
settings.load_profile(HYPOTHESIS_PROFILE)


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
