"""The DuckDB store: transactions, replacement by id, schema version, a second writer."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

import trialmatch.app.catalog as catalog
from trialmatch.app.catalog import replace_trials
from trialmatch.errors import StoreError
from trialmatch.rules import parse_text
from trialmatch.rules.trial import Cohort, Trial
from trialmatch.store.db import Store
from trialmatch.store.schema import SCHEMA_VERSION


def trial(tid: str, rule: str) -> Trial:
    return Trial(tid, (Cohort("main", parse_text(rule)),), title=tid)


def count(store: Store, table: str) -> int:
    return store.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_loading_the_same_id_again_replaces_it(tmp_path, mini_ontology):
    with Store(tmp_path / "db.duckdb") as s:
        replace_trials(s, mini_ontology, [trial("T1", "age >= 18")], "test")
        replace_trials(s, mini_ontology, [trial("T1", "all(age >= 18, ecog <= 1)")], "test")
        assert count(s, "trials") == 1 and count(s, "cohorts") == 1
        assert count(s, "nodes") == 3


def test_a_failed_load_changes_nothing(tmp_path, mini_ontology, monkeypatch):
    with Store(tmp_path / "db.duckdb") as s:
        replace_trials(s, mini_ontology, [trial("T1", "age >= 18")], "test")
        before = {t: count(s, t) for t in ("trials", "cohorts", "nodes", "leaves", "meta")}

        def fail(*a, **k):
            raise RuntimeError("disk full")

        monkeypatch.setattr(catalog, "rebuild", fail)
        with pytest.raises(RuntimeError):
            replace_trials(s, mini_ontology, [trial("T2", "fusion(ALK)"),
                                              trial("T1", "sex = male")], "test")
        assert {t: count(s, t) for t in before} == before
        assert s.con.execute("SELECT canon FROM leaves").fetchall() == [("age >= 18",)]


def test_duplicate_ids_in_one_load_are_rejected(tmp_path, mini_ontology):
    with Store(tmp_path / "db.duckdb") as s, pytest.raises(ValueError, match="duplicate"):
        replace_trials(s, mini_ontology, [trial("T1", "age >= 1"), trial("T1", "age >= 2")],
                       "test")


def test_schema_version_mismatch_is_a_clear_error(tmp_path):
    path = tmp_path / "db.duckdb"
    with Store(path) as s:
        s.set_meta("schema_version", "999")
    with pytest.raises(StoreError, match="schema version 999"):
        Store(path)


def test_a_version_4_database_is_upgraded_in_place(tmp_path, mini_ontology):
    path = tmp_path / "db.duckdb"
    trials = [trial("T1", "any(all(sex = male, age >= 18), diagnosis(NSCLC))"),
              trial("T2", 'all(unparsed("x"), ecog <= 1)'), trial("T3", 'unparsed("y")')]
    query = ("SELECT c.trial_id, c.n_clauses, k.clause, l.canon, k.neg FROM cohorts c "
             "LEFT JOIN clauses k USING (cohort_key) LEFT JOIN leaves l USING (leaf_id) "
             "ORDER BY ALL")
    with Store(path) as s:
        replace_trials(s, mini_ontology, trials, "test")
        written = s.con.execute(query).fetchall()
        s.con.execute("DROP TABLE clauses")
        s.con.execute("ALTER TABLE cohorts DROP COLUMN n_clauses")
        s.con.execute("DROP TABLE cohort_members")
        s.con.execute("DROP TABLE cancer_unstated")
        s.con.execute("ALTER TABLE nodes DROP COLUMN odd")
        s.set_meta("schema_version", "4")
    with Store(path) as s:
        assert s.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert s.con.execute(query).fetchall() == written
        assert s.con.execute("SELECT count(*) FROM cohort_members").fetchone() == (0,)
        assert s.con.execute("SELECT count(*) FROM cancer_unstated").fetchone() == (0,)
    assert {r[0]: r[1] for r in written} == {"T1": 2, "T2": 1, "T3": 0}


def test_a_version_8_database_folds_the_cohorts_of_expression_markers(tmp_path, mini_ontology):
    """Before version 9 an unreported marker was unknown and such cohorts had a CNF; now it
    is unevaluated per patient, which only the fold honours."""
    path = tmp_path / "db.duckdb"
    trials = [trial("T1", "all(expression(MS4A1, positive), age >= 18)"),
              trial("T2", "all(sex = male, not(any(age >= 18, not(ecog <= 1))))")]
    polarity = "SELECT path, odd FROM nodes ORDER BY node_key"
    count = "SELECT trial_id, n_clauses, (SELECT count(*) FROM clauses k WHERE k.cohort_key = " \
            "c.cohort_key) FROM cohorts c ORDER BY trial_id"
    with Store(path) as s:
        replace_trials(s, mini_ontology, trials, "test")
        assert s.con.execute(count).fetchall() == [("T1", None, 0), ("T2", 3, 3)]
        odd = s.con.execute(polarity).fetchall()
        assert [o for _, o in odd] == [False] * 6 + [True, True, True, False]
        s.con.execute("ALTER TABLE nodes DROP COLUMN odd")
        key, leaf = s.con.execute(
            "SELECT n.cohort_key, n.leaf_id FROM nodes n JOIN leaves l USING (leaf_id) "
            "WHERE l.kind = 'expression'").fetchone()
        s.con.execute("INSERT INTO clauses VALUES (?, 0, ?, false)", [key, leaf])
        s.con.execute("UPDATE cohorts SET n_clauses = 1 WHERE cohort_key = ?", [key])
        s.set_meta("schema_version", "8")
    with Store(path) as s:
        assert s.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert s.con.execute(count).fetchall() == [("T1", None, 0), ("T2", 3, 3)]
        assert s.con.execute(polarity).fetchall() == odd


def test_not_a_database(tmp_path):
    path = tmp_path / "x.duckdb"
    path.write_text("hello")
    with pytest.raises(StoreError):
        Store(path)


def test_a_second_writer_gets_a_clear_message(tmp_path):
    path = tmp_path / "db.duckdb"
    Store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); time.sleep(30)", str(path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        t0 = time.monotonic()
        with pytest.raises(StoreError, match="in use by another trialmatch process"):
            Store(path, wait=1.0)
        assert time.monotonic() - t0 >= 0.9
    finally:
        holder.kill()
        holder.wait()


def test_finds_run_side_by_side_and_a_stale_file_is_brought_up_to_date(tmp_path):
    from trialmatch.app.find import find
    from trialmatch.resources import data_dir

    path = tmp_path / "db.duckdb"
    patient = data_dir("examples") / "patients" / "P-0001.json"
    first = find(patient, db=path)  # creates the file: the one writer
    assert first.results[0]["matches"]
    reader = subprocess.Popen(  # another reader holds the file, as a second `find` would
        [sys.executable, "-c", "import duckdb, sys, time; "
         "c = duckdb.connect(sys.argv[1], read_only=True); print('ready', flush=True); "
         "time.sleep(30)", str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "ready"
        assert find(patient, db=path).results == first.results
        with pytest.raises(StoreError, match="in use"):  # a writer still waits its turn
            Store(path)
    finally:
        reader.kill()
        reader.wait()
    with Store(path) as s:  # stale: the embedded trials must be loaded again
        s.set_meta("curated", "old")
    assert find(patient, db=path).results == first.results
    with Store(path) as s:
        assert s.get_meta("curated") != "old"
