"""The CNF fold of large batches over leaf-truth arrays, not joins (`bulk`).

A cohort's value is the min over its clauses of the max over their literals (`rules.cnf`,
the `clauses` table), in the Kleene integers of `match.sql`. For a batch, the leaf values
`lt` (one SQL pass, every evaluable leaf of the cohorts in scope for every patient) become
one int8 matrix, leaves x patients, with -1 where a leaf has no row (an unparsed leaf, or a
leaf its kind's SQL gives no row): the value a connective ignores. Every clause literal of
every cohort is then a row gathered from it (`2 - v` under a negation), clauses are the max
over consecutive literal rows and cohorts the min over consecutive clause rows
(segments of equal length gathered and reduced together: `_buckets`), a few array
operations per batch and segment length whatever the number of cohorts.

The result is the same as `CNF_ROOTS`: a clause whose literals all have no value is
ignored, and a cohort none of whose clauses has a value (or without clauses: nothing
evaluable) is NULL. The property tests compare both with the reference evaluator. The
work grows with patients x clause literals in plain array passes (about 52,000 literals for
the 11,000 cohorts of the shared corpus plus synthetic trials), where the join it replaces
built one row per candidate pair and literal and grouped them twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

NO_VALUE = -1  # a leaf without a row: ignored by the connectives
IGNORED = 3  # a clause without any valued literal: ignored by the min over clauses


@dataclass(frozen=True)
class CnfPlan:
    """The stored CNF of some cohorts as arrays, literal rows in (cohort, clause) order."""

    cohort_keys: np.ndarray  # int32, the cohorts with clause rows
    cohort_starts: np.ndarray  # first clause (row of `clause_starts`) of each cohort
    clause_starts: np.ndarray  # first literal row of each clause
    leaf_ids: np.ndarray  # int64, the leaf of each literal row
    neg: np.ndarray  # bool, the literal rows under a negation
    empty_keys: np.ndarray  # int32, cohorts with a stored CNF but no clause row
    # the same segments grouped by length (see `_buckets`), made once per plan
    clause_buckets: list[tuple[np.ndarray, np.ndarray]] = field(
        init=False, repr=False, compare=False)
    cohort_buckets: list[tuple[np.ndarray, np.ndarray]] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "clause_buckets",
                           _buckets(self.clause_starts, len(self.leaf_ids)))
        object.__setattr__(self, "cohort_buckets",
                           _buckets(self.cohort_starts, len(self.clause_starts)))

    @classmethod
    def read(cls, con, scope: str) -> CnfPlan:
        """The plan of the cohorts of `scope` (a view or table with `cohort_key`) whose CNF
        is stored."""
        got = con.execute(f"""
            SELECT k.cohort_key, k.clause, k.leaf_id, k.neg
            FROM clauses k JOIN cohorts c ON c.cohort_key = k.cohort_key
            WHERE c.n_clauses IS NOT NULL AND k.cohort_key IN (SELECT cohort_key FROM {scope})
            ORDER BY k.cohort_key, k.clause""").fetchnumpy()
        keys = np.asarray(got["cohort_key"], dtype=np.int64)
        clause = np.asarray(got["clause"], dtype=np.int64)
        n = len(keys)
        new_clause = np.ones(n, dtype=bool)
        new_cohort = np.ones(n, dtype=bool)
        if n:
            new_cohort[1:] = keys[1:] != keys[:-1]
            new_clause[1:] = new_cohort[1:] | (clause[1:] != clause[:-1])
        clause_starts = np.flatnonzero(new_clause)
        cohort_starts = np.flatnonzero(new_cohort[clause_starts])
        empty = con.execute(f"""
            SELECT cohort_key FROM cohorts
            WHERE n_clauses IS NOT NULL AND cohort_key IN (SELECT cohort_key FROM {scope})
              AND cohort_key NOT IN (SELECT cohort_key FROM clauses)
            ORDER BY 1""").fetchnumpy()["cohort_key"]
        return cls(keys[clause_starts[cohort_starts]].astype(np.int32), cohort_starts,
                   clause_starts, np.asarray(got["leaf_id"], dtype=np.int64),
                   np.asarray(got["neg"], dtype=bool), np.asarray(empty, dtype=np.int32))


def leaf_matrix(patient_index: np.ndarray, leaf_ids: np.ndarray, values: np.ndarray,
                n_patients: int, literal_leaves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(matrix, row of each literal): one row per distinct leaf of the (non-empty)
    `literal_leaves`, NO_VALUE where a (leaf, patient) has no value."""
    distinct = np.unique(literal_leaves)
    matrix = np.full((len(distinct), n_patients), NO_VALUE, dtype=np.int8)
    if len(leaf_ids):
        pos = np.minimum(np.searchsorted(distinct, leaf_ids), len(distinct) - 1)
        known = distinct[pos] == leaf_ids
        matrix[pos[known], patient_index[known]] = values[known]
    lit_pos = np.searchsorted(distinct, literal_leaves)
    return matrix, lit_pos


