"""The document process (`bulk.docprocess`): the same results as a one-process run, and a
clean failure when it dies."""

from __future__ import annotations

import shutil

import pytest
from conftest import TODAY, synth, write_jsonl

from trialmatch.bulk import docprocess, run_bulk
from trialmatch.store.db import Store


def _state(db):
    with Store(db) as s:
        results = s.con.execute("SELECT * FROM results ORDER BY ALL").fetchall()
        docs = s.con.execute("SELECT * FROM result_docs ORDER BY ALL").fetchall()
        changes = s.con.execute("SELECT * FROM changes ORDER BY ALL").fetchall()
        runs = s.con.execute("SELECT run_id, state, patients, matches, evaluated, new, lost, "
                             "changed FROM runs ORDER BY run_id").fetchall()
    return results, docs, changes, runs


def test_same_results_files_and_changes_with_and_without_the_process(db, tmp_path):
    patients = synth.patients(90, seed=21)
    cohort = write_jsonl(tmp_path / "cohort.jsonl", patients)
    other = tmp_path / "other.duckdb"
    shutil.copy(db, other)
    outputs = {}
    for path, process in ((db, False), (other, True)):
        for fmt in ("parquet", "jsonl", "csv"):
            out = tmp_path / f"{process}.{fmt}"
            run_bulk(cohort, db=path, out=out, batch_size=20, today=TODAY,
                     document_process=process)
            outputs[(process, fmt)] = out.read_bytes()
    # a later run that re-matches a few changed patients (two matching calls per batch)
    changed = [dict(p) for p in patients]
    for p in changed[::7]:
        p["alterations"] = [{"gene": "BRAF", "type": "mutation", "protein": "p.V600K"}]
    write_jsonl(cohort, changed)
    for path, process in ((db, False), (other, True)):
        report = run_bulk(cohort, db=path, since_last_run=True, batch_size=20, today=TODAY,
                          document_process=process)
        assert report.evaluated == len(changed[::7])
    for fmt in ("parquet", "jsonl", "csv"):
        assert outputs[(True, fmt)] == outputs[(False, fmt)], fmt
    assert _state(other) == _state(db)


def test_a_dead_document_process_fails_the_run_and_keeps_the_previous_results(
        db, tmp_path, monkeypatch):
    cohort = write_jsonl(tmp_path / "cohort.jsonl", synth.patients(60, seed=3))
    run_bulk(cohort, db=db, batch_size=20, today=TODAY, document_process=False)
    before = _state(db)
    made = []
    submit = docprocess.DocumentProcess.submit

    def submit_then_kill(self, job):
        made.append(self)
        submit(self, job)
        if len(made) == 2:  # the child dies while it builds the second batch
            self.proc.kill()

    monkeypatch.setattr(docprocess.DocumentProcess, "submit", submit_then_kill)
    with pytest.raises(docprocess.DocumentProcessError, match="ended unexpectedly"):
        run_bulk(cohort, db=db, batch_size=20, today=TODAY, document_process=True)
    proc = made[0]
    assert proc.proc.poll() is not None  # no child left behind
    assert not proc.folder.exists()  # nor its snapshot
    results, docs, changes, runs = _state(db)
    assert (results, docs, changes) == before[:3]
    assert [r[:2] for r in runs] == [(1, "done"), (2, "failed")]
    again = run_bulk(cohort, db=db, batch_size=20, today=TODAY, document_process=True)
    assert again.new == again.lost == again.changed == 0
