"""For every patient, bulk gives exactly the match objects `find` gives, in the same order."""

from __future__ import annotations

from itertools import groupby

from conftest import ROOT, TODAY, read_jsonl, synth, write_jsonl

try:
    from tests.thoroughness import sized
except ImportError:  # tests/ is not a package
    from thoroughness import sized

from trialmatch.app.find import find
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
    # 150 patients under the CI profile, 60 by default (tests/thoroughness.py)
    cohort = write_jsonl(tmp_path / "synthetic.jsonl", synth.patients(sized(150, 60), seed=21))
    _check(cohort, db, tmp_path, batch_size=40)


REAL_NOTATIONS = ["p.X755_splice", "p.M1?", "p.*757Qext*45", "p.P123=", "c.2573T>G",
                  "splice_site", "splice", "not a notation 12"]


def test_cohort_with_real_notations(db, tmp_path):
    """Patients whose changes are written as MAF files write them: none rejected, and the
    set-based SQL agrees with `find` on every one of them."""
    base = read_jsonl(ROOT / "examples" / "cohort.jsonl")
    patients = []
    for i, written in enumerate(REAL_NOTATIONS * 2):
        p = dict(base[i % len(base)], id=f"RN-{i}")
        gene = ("EGFR", "BRAF", "KRAS", "ERBB2")[i % 4]
        p["alterations"] = [*p.get("alterations", [])[:1],
                            {"gene": gene, "type": "mutation", "protein": written}]
        patients.append(p)
    cohort = write_jsonl(tmp_path / "notations.jsonl", patients)
    report = run_bulk(cohort, db=db, batch_size=7, today=TODAY)
    assert report.rejected == 0 and report.patients == len(patients)
    assert report.warning_count == 2  # the unreadable notation, twice, by pointer
    assert all("/alterations/" in w and "not a notation" not in w for w in report.warnings)
    _check(cohort, db, tmp_path, batch_size=7)


def test_match_objects_built_in_small_chunks(db, tmp_path, monkeypatch):
    """Bounded memory: a batch's new explanation classes are built a few at a time."""
    from trialmatch.bulk.explanation_classes import Explainer

    monkeypatch.setattr(Explainer, "chunk", 7)
    monkeypatch.setattr(Explainer, "via_cache_size", 5)
    cohort = write_jsonl(tmp_path / "synthetic.jsonl", synth.patients(60, seed=4))
    _check(cohort, db, tmp_path, batch_size=25)
