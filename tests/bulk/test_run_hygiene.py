"""Run hygiene: removed patients, retention of the changes table, re-ranking without re-matching."""

from __future__ import annotations

import json
import shutil

from conftest import ROOT, TODAY, read_jsonl, write_jsonl

from trialmatch.app.find import find
from trialmatch.bulk import run_bulk, state
from trialmatch.store.db import Store

EXAMPLES = ROOT / "examples" / "cohort.jsonl"


def _rows(db, pid=None) -> list[tuple]:
    with Store(db) as s:
        return s.con.execute(
            "SELECT patient_id, trial_id, status, score FROM results "
            "WHERE ? IS NULL OR patient_id = ? ORDER BY ALL", [pid, pid]).fetchall()


def test_a_patient_absent_from_the_next_run_is_removed_with_its_matches_lost(db, tmp_path):
    patients = read_jsonl(EXAMPLES)
    cohort = write_jsonl(tmp_path / "cohort.jsonl", patients)
    run_bulk(cohort, db=db, today=TODAY)
    gone = patients[0]["id"]
    had = _rows(db, gone)
    assert had
    write_jsonl(cohort, patients[1:])
    seen: list[dict] = []
    r = run_bulk(cohort, db=db, since_last_run=True, today=TODAY,
                 on_changes=lambda rows: seen.extend(rows))
    assert r.removed == 1 and r.lost == len(had) and r.new == 0
    (row,) = [c for c in seen if c["patient_id"] == gone]
    assert row["removed"] is True and len(row["lost"]) == len(had)
    assert all("removed" not in c for c in seen if c["patient_id"] != gone)
    assert _rows(db, gone) == []
    with Store(db) as s:
        assert s.con.execute("SELECT count(*) FROM patients WHERE patient_id = ?",
                             [gone]).fetchone() == (0,)
    again = run_bulk(cohort, db=db, since_last_run=True, today=TODAY)
    assert again.removed == 0, "removed once, not again"


def test_another_cohort_in_the_same_database_removes_nobody(db, tmp_path):
    patients = read_jsonl(EXAMPLES)
    a = write_jsonl(tmp_path / "a.jsonl", patients[:5])
    b = write_jsonl(tmp_path / "b.jsonl", patients[5:])
    run_bulk(a, db=db, today=TODAY)
    r = run_bulk(b, db=db, today=TODAY)
    assert r.removed == 0 and {x[0] for x in _rows(db)} >= {p["id"] for p in patients[:5]}


def test_a_rejected_record_keeps_its_patient(db, tmp_path):
    patients = read_jsonl(EXAMPLES)
    cohort = write_jsonl(tmp_path / "cohort.jsonl", patients)
    run_bulk(cohort, db=db, today=TODAY)
    kept = patients[0]["id"]
    before = _rows(db, kept)
    broken = [{**patients[0], "sex": "unknown-value"}, *patients[1:]]
    write_jsonl(cohort, broken)
    r = run_bulk(cohort, db=db, since_last_run=True, today=TODAY)
    assert r.rejected == 1 and r.removed == 0 and _rows(db, kept) == before
    # a line that cannot be read at all could be anyone: nobody is removed
    cohort.write_text("{not json\n" + "".join(json.dumps(p) + "\n" for p in patients[2:]))
    r = run_bulk(cohort, db=db, since_last_run=True, today=TODAY)
    assert r.removed == 0 and _rows(db, patients[1]["id"])
    assert any("no patient was removed" in w for w in r.warnings)


def test_keep_runs_drops_the_changes_of_older_runs(db, tmp_path):
    patients = read_jsonl(EXAMPLES)
    cohort = tmp_path / "cohort.jsonl"
    for i in range(4):  # every run changes something: one patient more each time
        write_jsonl(cohort, patients[: 10 + i])
        run_bulk(cohort, db=db, since_last_run=True, today=TODAY, keep_runs=2)
    with Store(db) as s:
        runs = [r[0] for r in s.con.execute(
            "SELECT DISTINCT run_id FROM changes ORDER BY 1").fetchall()]
        n_runs = s.con.execute("SELECT count(*) FROM runs").fetchone()[0]
    assert runs == [3, 4] and n_runs == 4