def _buckets(starts: np.ndarray, n_rows: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The segments that start at `starts` (and end where the next starts, the last at
    `n_rows`) grouped by length k: (the segments' numbers, their rows as an n x k array).

    `ufunc.reduceat` along the first axis of a 2-D array costs a Python-free but slow inner
    loop per row (about 1 s per 256 patients on the shared corpus); a gather of equal-length
    segments into an n x k x patients array reduced along its middle axis is one vectorised
    pass per length, and most clauses have one literal (a plain gather)."""
    if not len(starts):
        return []
    lengths = np.diff(np.append(starts, n_rows))
    out = []
    for k in np.unique(lengths):
        seg = np.flatnonzero(lengths == k)
        out.append((seg, starts[seg][:, None] + np.arange(k)))
    return out


def fold(plan: CnfPlan, matrix: np.ndarray, lit_rows: np.ndarray) -> np.ndarray:
    """Cohort values (cohorts of the plan x the matrix's patients), IGNORED for NULL."""
    n = matrix.shape[1]
    # the negated rows below the plain ones: a literal under a `not` reads its own row
    negated = np.where(matrix >= 0, 2 - matrix, matrix).astype(np.int8)
    table = np.concatenate([matrix, negated])
    rows = lit_rows + plan.neg * len(matrix)
    clauses = np.empty((len(plan.clause_starts), n), dtype=np.int8)
    for seg, idx in plan.clause_buckets:
        if idx.shape[1] == 1:
            clauses[seg] = table[rows[idx[:, 0]]]
        else:
            clauses[seg] = table[rows[idx]].max(axis=1)
    clauses[clauses < 0] = IGNORED
    cohorts = np.empty((len(plan.cohort_starts), n), dtype=np.int8)
    for seg, idx in plan.cohort_buckets:
        if idx.shape[1] == 1:
            cohorts[seg] = clauses[idx[:, 0]]
        else:
            cohorts[seg] = clauses[idx].min(axis=1)
    return cohorts


def roots_table(plan: CnfPlan, patient_ids: list[str], patient_index: np.ndarray,
                leaf_ids: np.ndarray, values: np.ndarray, *, every_cohort: bool,
                chunk: int = 256) -> pa.Table:
    """(patient_id, cohort_key, v) of every pair of the plan's cohorts and the patients
    whose value is not 0 (all pairs with `every_cohort`), v NULL when nothing was
    evaluable; patients in chunks of `chunk` so the arrays stay small."""
    n = len(patient_ids)
    ids = pa.array(patient_ids, pa.string())
    parts: list[pa.Table] = []
    if len(plan.leaf_ids):
        matrix, lit_rows = leaf_matrix(patient_index, leaf_ids, values, n, plan.leaf_ids)
        for start in range(0, n, chunk):
            got = fold(plan, matrix[:, start:start + chunk], lit_rows)
            c, p = np.nonzero(got) if not every_cohort else np.indices(got.shape).reshape(2, -1)
            v = got[c, p]
            parts.append(pa.table({
                "patient_id": ids.take(pa.array(p + start)),
                "cohort_key": pa.array(plan.cohort_keys[c], pa.int32()),
                "v": pa.array(v.astype(np.int32), pa.int32(), mask=v == IGNORED)}))
    if len(plan.empty_keys):
        k = len(plan.empty_keys)
        parts.append(pa.table({
            "patient_id": ids.take(pa.array(np.repeat(np.arange(n), k))),
            "cohort_key": pa.array(np.tile(plan.empty_keys, n), pa.int32()),
            "v": pa.nulls(n * k, pa.int32())}))
    if not parts:
        return pa.table({"patient_id": pa.array([], pa.string()),
                         "cohort_key": pa.array([], pa.int32()), "v": pa.array([], pa.int32())})
    return pa.concat_tables(parts)
