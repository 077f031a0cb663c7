"""Every example patient gets the outcomes its file documents (`_expected`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialmatch.app.find import find

ROOT = Path(__file__).resolve().parents[1]
PATIENTS = sorted((ROOT / "examples" / "patients").glob("*.json"))


def test_there_are_enough_examples_with_every_outcome():
    outcomes = [o for p in PATIENTS for o in json.loads(p.read_text())["_expected"].values()]
    assert len(PATIENTS) >= 10
    assert {"eligible", "possible", "ineligible"} <= set(outcomes)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return tmp_path_factory.mktemp("db") / "examples.duckdb"


@pytest.mark.parametrize("path", PATIENTS, ids=[p.stem for p in PATIENTS])
def test_example_patient_outcomes(path, db):
    expected = json.loads(path.read_text())["_expected"]
    report = find(path, db=db, include_ineligible=True)
    assert not report.problems
    (result,) = report.results
    got = {m["trial_id"]: m["status"] for m in result["matches"]}
    assert {t: got.get(t) for t in expected} == expected
