"""Readings of a whole criterion tree that no single finding can make.

* **What cannot be read stays open.** The evaluators ignore `unparsed` leaves, which is
  right where a connective only gets stricter with them ignored being wrong: in an `all`
  (under an even number of `not`s) an unreadable condition is for manual review and the
  rest still decides. But an `any` with an unreadable alternative ("one of: postmenopausal,
  or age over 60") would require the alternatives that could be read, and under a `not` an
  `all` with an unreadable part ("brain metastases and an EGFR mutation" as an exclusion)
  would exclude on the readable part alone. Such a connective becomes one `unparsed`
  criterion with its words: for manual review, never a silent narrowing. An alternative
  made of unreadable parts only ("X, or all of: a; b" with a and b unread) is unreadable.
* **Bounds that cannot hold together are alternatives.** Two age bounds side by side in one
  criterion that no age meets ("< 60 years for cohort A, >= 60 years for cohort B") were
  read from different branches: they are an `any`. So are two whole ranges side by side
  ("2 to 17 years in stage 1 and 1 to 17 years in stage 2"): one range is written once.
* **Alternatives among alternatives are one list.** An `any` inside an `any` ("melanoma or
  a sarcoma", where "sarcoma" covers several branches of the ontology) means the same as
  one `any` of all their items, which is what later readings expect (`population`); an
  alternative written twice (a name and its abbreviation, "X (X-ABBR)") is one.
* **Things ruled out in an "or" list are each ruled out.** "AML, excluding APL or t(8;21)"
  names two exceptions, each read as a `not`; an `any` of them would let in a patient with
  one of them (who lacks the other). An `any` whose items are all `not`s (not itself under
  a `not`) is the `not` of an `any`: none of them.
"""

from __future__ import annotations

from dataclasses import replace

from trialmatch.rules.nodes import Age, All, AnyOf, Node, Not, Unparsed
from trialmatch.rules.rewrite import rewrite

OPEN_ALTERNATIVE = "an alternative or a part of it needs manual review"


def _words(node: Node) -> str:
    if node.prov is not None and node.prov.text:
        return node.prov.text
    if isinstance(node, Unparsed):
        return node.text
    return "; ".join(_words(c) for c in node.children)


def _open(node: Node) -> bool:
    """Whether nothing of `node` can be read: an `unparsed` leaf, or a connective over such
    nodes only (the evaluators ignore it as they ignore the leaf)."""
    if isinstance(node, Unparsed):
        return True
    return isinstance(node, (All, AnyOf, Not)) and all(_open(c) for c in node.children)


def keep_open(rule: Node) -> Node:
    """See the module docstring (first point)."""

    def visit(node: Node, negated: bool, _depth: int) -> Node:
        if negated and isinstance(node, All):
            # (an unreadable part of its own: under a `not`, an `all` of an exclusion's
            # sentences, one unreadable, still excludes on the sentence that can be read)
            # ("earlier immunotherapy with any of: <unreadable adverse events>": the choice
            # of unreadable alternatives is an unreadable part too)
            opened = [isinstance(c, Unparsed) or (isinstance(c, AnyOf) and _open(c))
                      for c in node.children]
        elif not negated and isinstance(node, AnyOf):
            opened = [_open(c) for c in node.children]
        else:
            return node
        if any(opened) and not all(opened):
            return Unparsed(_words(node), reason=OPEN_ALTERNATIVE, prov=node.prov)
        return node

    return rewrite(rule, visit)


def _bounds(node: Node) -> list[Age]:
    """The age bounds of an age leaf or of an `all` of age leaves (a range); [] otherwise."""
    if isinstance(node, Age):
        return [node]
    if isinstance(node, All) and node.items and all(isinstance(c, Age) for c in node.items):
        return [c for c in node.items if isinstance(c, Age)]
    return []


def _range(node: Node) -> bool:
    """Whether an age group has a lower and an upper bound (a whole range, "2 to 17")."""
    ops = {a.op for a in _bounds(node)}
    return bool(ops & {">", ">="}) and bool(ops & {"<", "<="})


def _age_interval(ages: list[Age]) -> bool:
    """Whether some age meets every bound."""
    lo, lo_open, hi, hi_open = float("-inf"), False, float("inf"), False
    for a in ages:
        if a.op in (">", ">=") and (a.value > lo or (a.value == lo and a.op == ">")):
            lo, lo_open = a.value, a.op == ">"
        elif a.op in ("<", "<=") and (a.value < hi or (a.value == hi and a.op == "<")):
            hi, hi_open = a.value, a.op == "<"
        elif a.op == "=":
            lo = hi = a.value
    return lo < hi or (lo == hi and not lo_open and not hi_open)


def separate_bounds(rule: Node) -> Node:
    """See the module docstring (second point); the root `all` (the cohort, whose bounds
    come from different criteria) is left as it is."""

    def visit(node: Node, _negated: bool, depth: int) -> Node:
        if not isinstance(node, All) or depth == 0:
            return node
        groups = [c for c in node.items if _bounds(c)]
        if len(groups) < 2 or (_age_interval([a for g in groups for a in _bounds(g)])
                               and not all(_range(g) for g in groups)):
            return node
        first = node.items.index(groups[0])
        rest = [c for c in node.items if not _bounds(c)]
        rest.insert(first, AnyOf(tuple(groups), prov=node.prov))
        return rest[0] if len(rest) == 1 else replace(node, items=tuple(rest))

    return rewrite(rule, visit)


def flat_alternatives(rule: Node) -> Node:
    """See the module docstring (third point)."""

    def visit(node: Node, _negated: bool, _depth: int) -> Node:
        if not isinstance(node, AnyOf):
            return node
        items = tuple(dict.fromkeys(x for c in node.items
                                    for x in (c.items if isinstance(c, AnyOf) else (c,))))
        if items == node.items:
            return node
        return items[0] if len(items) == 1 else replace(node, items=items)

    return rewrite(rule, visit)


def none_of_excepted(rule: Node) -> Node:
    """See the module docstring (fourth point)."""

    def visit(node: Node, negated: bool, _depth: int) -> Node:
        if negated or not (isinstance(node, AnyOf) and len(node.items) >= 2 and all(
                isinstance(c, Not) and c.stated is None for c in node.items)):
            return node
        return Not(AnyOf(tuple(c.item for c in node.items if isinstance(c, Not)),
                         prov=node.prov), prov=node.prov)

    return rewrite(rule, visit)


def simplify(rule: Node) -> Node:
    """The four readings, in order."""
    return keep_open(separate_bounds(none_of_excepted(flat_alternatives(rule))))
