"""Writing trials: their JSON documents and the rows `match.compile` made of their trees.

The store decides nothing about matching: leaves and their typed columns, nodes, gates,
CNF clauses and literal labels come compiled (`TrialRows`, from `match.compile`, which
numbers them after `stored_ids`); this module writes them, with one row per trial (its
document and content hash), replacing trials with the same ids.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from trialmatch.rules.trial import Trial
from trialmatch.store.db import Store, registered


@dataclass
class TrialRows:
    """The compiled rows of some trials, in the column order of their tables (`leaves`:
    only the leaves new to the database)."""

    nodes: list[tuple] = field(default_factory=list)
    cohorts: list[tuple] = field(default_factory=list)
    leaves: list[tuple] = field(default_factory=list)
    clauses: list[tuple] = field(default_factory=list)


@dataclass
class StoredIds:
    """What is already numbered: leaves by canonical text (and their kinds), and the next
    free leaf id, node key and cohort key."""

    leaf_ids: dict[str, int]
    kinds: dict[int, str]
    next_leaf: int
    next_node: int
    next_cohort: int


def stored_ids(con) -> StoredIds:
    def next_of(column: str, table: str) -> int:
        return (con.execute(f"SELECT max({column}) FROM {table}").fetchall()[0][0] or 0) + 1

    return StoredIds(dict(con.execute("SELECT canon, leaf_id FROM leaves").fetchall()),
                     dict(con.execute("SELECT leaf_id, kind FROM leaves").fetchall()),
                     next_of("leaf_id", "leaves"), next_of("node_key", "nodes"),
                     next_of("cohort_key", "cohorts"))


def content_hash(trial: Trial) -> str:
    doc = trial.to_dict()
    doc.pop("source", None)
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def write_trials(store: Store, trials: list[Trial], rows: TrialRows, origin: str) -> list[int]:
    """Replace these trials by their documents and compiled `rows` (inside the caller's
    transaction); returns the new leaf ids."""
    con = store.con
    ids = [t.trial_id for t in trials]
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"duplicate trial ids in one load: {', '.join(dupes[:5])}")
    delete_trials(con, ids)
    now = datetime.now()
    docs = [(t.trial_id, t.title, t.phase, t.status, list(t.conditions), t.source, origin,
             content_hash(t), now, json.dumps(t.to_dict())) for t in trials]
    _insert(con, "trials", docs, ["trial_id", "title", "phase", "status", "conditions",
                                  "source", "origin", "content_hash", "loaded_at", "doc"])
    _insert(con, "cohorts", rows.cohorts, ["cohort_key", "trial_id", "cohort_id", "label",
                                           "status", "root_key", "manual_review",
                                           "gate_leaf", "n_clauses"])
    _insert(con, "clauses", rows.clauses, ["cohort_key", "clause", "leaf_id", "neg"])
    _insert(con, "nodes", rows.nodes, ["node_key", "cohort_key", "parent_key", "depth",
                                       "op", "leaf_id", "path", "literal", "lit_leaf",
                                       "label", "words", "odd"])
    _insert(con, "leaves", rows.leaves, ["leaf_id", "kind", "canon", "field", "op",
                                         "num", "str", "gene"])
    if rows.leaves:
        generation = int(store.get_meta("leaves_generation") or 0) + 1
        store.set_meta("leaves_generation", str(generation))
    return [row[0] for row in rows.leaves]


_TYPES = {"conditions": "list_string", "loaded_at": "timestamp", "num": "float64",
          "node_key": "int64", "parent_key": "int64", "root_key": "int64",
          "cohort_key": "int32", "leaf_id": "int32", "depth": "int32", "manual_review": "int32",
          "gate_leaf": "int32", "literal": "bool", "lit_leaf": "int32", "n_clauses": "int32",
          "clause": "int32", "neg": "bool", "odd": "bool"}


def _arrow_type(name: str):
    import pyarrow as pa

    return {"list_string": pa.list_(pa.string()), "timestamp": pa.timestamp("us"),
            "float64": pa.float64(), "int64": pa.int64(), "int32": pa.int32(),
            "bool": pa.bool_(), "string": pa.string()}[name]


def _insert(con, table: str, rows: list[tuple], columns: list[str]) -> None:
    if not rows:
        return
    import pyarrow as pa

    arrays = [pa.array([r[i] for r in rows], type=_arrow_type(_TYPES.get(col, "string")))
              for i, col in enumerate(columns)]
    with registered(con, pa.Table.from_arrays(arrays, names=columns)) as data:
        con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM {data}")


def delete_trials(con, trial_ids: list[str]) -> None:
    if not trial_ids:
        return
    ids = "(SELECT unnest(?::VARCHAR[]))"
    for table in ("nodes", "clauses"):
        con.execute(f"DELETE FROM {table} WHERE cohort_key IN (SELECT cohort_key FROM cohorts "
                    f"WHERE trial_id IN {ids})", [trial_ids])
    con.execute(f"DELETE FROM cohorts WHERE trial_id IN {ids}", [trial_ids])
    con.execute(f"DELETE FROM trials WHERE trial_id IN {ids}", [trial_ids])