def test_a_ranking_change_re_ranks_without_re_matching(db, tmp_path, monkeypatch):
    from trialmatch.rank.score import WEIGHTS

    cohort = write_jsonl(tmp_path / "cohort.jsonl", read_jsonl(EXAMPLES))
    first = run_bulk(cohort, db=db, today=TODAY)
    before = _rows(db)
    scratch = tmp_path / "scratch.duckdb"
    shutil.copy(db, scratch)

    # a new ranking: every weight halved (`find` and the bulk document builder read them)
    for factor, weight in list(WEIGHTS.items()):
        monkeypatch.setitem(WEIGHTS, factor, weight * 0.5)
    monkeypatch.setattr(state, "RANKING_VERSION", "test-2")
    r = run_bulk(cohort, db=db, since_last_run=True, today=TODAY)
    assert (r.evaluated, r.reranked, r.pairs) == (0, first.patients, 0)
    after = _rows(db)
    assert [x[:3] for x in after] == [x[:3] for x in before], "no match changed"
    assert all(abs(a[3] - b[3] * 0.5) <= 1e-4 and a[3] != b[3] for a, b in zip(after, before))
    assert r.new == r.lost == r.changed == 0
    # exactly what a full run and `find` give with the new ranking
    full = run_bulk(cohort, db=scratch, today=TODAY)
    assert full.evaluated == first.patients and _rows(scratch) == after
    out = tmp_path / "r.jsonl"
    run_bulk(cohort, db=db, since_last_run=True, today=TODAY, out=out)
    expected = find(cohort, db=db, today=TODAY, statuses=None)  # bulk filters no status
    got = read_jsonl(out)
    assert [m["score"] for res in expected.results for m in res["matches"]] == \
        [m["score"] for m in got]
    # nothing changed since: nothing re-ranked
    again = run_bulk(cohort, db=db, since_last_run=True, today=TODAY)
    assert again.reranked == 0 and again.unchanged == first.patients


def test_a_matching_change_re_matches_everything(db, tmp_path, monkeypatch):
    cohort = write_jsonl(tmp_path / "cohort.jsonl", read_jsonl(EXAMPLES))
    first = run_bulk(cohort, db=db, today=TODAY)
    monkeypatch.setattr(state, "RESULTS_VERSION", "test-2")
    r = run_bulk(cohort, db=db, since_last_run=True, today=TODAY)
    assert r.evaluated == first.patients and r.reranked == 0


def test_cli_keep_runs_and_removed_patients(db, tmp_path, capsys):
    import csv
    import io

    from trialmatch.cli.app import main

    patients = read_jsonl(EXAMPLES)
    cohort = write_jsonl(tmp_path / "cohort.jsonl", patients)
    assert main(["bulk", str(cohort), "--db", str(db), "--keep-runs", "0"]) == 2
    assert main(["bulk", str(cohort), "--db", str(db), "--format", "json",
                 "--keep-runs", "1"]) == 0
    capsys.readouterr()
    write_jsonl(cohort, patients[1:])
    assert main(["bulk", str(cohort), "--db", str(db), "--format", "csv", "--since-last-run",
                 "--keep-runs", "1"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    gone = patients[0]["id"]
    assert {r["change"] for r in rows if r["patient_id"] == gone} == {"lost", "removed"}
    with Store(db) as s:
        assert s.con.execute("SELECT DISTINCT run_id FROM changes").fetchall() == [(2,)]


def test_a_patient_of_two_cohorts_keeps_its_matches_when_one_drops_it(db, tmp_path):
    patients = read_jsonl(EXAMPLES)
    a = write_jsonl(tmp_path / "a.jsonl", patients[:5])
    b = write_jsonl(tmp_path / "b.jsonl", patients[:1])
    run_bulk(a, db=db, today=TODAY)
    run_bulk(b, db=db, today=TODAY)
    shared = patients[0]["id"]
    before = _rows(db, shared)
    write_jsonl(a, patients[1:5])
    r = run_bulk(a, db=db, since_last_run=True, today=TODAY)
    assert r.removed == 0 and r.lost == 0 and _rows(db, shared) == before
    write_jsonl(b, patients[1:2])  # now its last cohort drops it too
    r = run_bulk(b, db=db, since_last_run=True, today=TODAY)
    assert r.removed == 1 and _rows(db, shared) == []


def test_every_fingerprinted_code_path_exists():
    """The code fingerprints name files and folders by path; one that a move left behind
    would silently drop out of the fingerprint (a ranking change would not re-rank)."""
    from pathlib import Path

    import trialmatch
    from trialmatch.bulk.state import MATCH_CODE, RANK_CODE

    root = Path(trialmatch.__file__).parent
    missing = [name for name in MATCH_CODE + RANK_CODE if not (root / name).exists()]
    assert not missing, f"fingerprinted paths that do not exist: {missing}"
