"""Set-based matching in DuckDB: patients x trials in a fixed number of statements.

1. load a batch of patients into temporary tables;
2. evaluate each cohort's gate leaf for every patient, keep the (patient, cohort) pairs
   whose gate is not "not met" (or every pair, for `--all`);
3. evaluate every distinct leaf those pairs need, once per patient (`LEAF_SQL`, one
   statement for all leaf kinds; a batch with few leaves, as a one-patient `find` on the
   embedded trials, evaluates them with `rules.evaluate` instead, the reference the SQL
   mirrors: DuckDB's fixed cost per join of that statement is then most of the work);
4. the root values, from each tree's conjunctive normal form (`clauses`: min over clauses
   of max over literals, one statement); trees whose CNF is too large to store, and
   `node_values` (explain), fold the trees bottom-up instead, one statement per tree depth
   (min / max / 2 - x);
5. read the root values, and the literal values of the pairs the caller wants explained.

Large batches whose values stay in DuckDB (`bulk`) skip the gates: every leaf once per
patient, then every stored CNF folded over a leaf x patient array (`match.vector`).

No Python loop runs per patient or per trial; the loops are over tree depths. Statements a
small batch runs on every call are prepared once per connection (planning a statement
costs DuckDB about as much as running it on one patient).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import duckdb

from trialmatch.ontology import Ontology
from trialmatch.rules.dsl import parse_text
from trialmatch.rules.evaluate import evaluate_leaf
from trialmatch.rules.facts import PatientFacts
from trialmatch.rules.nodes import Node
from trialmatch.store.db import Store
from trialmatch.store.patients import COLUMNS, patient_rows, patient_tables
from trialmatch.store.schema import PATIENT_TABLES

from . import sql

if TYPE_CHECKING:
    from .vector import CnfPlan


def _insert_columns(con, table: str, cols: list[tuple[str, str]], rows: list[tuple]) -> None:
    """Insert rows in one statement, one list parameter per column (executemany is slow)."""
    select = ", ".join(f"unnest(?::{t}[])" for _, t in cols)
    con.execute(f"INSERT INTO {table} SELECT {select}",
                [[r[i] for r in rows] for i in range(len(cols))])


_LT_COLUMNS = [("patient_id", "VARCHAR"), ("leaf_id", "INTEGER"), ("v", "INTEGER")]


@lru_cache(maxsize=65536)
def _leaf(canon: str) -> Node:
    """The leaf node of a stored leaf's canonical text (cached: leaves recur)."""
    return parse_text(canon)


@dataclass(frozen=True, slots=True)
class CohortValue:
    patient_id: str
    cohort_key: int
    trial_id: str
    cohort_id: str
    value: int | None  # None: nothing evaluable (only unparsed criteria)


