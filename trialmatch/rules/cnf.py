"""The conjunctive normal form of a rule tree: the flat reader the matcher evaluates fastest.

Kleene logic over 0 < 1 < 2 is a distributive lattice (AND = min, OR = max) and NOT = 2 - x
reverses it, so De Morgan's laws and distribution hold exactly as in Boolean logic: any tree
equals the `min` over clauses of the `max` over literals, a literal being a leaf or its
negation. What Boolean CNF would simplify away does not hold here (`x or not x` can be 1),
so clauses are never dropped as tautologies.

Unparsed leaves are ignored by every connective (`rules.evaluate.combine`): they are removed
first, with any connective left without children, which is exactly what the evaluator's
"ignore None" does. A tree with nothing evaluable has no CNF (None), like the evaluator.

Distribution can blow up (an `any` of `all`s multiplies clause counts), so `clauses` stops at
`limit` clauses and raises `TooLarge`; the matcher then folds that tree node by node.

A leaf that one profile may leave to manual review (`evaluate.MAY_GO_UNEVALUATED`: an
expression marker the profile does not report) is ignored for that patient only where
its siblings go together. That is exact in the tree, where each connective drops the
child, but not across distribution (in `any(B, all(E, C))` = `(B or E) and (B or C)`,
dropping E leaves B instead of `B or C`), so `clause_rows` stores no CNF for a tree
holding one: the matcher folds it.
"""

from __future__ import annotations

from trialmatch.rules.evaluate import MAY_GO_UNEVALUATED
from trialmatch.rules.nodes import All, AnyOf, Node, Not, Unparsed

Literal = tuple[Node, bool]  # (leaf, negated)
Clause = tuple[Literal, ...]

LIMIT = 256


class TooLarge(Exception):
    """The tree's CNF has more than the allowed number of clauses."""


def clauses(node: Node, limit: int = LIMIT) -> list[Clause] | None:
    """The CNF of `node`: clauses whose literals are in first-seen order (None: nothing
    evaluable). Duplicate literals within a clause and duplicate clauses are removed."""
    found = _cnf(node, False, limit)
    if found is None:
        return None
    return list(dict.fromkeys(tuple(dict.fromkeys(c)) for c in found))


def _cnf(node: Node, negated: bool, limit: int) -> list[Clause] | None:
    if isinstance(node, Not):
        return _cnf(node.item, not negated, limit)
    if not isinstance(node, (All, AnyOf)):
        return None if isinstance(node, Unparsed) else [((node, negated),)]
    parts = [p for p in (_cnf(c, negated, limit) for c in node.children) if p is not None]
    if not parts:
        return None
    if isinstance(node, All) != negated:  # a conjunction (`all`, or a negated `any`)
        out = [c for p in parts for c in p]
    else:  # a disjunction: one clause per choice of a clause from every part
        out = parts[0]
        for part in parts[1:]:
            if len(out) * len(part) > limit:
                raise TooLarge(f"more than {limit} clauses")
            out = [a + b for a in out for b in part]
    if len(out) > limit:
        raise TooLarge(f"more than {limit} clauses")
    return out


def evaluate_clauses(found: list[Clause] | None, leaf_value) -> int | None:
    """min over clauses of max over literals; `leaf_value(leaf)` gives 0, 1, 2 or None /
    `evaluate.MANUAL` (not evaluated: ignored, as SQL's `min` and `max` ignore NULL)."""
    if found is None:
        return None
    values = [max(known) for c in found if (known := [
        2 - v if neg else v for leaf, neg in c
        if (v := leaf_value(leaf)) is not None and v >= 0])]
    return min(values) if values else None


def storable(rule: Node) -> bool:
    """Whether the matcher may evaluate `rule` by its CNF: no leaf that a profile may leave
    unevaluated (see the module's docstring)."""
    if isinstance(rule, (All, AnyOf, Not)):
        return all(storable(c) for c in rule.children)
    return not isinstance(rule, MAY_GO_UNEVALUATED)


def clause_rows(rule: Node, cohort_key: int, leaf_id) -> tuple[int | None, list[tuple]]:
    """(number of clauses or None when too many or not `storable`, rows (cohort_key, clause,
    leaf_id, neg)) of a cohort's tree in CNF; `leaf_id(leaf)` gives a stored leaf's id."""
    if not storable(rule):
        return None, []
    try:
        found = clauses(rule)
    except TooLarge:
        return None, []
    rows = [(cohort_key, i, leaf_id(leaf), neg)
            for i, clause in enumerate(found or ()) for leaf, neg in clause]
    return len(found or ()), rows
