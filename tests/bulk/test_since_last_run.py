"""Runs are recorded; --since-last-run re-matches what changed and reports new and lost matches.

The strongest check: after an incremental run, the results table holds exactly what a full
run from scratch computes for the same cohort and trials.
"""

from __future__ import annotations

import dataclasses
import json
import shutil

from conftest import ROOT, TODAY, read_jsonl, write_jsonl

from trialmatch.app.catalog import open_catalog, refresh_derived, replace_trials, stored_trials
from trialmatch.bulk import run_bulk
from trialmatch.rules.nodes import All, Sex
from trialmatch.store.db import Store
from trialmatch.store.trials import delete_trials

EXAMPLES = ROOT / "examples" / "cohort.jsonl"


def _results(db) -> set[tuple]:
    with Store(db) as s:
        return set(s.con.execute(
            "SELECT r.patient_id, r.trial_id, r.cohort, r.status, r.score, CAST(d.doc AS VARCHAR) "
            "FROM results r JOIN result_docs d USING (doc_id)").fetchall())


def _changes(report_changes):
    return {row["patient_id"]: row for row in report_changes}


def test_runs_are_recorded_with_first_and_last_run(db, tmp_path):
    r1 = run_bulk(EXAMPLES, db=db, today=TODAY)
    r2 = run_bulk(EXAMPLES, db=db, today=TODAY)
    with Store(db) as s:
        runs = s.con.execute("SELECT run_id, state, patients, matches, input_hash, trials_hash, "
                             "started_at <= finished_at FROM runs ORDER BY run_id").fetchall()
        first_last = set(s.con.execute(
            "SELECT DISTINCT first_run, last_run FROM results").fetchall())
    assert [r[:4] for r in runs] == [(1, "done", 17, r1.matches), (2, "done", 17, r2.matches)]
    assert runs[0][4] == runs[1][4] and runs[0][5] == runs[1][5] and runs[0][6]
    assert first_last == {(1, 2)}
    assert r2.new == r2.lost == r2.changed == 0


def test_since_last_run_reports_new_and_lost_and_equals_a_full_run(db, tmp_path):
    patients = read_jsonl(EXAMPLES)
    cohort = write_jsonl(tmp_path / "cohort.jsonl", patients)
    run_bulk(cohort, db=db, today=TODAY)
    before = {(r[0], r[1]) for r in _results(db)}

    # the patients change: P-0001 loses its EGFR mutation, P-0015 ages, a patient is new
    changed = [dict(p) for p in patients]
    changed[0] = {**changed[0], "alterations": []}
    p15 = next(i for i, p in enumerate(changed) if p["id"] == "P-0015")
    changed[p15] = {**changed[p15], "age": changed[p15]["age"] + 1}
    changed.append({**patients[1], "id": "P-NEW"})
    cohort = write_jsonl(tmp_path / "cohort.jsonl", changed)
    # the trials change: one gets a men-only rule, one is withdrawn
    store, ont = open_catalog(db)
    try:
        trial = stored_trials(store, ["TM-LUNG-001"])["TM-LUNG-001"]
        c0 = trial.cohorts[0]
        men_only = dataclasses.replace(trial, cohorts=(
            dataclasses.replace(c0, rule=All((c0.rule, Sex("male")))), *trial.cohorts[1:]))
        replace_trials(store, ont, [men_only], "curated")
        with store.transaction():
            delete_trials(store.con, ["TM-LUNG-008"])
            refresh_derived(store, ont)
    finally:
        store.close()
    full_db = tmp_path / "full.duckdb"
    shutil.copy(db, full_db)

    seen = []
    report = run_bulk(cohort, db=db, since_last_run=True, today=TODAY,
                      on_changes=lambda rows: seen.extend(rows))
    assert report.evaluated == 3 and report.partial == 15 and report.unchanged == 0
    assert report.changed_trials == 1 and report.removed_trials == 1
    changes = _changes(seen)
    lost_0001 = {e["trial_id"] for e in changes["P-0001"]["lost"]}
    assert {"TM-LUNG-001", "TM-LUNG-008"} <= lost_0001
    assert changes["P-NEW"]["new"] and not changes["P-NEW"]["lost"]
    withdrawn = {pid for pid, t in before if t == "TM-LUNG-008"}
    assert withdrawn and all(any(e["trial_id"] == "TM-LUNG-008" for e in changes[pid]["lost"])
                             for pid in withdrawn)
    assert list(report.changes()) == seen, "the report reads the same changes back"
    assert report.new == sum(len(c["new"]) for c in seen)
    assert report.lost == sum(len(c["lost"]) for c in seen)

    full = run_bulk(cohort, db=full_db, today=TODAY)
    assert _results(db) == _results(full_db) and report.matches == full.matches

    again = run_bulk(cohort, db=db, since_last_run=True, today=TODAY)
    assert (again.evaluated, again.partial, again.unchanged) == (0, 0, 18)
    assert again.new == again.lost == 0 and _results(db) == _results(full_db)


def test_out_file_holds_the_cohort_results_in_every_format(db, tmp_path):
    import csv

    import pyarrow.parquet as pq

    jsonl, parquet, csv_out = (tmp_path / f"r.{x}" for x in ("jsonl", "parquet", "csv"))
    r = run_bulk(EXAMPLES, db=db, out=jsonl, today=TODAY)
    run_bulk(EXAMPLES, db=db, out=parquet, since_last_run=True, today=TODAY)
    run_bulk(EXAMPLES, db=db, out=csv_out, since_last_run=True, today=TODAY)
    rows = read_jsonl(jsonl)
    table = pq.read_table(parquet).to_pylist()
    with csv_out.open() as fh:
        flat = list(csv.DictReader(fh))
    assert len(rows) == len(table) == len(flat) == r.matches
    for a, b, c in zip(rows, table, flat):
        assert a["patient_id"] == b["patient_id"] == c["patient_id"]
        assert a["trial_id"] == b["trial_id"] == c["trial_id"]
        assert a["reasons"] == b["reasons"] == json.loads(c["reasons"])
        assert a["unknown"] == b["unknown"] == json.loads(c["unknown"])
        assert a["score_parts"] == json.loads(b["score_parts"]) == json.loads(c["score_parts"])
        assert float(c["score"]) == a["score"] == b["score"]
