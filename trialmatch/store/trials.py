"""Writing trials: JSON documents, cohorts, flattened rule nodes, de-duplicated leaves.

A leaf's identity is its canonical text, so "age >= 18" in 4,000 trials is one leaf,
evaluated once per patient. Each cohort also records a *gate*: a leaf that is a direct
conjunct of its root (so when the gate is not met, the cohort cannot be met), chosen to be
selective (a gene alteration before a biomarker status before a cancer type). The matcher
uses gates to skip the cohorts a patient cannot match. And each cohort's tree is stored in
conjunctive normal form too (`clauses`, see `rules.cnf`), which the matcher evaluates in one
statement instead of one per tree level.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from trialmatch.rules.cnf import TooLarge, clauses
from trialmatch.rules.dsl import to_text
from trialmatch.rules.evaluate import SIGNATURE_FACTS, TMB_HIGH
from trialmatch.rules.explain import describe
from trialmatch.rules.nodes import (
    Age,
    All,
    Alteration,
    AnyOf,
    Diagnosis,
    Expression,
    Fusion,
    Measurement,
    Node,
    Not,
    Performance,
    Population,
    PriorTherapy,
    Sex,
    Signature,
    Unparsed,
)
from trialmatch.rules.trial import Trial
from trialmatch.store.db import Store

GATE_PRIORITY = {"alteration": 0, "fusion": 0, "status": 1, "diagnosis": 2}


def leaf_row(node: Node) -> dict[str, object]:
    """The typed columns of a leaf in the `leaves` table."""
    row: dict[str, object] = {"kind": None, "field": None, "op": None, "num": None,
                              "str": None, "gene": None}
    match node:
        case Alteration(alteration="wildtype"):
            row.update(kind="wildtype", gene=node.gene)
        case Alteration():
            row.update(kind="alteration", gene=node.gene)
        case Fusion():
            row.update(kind="fusion", gene=node.gene, str=node.partner)
        case Signature(name="TMB-H"):
            row.update(kind="number", field="tmb", op=">=", num=TMB_HIGH)
        case Signature():
            row.update(kind="status", field=SIGNATURE_FACTS[node.name][0], op="=",
                       str=node.name)
        case Measurement() if isinstance(node.value, str):
            row.update(kind="status", field=node.marker, op=node.op, str=node.value)
        case Measurement():
            row.update(kind="number", field=node.marker, op=node.op, num=node.value)
        case Age():
            row.update(kind="number", field="age", op=node.op, num=node.value)
        case Performance():
            row.update(kind="number", field=node.scale, op=node.op, num=node.value)
        case Sex():
            row.update(kind="sex", str=node.value)
        case Diagnosis():
            row.update(kind="diagnosis", str=node.code)
        case PriorTherapy():
            row.update(kind="prior", str=node.concept,
                       field="|".join(node.excluding) if node.excluding else None)
        case Population():
            row.update(kind="population", str=node.scope)
        case Expression():
            row.update(kind="expression", gene=node.gene, str=node.level)
        case Unparsed():
            row.update(kind="unparsed")
        case _:
            raise TypeError(f"no storage form for node kind {node.kind!r}")
    return row


def choose_gate(root: Node, leaf_ids: dict[str, int], kinds: dict[int, str]) -> int | None:
    """The most selective leaf that the root cannot be met without, if any."""
    candidates = root.items if isinstance(root, All) else (root,)
    best: tuple[int, int] | None = None
    for node in candidates:
        if isinstance(node, (All, AnyOf, Not)):
            continue
        lid = leaf_ids[to_text(node)]
        prio = GATE_PRIORITY.get(kinds[lid])
        if prio is not None and (best is None or prio < best[0]):
            best = (prio, lid)
    return best[1] if best else None


def _literal_words(node: Node) -> tuple[str, str | None]:
    """(English label, the trial's own words) of a literal."""
    leaf = node.item if isinstance(node, Not) else node
    words = None
    for n in (node, leaf):
        if n.prov is not None and n.prov.text:
            words = n.prov.text
            break
    return describe(node), words


def content_hash(trial: Trial) -> str:
    doc = trial.to_dict()
    doc.pop("source", None)
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class _Batch:
    nodes: list[tuple] = field(default_factory=list)
    cohorts: list[tuple] = field(default_factory=list)
    trials: list[tuple] = field(default_factory=list)
    new_leaves: list[tuple] = field(default_factory=list)
    clauses: list[tuple] = field(default_factory=list)


def clause_rows(rule: Node, cohort_key: int, leaf_id) -> tuple[int | None, list[tuple]]:
    """(number of clauses or None when too many, rows (cohort_key, clause, leaf_id, neg))
    of a cohort's tree in CNF; `leaf_id(leaf)` gives a stored leaf's id."""
    try:
        found = clauses(rule)
    except TooLarge:
        return None, []
    rows = [(cohort_key, i, leaf_id(leaf), neg)
            for i, clause in enumerate(found or ()) for leaf, neg in clause]
    return len(found or ()), rows


class TrialWriter:
    """Flattens trials into rows; `write` replaces trials with the same ids."""

    def __init__(self, store: Store) -> None:
        self.store = store
        con = store.con
        self.leaf_ids: dict[str, int] = dict(con.execute(
            "SELECT canon, leaf_id FROM leaves").fetchall())
        self.kinds: dict[int, str] = dict(con.execute(
            "SELECT leaf_id, kind FROM leaves").fetchall())
        self.next_leaf = (con.execute("SELECT max(leaf_id) FROM leaves").fetchall()[0][0] or 0) + 1
        self.next_node = (con.execute("SELECT max(node_key) FROM nodes").fetchall()[0][0] or 0) + 1
        self.next_cohort = (con.execute(
            "SELECT max(cohort_key) FROM cohorts").fetchall()[0][0] or 0) + 1

    def _leaf(self, node: Node, batch: _Batch) -> int:
        canon = to_text(node)
        lid = self.leaf_ids.get(canon)
        if lid is None:
            lid = self.next_leaf
            self.next_leaf += 1
            row = leaf_row(node)
            self.leaf_ids[canon] = lid
            self.kinds[lid] = str(row["kind"])
            batch.new_leaves.append((lid, row["kind"], canon, row["field"], row["op"],
                                     row["num"], row["str"], row["gene"]))
        return lid

    def _flatten(self, node: Node, cohort_key: int, parent: int | None, depth: int,
                 path: str, batch: _Batch, under_not: bool = False) -> int:
        """Rows for `node` and its subtree. Literals (a leaf, or a `not` right above a leaf:
        the unit a coordinator reads) also carry their English label and the trial's words,
        so results can be explained from SQL rows without rebuilding trees."""
        key = self.next_node
        self.next_node += 1
        if isinstance(node, (All, AnyOf, Not)):
            lit = isinstance(node, Not) and not isinstance(node.item, (All, AnyOf, Not))
            lit_leaf = self._leaf(node.item, batch) if lit and isinstance(node, Not) else None
            batch.nodes.append((key, cohort_key, parent, depth, node.kind, None, path, lit,
                                lit_leaf, *(_literal_words(node) if lit else (None, None))))
            for i, child in enumerate(node.children):
                self._flatten(child, cohort_key, key, depth + 1, f"{path}/{i}", batch,
                              under_not=lit)
        else:
            lid = self._leaf(node, batch)
            batch.nodes.append((key, cohort_key, parent, depth, "leaf", lid, path, not under_not,
                                lid, *_literal_words(node)))
        return key

    def rows(self, trials: list[Trial], origin: str) -> _Batch:
        batch = _Batch()
        now = datetime.now()
        for t in trials:
            batch.trials.append((t.trial_id, t.title, t.phase, t.status, list(t.conditions),
                                 t.source, origin, content_hash(t), now,
                                 json.dumps(t.to_dict())))
            for c in t.cohorts:
                ck = self.next_cohort
                self.next_cohort += 1
                root = self._flatten(c.rule, ck, None, 0, "", batch)
                gate = choose_gate(c.rule, self.leaf_ids, self.kinds)
                n_clauses, rows = clause_rows(c.rule, ck, lambda leaf: self._leaf(leaf, batch))
                batch.clauses.extend(rows)
                batch.cohorts.append((ck, t.trial_id, c.id, c.label, c.status, root,
                                      t.manual_review(c), gate, n_clauses))
        return batch

    def write(self, trials: list[Trial], origin: str) -> list[int]:
        """Replace these trials (inside the caller's transaction); returns new leaf ids."""
        con = self.store.con
        ids = [t.trial_id for t in trials]
        if len(set(ids)) != len(ids):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"duplicate trial ids in one load: {', '.join(dupes[:5])}")
        delete_trials(con, ids)
        batch = self.rows(trials, origin)
        _insert(con, "trials", batch.trials, ["trial_id", "title", "phase", "status",
                                               "conditions", "source", "origin",
                                               "content_hash", "loaded_at", "doc"])
        _insert(con, "cohorts", batch.cohorts, ["cohort_key", "trial_id", "cohort_id", "label",
                                                 "status", "root_key", "manual_review",
                                                 "gate_leaf", "n_clauses"])
        _insert(con, "clauses", batch.clauses, ["cohort_key", "clause", "leaf_id", "neg"])
        _insert(con, "nodes", batch.nodes, ["node_key", "cohort_key", "parent_key", "depth",
                                             "op", "leaf_id", "path", "literal", "lit_leaf",
                                             "label", "words"])
        _insert(con, "leaves", batch.new_leaves, ["leaf_id", "kind", "canon", "field", "op",
                                                   "num", "str", "gene"])
        if batch.new_leaves:
            generation = int(self.store.get_meta("leaves_generation") or 0) + 1
            self.store.set_meta("leaves_generation", str(generation))
        return [row[0] for row in batch.new_leaves]


_TYPES = {"conditions": "list_string", "loaded_at": "timestamp", "num": "float64",
          "node_key": "int64", "parent_key": "int64", "root_key": "int64",
          "cohort_key": "int32", "leaf_id": "int32", "depth": "int32", "manual_review": "int32",
          "gate_leaf": "int32", "literal": "bool", "lit_leaf": "int32", "n_clauses": "int32",
          "clause": "int32", "neg": "bool"}


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
    data = pa.Table.from_arrays(arrays, names=columns)  # noqa: F841 - read by DuckDB below
    con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM data")


def delete_trials(con, trial_ids: list[str]) -> None:
    if not trial_ids:
        return
    ids = "(SELECT unnest(?::VARCHAR[]))"
    for table in ("nodes", "clauses"):
        con.execute(f"DELETE FROM {table} WHERE cohort_key IN (SELECT cohort_key FROM cohorts "
                    f"WHERE trial_id IN {ids})", [trial_ids])
    con.execute(f"DELETE FROM cohorts WHERE trial_id IN {ids}", [trial_ids])
    con.execute(f"DELETE FROM trials WHERE trial_id IN {ids}", [trial_ids])
