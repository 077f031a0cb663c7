"""For every patient, bulk gives exactly the match objects `find` gives, in the same order."""

from __future__ import annotations

from itertools import groupby

from conftest import ROOT, TODAY, read_jsonl, synth, write_jsonl

from trialmatch.api import find
from trialmatch.bulk import run_bulk


def _by_patient(rows: list[dict]) -> dict[str, list[dict]]:
    return {pid: [{k: v for k, v in r.items() if k != "patient_id"} for r in group]
            for pid, group in groupby(rows, key=lambda r: r["patient_id"])}


def _check(cohort, db, tmp_path, batch_size):
    out = tmp_path / "results.jsonl"
    report = run_bulk(cohort, db=db, out=out, batch_size=batch_size, today=TODAY)
    bulk = _by_patient(read_jsonl(out))
    # bulk matches every trial whatever its status: `find --any-status`
    expected = find(cohort, db=db, today=TODAY, statuses=None)
    assert not expected.problems
    assert report.patients == len(expected.results)
    compared = 0
    for r in expected.results:
        assert bulk.get(r["patient_id"], []) == r["matches"], r["patient_id"]
        compared += len(r["matches"])
    assert compared == report.matches > 0


def test_examples_cohort(db, tmp_path):
    _check(ROOT / "examples" / "cohort.jsonl", db, tmp_path, batch_size=5)


def test_synthetic_cohort(db, tmp_path):
    cohort = write_jsonl(tmp_path / "synthetic.jsonl", synth.patients(150, seed=21))
    _check(cohort, db, tmp_path, batch_size=40)
