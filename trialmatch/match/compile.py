"""Trial trees compiled to the rows the matcher reads, for `store.trials` to write.

A leaf's identity is its canonical text, so "age >= 18" in 4,000 trials is one leaf,
evaluated once per patient; its typed columns (`leaf_row`) are what the SQL of
`match.sql` joins on. Each cohort also gets a *gate*: a leaf that is a direct conjunct of
its root (so when the gate is not met, the cohort cannot be met), chosen to be selective (a
gene alteration before a biomarker status before a cancer type). The matcher uses gates to
skip the cohorts a patient cannot match. Each cohort's tree is compiled to conjunctive
normal form too (`clauses`, see `rules.cnf`), which the matcher evaluates in one statement
instead of one per tree level. Literals (a leaf, or a `not` right above a leaf) carry their
English label and the trial's words, so results are explained from SQL rows.
"""

from __future__ import annotations

from trialmatch.rules.cnf import clause_rows
from trialmatch.rules.dsl import to_text
from trialmatch.rules.english import describe
from trialmatch.rules.evaluate import SIGNATURE_FACTS, TMB_HIGH
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
    Stage,
    Unparsed,
)
from trialmatch.rules.stages import FIELD as STAGE_FIELD
from trialmatch.rules.stages import threshold
from trialmatch.rules.trial import Trial
from trialmatch.store.db import Store
from trialmatch.store.trials import StoredIds, TrialRows, stored_ids

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
        case Stage():
            row.update(kind="number", field=STAGE_FIELD, op=node.op,
                       num=threshold(node.op, node.value))
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


class TrialCompiler:
    """Numbers new leaves, nodes and cohorts after those already stored (`ids`)."""

    def __init__(self, ids: StoredIds) -> None:
        self.leaf_ids = ids.leaf_ids
        self.kinds = ids.kinds
        self.next_leaf, self.next_node, self.next_cohort = (ids.next_leaf, ids.next_node,
                                                            ids.next_cohort)

    def _leaf(self, node: Node, rows: TrialRows) -> int:
        canon = to_text(node)
        lid = self.leaf_ids.get(canon)
        if lid is None:
            lid = self.next_leaf
            self.next_leaf += 1
            row = leaf_row(node)
            self.leaf_ids[canon] = lid
            self.kinds[lid] = str(row["kind"])
            rows.leaves.append((lid, row["kind"], canon, row["field"], row["op"],
                                row["num"], row["str"], row["gene"]))
        return lid

    def _flatten(self, node: Node, cohort_key: int, parent: int | None, depth: int,
                 path: str, rows: TrialRows, under_not: bool = False, odd: bool = False) -> int:
        """Rows for `node` and its subtree. Literals (a leaf, or a `not` right above a leaf:
        the unit a coordinator reads) also carry their English label and the trial's words,
        so results can be explained from SQL rows without rebuilding trees; every node
        whether it is under an odd number of `not`s (`odd`: see `rules.evaluate`)."""
        key = self.next_node
        self.next_node += 1
        if isinstance(node, (All, AnyOf, Not)):
            lit = isinstance(node, Not) and not isinstance(node.item, (All, AnyOf, Not))
            lit_leaf = self._leaf(node.item, rows) if lit and isinstance(node, Not) else None
            rows.nodes.append((key, cohort_key, parent, depth, node.kind, None, path, lit,
                               lit_leaf, *(_literal_words(node) if lit else (None, None)), odd))
            for i, child in enumerate(node.children):
                self._flatten(child, cohort_key, key, depth + 1, f"{path}/{i}", rows,
                              under_not=lit, odd=odd != isinstance(node, Not))
        else:
            lid = self._leaf(node, rows)
            rows.nodes.append((key, cohort_key, parent, depth, "leaf", lid, path,
                               not under_not, lid, *_literal_words(node), odd))
        return key

    def compile(self, trials: list[Trial]) -> TrialRows:
        rows = TrialRows()
        for t in trials:
            for c in t.cohorts:
                ck = self.next_cohort
                self.next_cohort += 1
                root = self._flatten(c.rule, ck, None, 0, "", rows)
                gate = choose_gate(c.rule, self.leaf_ids, self.kinds)
                n_clauses, found = clause_rows(c.rule, ck,
                                               lambda leaf: self._leaf(leaf, rows))
                rows.clauses.extend(found)
                rows.cohorts.append((ck, t.trial_id, c.id, c.label, c.status, root,
                                     t.manual_review(c), gate, n_clauses))
        return rows


def compile_trials(store: Store, trials: list[Trial]) -> TrialRows:
    """The rows of `trials`, numbered after what `store` holds (write them with
    `store.trials.write_trials`, in the same transaction)."""
    return TrialCompiler(stored_ids(store.con)).compile(trials)
