"""Issue 12.3: `store` stores what `match` compiles. Leaves, gates, CNF clauses and literal
labels are computed by `match.compile`; `store.trials` writes the rows it is given. Every
table handed to DuckDB is registered under a name (replacement scans are off)."""

from __future__ import annotations

import ast
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from trialmatch.match.compile import compile_trials
from trialmatch.rules import parse_text
from trialmatch.rules.trial import Cohort, Trial
from trialmatch.store.db import Store, registered
from trialmatch.store.trials import write_trials

STORE = Path(__file__).resolve().parents[2] / "trialmatch" / "store"


def trial(tid: str, rule: str) -> Trial:
    return Trial(tid, (Cohort("main", parse_text(rule)),), title=tid)


def leaf_id(store: Store, canon: str) -> int:
    return store.con.execute("SELECT leaf_id FROM leaves WHERE canon = ?", [canon]).fetchone()[0]


def test_match_compiles_the_gate_the_clauses_and_the_labels():
    with Store(memory=True) as s:
        rows = compile_trials(s, [trial("T1", "all(age >= 18, fusion(ALK))")])
        leaves = {canon: lid for lid, _, canon, *_ in rows.leaves}
        (cohort,) = rows.cohorts
        assert cohort[7] == leaves["fusion(ALK)"]  # the gene event gates, not the age
        assert cohort[8] == 2 and len(rows.clauses) == 2  # two unit clauses
        labels = [n[9] for n in rows.nodes if n[7]]  # the literals' English labels
        assert len(labels) == 2 and all(labels)


def test_the_store_writes_the_rows_it_is_given_and_decides_nothing():
    t = trial("T1", "all(age >= 18, fusion(ALK))")
    with Store(memory=True) as s:
        rows = compile_trials(s, [t])
        age = next(lid for lid, _, canon, *_ in rows.leaves if canon == "age >= 18")
        c = rows.cohorts[0]
        rows.cohorts[0] = (*c[:7], age, c[8])  # a gate match would not choose
        write_trials(s, [t], rows, "test")
        assert s.con.execute("SELECT gate_leaf FROM cohorts").fetchone()[0] == age
        assert leaf_id(s, "age >= 18") == age


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}


@pytest.mark.parametrize("module", ["trials.py", "db.py", "schema.py", "patients.py"])
def test_store_modules_hold_no_matching_decisions(module):
    """Gates, CNF and English labels are matching's business: the writers of the store do
    not import the CNF, the English reader or the evaluator's tables."""
    assert not _imported(STORE / module) & {"trialmatch.rules.cnf", "trialmatch.rules.english",
                                            "trialmatch.rules.evaluate", "trialmatch.match"}


def test_sql_reads_a_registered_table_and_never_a_python_variable():
    data = pa.table({"x": [1, 2]})
    with Store(memory=True) as s:
        with pytest.raises(duckdb.CatalogException):
            s.con.execute("SELECT sum(x) FROM data").fetchall()  # no replacement scan
        with registered(s.con, data) as name:
            assert s.con.execute(f"SELECT sum(x) FROM {name}").fetchall() == [(3,)]
        with pytest.raises(duckdb.CatalogException):
            s.con.execute(f"SELECT sum(x) FROM {name}").fetchall()  # gone after the block
