"""Upgrading a database written by an older trialmatch, one schema version at a time.

Each step runs inside the transaction that opens the file, so an upgrade either completes
or leaves the file as it was. Versions older than the first step here are refused with a
message to re-create the file (they predate the first release with migrations).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import duckdb

from trialmatch.rules.dsl import to_text
from trialmatch.rules.trial import Trial
from trialmatch.store.schema import (
    CLAUSES_DDL,
    MEMBERS_DDL,
    REGISTRY_DDL,
    STATED_DDL,
    UNSTATED_DDL,
)


def _v4_to_v5(con: duckdb.DuckDBPyConnection) -> None:
    """Version 5 stores every cohort's tree in conjunctive normal form (`clauses`)."""
    from trialmatch.rules.cnf import clause_rows
    from trialmatch.store.trials import _insert

    con.execute(CLAUSES_DDL)
    con.execute("ALTER TABLE cohorts ADD COLUMN n_clauses INTEGER")
    leaf_ids = dict(con.execute("SELECT canon, leaf_id FROM leaves").fetchall())
    keys = {(t, c): k for k, t, c in con.execute(
        "SELECT cohort_key, trial_id, cohort_id FROM cohorts").fetchall()}
    counts, rows = [], []
    for (doc,) in con.execute("SELECT doc FROM trials").fetchall():
        trial = Trial.from_dict(json.loads(doc))
        for cohort in trial.cohorts:
            key = keys[(trial.trial_id, cohort.id)]
            n, found = clause_rows(cohort.rule, key, lambda leaf: leaf_ids[to_text(leaf)])
            counts.append((key, n))
            rows.extend(found)
    _insert(con, "clauses", rows, ["cohort_key", "clause", "leaf_id", "neg"])
    if counts:
        con.execute("UPDATE cohorts SET n_clauses = u.n FROM (SELECT unnest(?::INTEGER[]) AS k, "
                    "unnest(?::INTEGER[]) AS n) u WHERE cohorts.cohort_key = u.k",
                    [[k for k, _ in counts], [n for _, n in counts]])


def _v5_to_v6(con: duckdb.DuckDBPyConnection) -> None:
    """Version 6 keeps registry facts beside the rules: sites, record versions, sync state."""
    for ddl in REGISTRY_DDL:
        con.execute(ddl)


def _v6_to_v7(con: duckdb.DuckDBPyConnection) -> None:
    """Version 7 remembers the patients of each bulk cohort (`cohort_members`)."""
    con.execute(MEMBERS_DDL)


def _v7_to_v8(con: duckdb.DuckDBPyConnection) -> None:
    """Version 8 knows cancer codes of unstated subtype (`cancer_unstated`); the derived
    tables are built again on the next open."""
    con.execute(UNSTATED_DDL)
    con.execute("DELETE FROM meta WHERE key = 'derived'")


def _v8_to_v9(con: duckdb.DuckDBPyConnection) -> None:
    """Version 9 leaves an expression marker a profile does not report to manual review for
    that patient (`rules.evaluate.MAY_GO_UNEVALUATED`), which the fold reads by each node's
    polarity (`nodes.odd`, computed here from the stored trees) and a stored CNF cannot
    honour (`rules.cnf`): the cohorts holding such a leaf lose their clauses."""
    con.execute("ALTER TABLE nodes ADD COLUMN IF NOT EXISTS odd BOOLEAN")
    con.execute("""
        UPDATE nodes SET odd = p.odd FROM (
            WITH RECURSIVE pol(node_key, op, odd) AS (
                SELECT node_key, op, false FROM nodes WHERE parent_key IS NULL
                UNION ALL
                SELECT n.node_key, n.op, pol.odd <> (pol.op = 'not')
                FROM nodes n JOIN pol ON n.parent_key = pol.node_key)
            SELECT node_key, odd FROM pol) p
        WHERE nodes.node_key = p.node_key""")
    held = ("SELECT DISTINCT n.cohort_key FROM nodes n JOIN leaves l ON l.leaf_id = n.leaf_id "
            "WHERE l.kind = 'expression'")
    con.execute(f"DELETE FROM clauses WHERE cohort_key IN ({held})")
    con.execute(f"UPDATE cohorts SET n_clauses = NULL WHERE cohort_key IN ({held})")


def _v9_to_v10(con: duckdb.DuckDBPyConnection) -> None:
    """Version 10 knows cancer subtypes a record names when a patient has them
    (`cancer_stated`); the derived tables are built again on the next open."""
    con.execute(STATED_DDL)
    con.execute("DELETE FROM meta WHERE key = 'derived'")


STEPS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {
    4: _v4_to_v5, 5: _v5_to_v6, 6: _v6_to_v7, 7: _v7_to_v8, 8: _v8_to_v9, 9: _v9_to_v10}