class Matcher:
    """Runs the SQL of `match.sql` on a store whose derived tables are current."""

    # below this many (patient, leaf) pairs, all leaves are evaluated in one pass
    single_pass_limit = 200_000
    # up to this many (patient, leaf) pairs of a fetched batch, the leaves are evaluated in
    # Python (`rules.evaluate.evaluate_leaf`) rather than by `LEAF_SQL`
    python_leaf_limit = 1_000
    # from this many patients on, candidates failing a conjunct of their root are dropped
    # before the roots are computed (bulk batches; `find` reads its few candidates directly)
    prune_from = 64

    def __init__(self, store: Store, ontology: Ontology) -> None:
        self._all_leaves: tuple[int, list[str]] | None = None
        self._all_plan: CnfPlan | None = None  # numpy and pyarrow only for large batches
        self._scope_all = False
        self._run_once: set[str] = set()  # statements executed once, not prepared yet
        # the last large batch's leaf values as arrays: (patient ids, patient index,
        # leaf id, value), the rows of `lt` with a value (see `leaf_values`)
        self._batch_values: tuple[list[str], Any, Any, Any] | None = None
        self.store = store
        self.con = store.con
        self.ontology = ontology
        for macro in sql.MACROS:
            self.con.execute(macro)
        self.max_depth, self.n_folded = self.con.execute(
            "SELECT (SELECT coalesce(max(depth), 0) FROM nodes), "
            "(SELECT count(*) FROM cohorts WHERE n_clauses IS NULL)").fetchall()[0]
        self._create_patient_tables()

    def _run(self, statement: str) -> duckdb.DuckDBPyConnection:
        """Execute a constant, parameterless statement: directly the first time (a `find`
        of one patient runs each once, and preparing costs more than it saves), prepared
        from its second use on this connection."""
        name = "tm_" + hashlib.sha1(statement.encode()).hexdigest()[:16]
        if name not in self.store.prepared:
            if name not in self._run_once:
                self._run_once.add(name)
                return self.con.execute(statement)
            self.con.execute(f"PREPARE {name} AS {statement}")
            self.store.prepared.add(name)
        return self.con.execute(f"EXECUTE {name}")

    def _refill(self, table: str, query: str) -> None:
        """Empty a working table and fill it with a (prepared) query."""
        self.con.execute(f"DELETE FROM {table}")
        self._run(f"INSERT INTO {table} {query}")

    def _replace(self, table: str, query: str) -> None:
        """Re-create a working table from a query (large batches: types as the query's)."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {query}")

    def _create_patient_tables(self) -> None:
        for name, cols in COLUMNS.items():
            ddl = ", ".join(f"{c} {t}" for c, t in cols)
            self.con.execute(f"CREATE TEMP TABLE IF NOT EXISTS p_{name} ({ddl})")
        for ddl in sql.WORK_TABLES:
            self.con.execute(ddl)

    def load_patients(self, patients: list[PatientFacts], *, facts: bool = True,
                      tables: dict[str, Any] | None = None) -> None:
        """The batch as temporary tables p_<name> (plain inserts when small, else Arrow;
        `tables`: the batch's `patient_tables`, if the caller already made them).

        `facts=False` (a small batch whose leaves Python evaluates): only `p_patients` is
        filled, the tables of findings, panels, priors, numbers and statuses are left
        empty (no statement after the leaves reads them)."""
        if len(patients) <= 64:
            rows = patient_rows(patients)
            emptied = [*COLUMNS, *(() if facts else ("tested",))]
            self.con.execute("; ".join(f"DELETE FROM p_{name}" for name in emptied))
            for name, cols in COLUMNS.items():
                if rows[name] and (facts or name == "patients"):
                    _insert_columns(self.con, f"p_{name}", cols, rows[name])
            if not facts:
                return
        else:
            if tables is None:
                tables = patient_tables(patients)
            for name in PATIENT_TABLES:
                self.con.register("tm_batch", tables[name])
                self.con.execute(
                    f"CREATE OR REPLACE TEMP TABLE p_{name} AS SELECT * FROM tm_batch")
                self.con.unregister("tm_batch")
        self.con.execute(sql.TESTED)

    def _leaf_truth(self, kinds: list[str] | None = None) -> None:
        """lt(patient_id, leaf_id, v) for every pair in pl, one statement for all kinds."""
        if kinds is None:
            kinds = [r[0] for r in self.con.execute(
                "SELECT DISTINCT l.kind FROM pl JOIN leaves l USING (leaf_id)").fetchall()]
        self.con.execute("DELETE FROM lt")
        parts = [f"SELECT * FROM ({sql.LEAF_SQL[k]})" for k in sorted(kinds)
                 if k in sql.LEAF_SQL]
        if parts:
            self._run("INSERT INTO lt " + " UNION ALL ".join(parts))

    def _python_leaf_truth(self, patients: list[PatientFacts]) -> None:
        """lt(patient_id, leaf_id, v) for every leaf in `scope_leaves` and every patient,
        from the reference evaluator: the rows `_leaf_truth` would write (one per pair,
        none for a kind `LEAF_SQL` does not evaluate)."""
        rows: list[tuple[str, int, int | None]] = []
        for leaf_id, kind, canon in self.con.execute(
                "SELECT s.leaf_id, l.kind, l.canon FROM scope_leaves s "
                "JOIN leaves l USING (leaf_id)").fetchall():
            if kind in sql.LEAF_SQL:
                node = _leaf(canon)
                rows.extend((p.id, leaf_id, evaluate_leaf(node, p, self.ontology))
                            for p in patients)
        self.con.execute("DELETE FROM lt")
        if rows:
            _insert_columns(self.con, "lt", _LT_COLUMNS, rows)

    def _scope(self, cohorts: Iterable[int] | None) -> None:
        if cohorts is None:
            if not self._scope_all:  # re-creating the view would re-plan prepared statements
                self.con.execute(sql.ALL_COHORTS)
                self._scope_all = True
            return
        self._scope_all = False
        self.con.execute("CREATE OR REPLACE TEMP TABLE scope_keys AS "
                         "SELECT unnest(?::INTEGER[]) AS cohort_key", [sorted(set(cohorts))])
        self.con.execute(sql.SOME_COHORTS)

    def _scope_leaves(self, cohorts: Iterable[int] | None) -> tuple[int, list[str]]:
        """Fill `scope_leaves`; (how many, their kinds). Cached while the scope is all."""
        if cohorts is None and self._all_leaves is not None:
            return self._all_leaves
        self.con.execute(sql.ALL_LEAF_SET if cohorts is None else sql.SCOPE_LEAF_SET)
        rows = self.con.execute("SELECT l.kind, count(*) FROM scope_leaves s JOIN leaves l "
                                "USING (leaf_id) GROUP BY l.kind").fetchall()
        found = (sum(n for _, n in rows), sorted(k for k, _ in rows))
        self._all_leaves = found if cohorts is None else None
        return found

    def evaluate(self, patients: list[PatientFacts], *, every_cohort: bool = False,
                 cohorts: Iterable[int] | None = None, fetch: bool = True,
                 tables: dict[str, Any] | None = None) -> list[CohortValue]:
        """Root value of every candidate (patient, cohort) pair.

        `cohorts` limits the evaluation to these cohort keys (`bulk --since-last-run`
        re-matches unchanged patients against changed trials only). With `fetch=False` the
        values are left in the temporary table `roots` (patient_id, cohort_key, trial_id,
        cohort_id, v) for the caller to read in SQL (bulk), with `lt` (leaf values).
        `tables`: the patients' `store.patients.patient_tables`, if the caller made them.
        """
        self._batch_values = None
        self._scope(cohorts)
        n_leaves, kinds = self._scope_leaves(cohorts)
        in_python = (fetch and len(patients) * n_leaves <= self.python_leaf_limit
                     and len(patients) * n_leaves <= self.single_pass_limit)
        self.load_patients(patients, facts=not in_python, tables=tables)
        prune = not every_cohort and len(patients) >= self.prune_from
        if not fetch and len(patients) * n_leaves > self.single_pass_limit:
            # large batch read in SQL (bulk): every leaf once, the CNF folded over arrays
            self._vector_roots(patients, cohorts, kinds, every_cohort)
            return []
        if len(patients) * n_leaves <= self.single_pass_limit:
            # small batch (find): evaluate every leaf once, then keep the gated pairs
            if in_python:
                self._python_leaf_truth(patients)
            else:
                self._refill("pl", sql.SCOPE_LEAVES)
                self._leaf_truth(kinds)
            self._refill("cand", sql.ALL_PAIRS if every_cohort else sql.CANDIDATES)
            if prune:
                self.con.execute(sql.CONJUNCTS)
                self.con.execute(sql.PRUNE)
        else:
            # large batch (bulk): the gate and conjunct leaves first, then only the leaves
            # of the pairs that survive them
            if every_cohort:
                self._replace("cand", sql.ALL_PAIRS)
            else:
                self.con.execute(sql.CONJUNCTS)
                self.con.execute(sql.GATE_LEAVES)
                self._leaf_truth()
                self._replace("cand", sql.CANDIDATES)
                self.con.execute(sql.PRUNE)
            self.con.execute(sql.CAND_LEAVES)
            self._leaf_truth()
        return self._roots(fetch)

    def _roots(self, fetch: bool) -> list[CohortValue]:
        """The root values of the pairs in `cand`: from the stored CNF, and by folding the
        trees level by level for cohorts whose CNF was too large to store."""
        if fetch:
            rows = self._run(sql.CNF_ROOTS).fetchall()
        else:
            self._replace("roots", sql.CNF_ROOTS)
        if self.n_folded:
            self.con.execute(sql.FOLD_ONLY)
            self.con.execute(sql.LEAF_VALUES.format(pairs="cand"))
            self._fold_levels()
            if fetch:
                rows += self.con.execute(sql.ROOTS).fetchall()
            else:
                self.con.execute(f"INSERT INTO roots {sql.ROOTS}")
        return [CohortValue(*r) for r in rows] if fetch else []

    def _vector_roots(self, patients: list[PatientFacts], cohorts: Iterable[int] | None,
                      kinds: list[str], every_cohort: bool) -> None:
        """Fill `roots` (and `lt`, every evaluable leaf in scope for every patient) with the
        pairs whose value is not 0 (every pair with `every_cohort`): cohorts with a stored
        CNF folded over arrays (`match.vector`), the others level by level in SQL."""
        from . import vector

        self._refill("pl", sql.SCOPE_LEAVES)
        self._leaf_truth(kinds)
        if cohorts is None:
            if self._all_plan is None:
                self._all_plan = vector.CnfPlan.read(self.con, "c_scope")
            plan = self._all_plan
        else:
            plan = vector.CnfPlan.read(self.con, "c_scope")
        ids = [p.id for p in patients]
        _, index, leaf_ids, values = self._batch_values = self._fetch_values(ids)
        found = vector.roots_table(plan, ids, index, leaf_ids, values,
                                   every_cohort=every_cohort)
        self.con.register("tm_roots", found)
        self._replace("roots", """SELECT r.patient_id, r.cohort_key, c.trial_id, c.cohort_id,
                                         r.v FROM tm_roots r JOIN cohorts c USING (cohort_key)""")
        self.con.unregister("tm_roots")
        if self.n_folded:
            self._replace("cand", sql.FOLDED_PAIRS)
            self.con.execute(sql.LEAF_VALUES.format(pairs="cand"))
            self._fold_levels()
            keep = "" if every_cohort else " WHERE v IS NULL OR v <> 0"
            self.con.execute(f"INSERT INTO roots SELECT * FROM ({sql.ROOTS}){keep}")

    def _fetch_values(self, ids: list[str]) -> tuple[list[str], Any, Any, Any]:
        """The rows of `lt` with a value as numpy arrays: (ids, index of the patient in
        `ids`, leaf id, value)."""
        import numpy as np
        import pyarrow as pa

        tm_index = pa.table({"patient_id": pa.array(ids, pa.string()),
                             "i": pa.array(range(len(ids)), pa.int32())})
        self.con.register("tm_index", tm_index)
        try:
            got = self.con.execute("SELECT x.i, lt.leaf_id, lt.v FROM lt JOIN tm_index x "
                                   "USING (patient_id) WHERE lt.v IS NOT NULL").fetchnumpy()
        finally:
            self.con.unregister("tm_index")
        return (ids, np.asarray(got["i"], dtype=np.int64),
                np.asarray(got["leaf_id"], dtype=np.int64), np.asarray(got["v"], dtype=np.int8))

    def leaf_values(self, ids: list[str]) -> tuple[Any, Any, Any]:
        """After `evaluate(patients, fetch=False)` with these patients' ids: every
        (patient, leaf) value of `lt` as numpy arrays (index of the patient in `ids`, leaf
        id, value), those the large-batch path read already, else read now."""
        got = self._batch_values
        if got is None or got[0] != ids:
            got = self._fetch_values(ids)
        return got[1], got[2], got[3]

    def _fold_levels(self) -> None:
        for depth in range(self.max_depth, 0, -1):
            self.con.execute(sql.FOLD_LEVEL, [depth])

    def _want(self, pairs: list[tuple[str, int]]) -> None:
        self.con.execute("CREATE OR REPLACE TEMP TABLE want (patient_id VARCHAR, "
                         "cohort_key INTEGER)")
        if pairs:
            _insert_columns(self.con, "want", [("patient_id", "VARCHAR"),
                                               ("cohort_key", "INTEGER")], pairs)

    def literal_rows(self, pairs: list[tuple[str, int]]) -> tuple[list[tuple], list[tuple]]:
        """For (patient, cohort) pairs of the last `evaluate`: the literal rows
        (patient_id, cohort_key, path, words, negated, canon, value) in reading order, and
        the cohort rows (cohort_key, trial_id, cohort_id, label, cohort status,
        manual_review, title, phase, trial status)."""
        self._want(pairs)
        return (self.con.execute(sql.LITERALS).fetchall(),
                self.con.execute(sql.COHORT_INFO).fetchall())

    def node_values(self, pairs: list[tuple[str, int]]) -> dict[tuple[str, int], dict[str, int]]:
        """For (patient, cohort) pairs of the last `evaluate`: node path -> value (nodes
        without a value, as the evaluator's None, left out)."""
        if not pairs:
            return {}
        self._want(pairs)
        self.con.execute(sql.LEAF_VALUES.format(pairs="want"))
        self._fold_levels()
        rows = self.con.execute(
            """SELECT v.patient_id, n.cohort_key, n.path, v.v
               FROM want w JOIN nodes n ON n.cohort_key = w.cohort_key
               JOIN vals v ON v.patient_id = w.patient_id AND v.node_key = n.node_key
               WHERE v.v >= 0"""
        ).fetchall()
        out: dict[tuple[str, int], dict[str, int]] = {}
        for pid, ck, path, v in rows:
            out.setdefault((pid, ck), {})[path] = v
        return out
