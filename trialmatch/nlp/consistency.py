"""Criteria of one cohort that no patient can meet together, and what is done with them.

A cohort's rule requires some leaves and rules others out (the conjunction at its top, the
items of a ruled-out `any` one by one). Two of them may be impossible together: two
unrelated cancer types required, a cancer type required and ruled out, an empty age or
performance range, both sexes, a drug (or a drug of its class) required and ruled out, the
same alteration required and ruled out; or a required `any` each of whose options is ruled
out so. Trial text almost never means that: "Males ... Females ..." are two groups, "ages 12
to 17" beside "18 and older" two age groups, a drug named in an exclusion and again in a
requirement a misreading of one of them. A cohort with such a pair would reject every
patient, so `without_conflicts` leaves both leaves (or the `any`) for manual review instead,
with the reason `CONFLICT`; what else the cohort requires still holds.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from trialmatch.rules.dsl import to_text
from trialmatch.rules.nodes import (
    Age,
    All,
    Alteration,
    AnyOf,
    Diagnosis,
    Measurement,
    Node,
    Not,
    Performance,
    Population,
    PriorTherapy,
    Sex,
    Unparsed,
)
from trialmatch.rules.rewrite import rewrite

CONFLICT = "contradicts another criterion of the same cohort"
_INF = float("inf")


def units(node: Node) -> list[tuple[Node, bool]]:
    """The leaves a cohort requires (True) or rules out (False), and its required `any`s."""
    out: list[tuple[Node, bool]] = []
    if isinstance(node, All):
        for item in node.items:
            out += units(item)
    elif isinstance(node, Not):
        inner = node.item
        if isinstance(inner, AnyOf):
            for item in inner.items:
                out += units(Not(item))
        elif isinstance(inner, Not):
            out += units(inner.item)
        elif not isinstance(inner, All):
            out.append((inner, False))
    else:
        out.append((node, True))
    return out


def _interval(op: str, v: float) -> tuple[float, float]:
    return {">=": (v, _INF), ">": (v + 1e-6, _INF), "<=": (-_INF, v), "<": (-_INF, v - 1e-6),
            "=": (v, v)}.get(op, (-_INF, _INF))


def _above(ont: Any, code: str) -> Any:
    """The cancer types `code` is a kind of (itself included); an ontology without a cancer
    hierarchy (a lexicon-only stub) knows only the code itself."""
    ancestors = getattr(ont, "cancer_ancestors", None)
    return ancestors(code) if ancestors is not None else {code: 0}


def _kinds(ont: Any, concept: str) -> Any:
    """The drug concepts `concept` belongs to (itself included, as `_above`)."""
    concepts = getattr(ont, "drug_concepts", None)
    return concepts(concept) if concepts is not None else {concept}


def _diagnoses(a: Diagnosis, pa: bool, b: Diagnosis, pb: bool, ont: Any) -> bool:
    if pa and pb:  # two required types, neither a kind of the other
        return not (a.code == b.code or a.code in _above(ont, b.code)
                    or b.code in _above(ont, a.code))
    need, ruled = (a, b) if pa else (b, a)
    return pa != pb and (need.code == ruled.code or ruled.code in _above(ont, need.code))


def _ranges(a: Age | Performance, b: Age | Performance) -> bool:
    """Two required limits on one scale whose ranges do not meet."""
    if getattr(a, "scale", None) != getattr(b, "scale", None):
        return False
    lo_a, hi_a = _interval(a.op, a.value)
    lo_b, hi_b = _interval(b.op, b.value)
    return max(lo_a, lo_b) > min(hi_a, hi_b)


def _required_and_ruled_out(need: Node, ruled: Node, ont: Any) -> bool:
    if isinstance(need, PriorTherapy) and isinstance(ruled, PriorTherapy):
        return (need.concept == ruled.concept or ruled.concept in _kinds(ont, need.concept)) \
            and need.concept not in ruled.excluding
    if isinstance(need, Alteration) and isinstance(ruled, Alteration):
        return need.gene == ruled.gene and need.alteration == ruled.alteration and (
            (ruled.variant is None and ruled.exon is None)
            or (need.variant, need.exon) == (ruled.variant, ruled.exon))
    return need == ruled  # fusion, signature, expression, measurement: the same leaf


def _wildtype(node: Node) -> bool:
    return isinstance(node, Alteration) and node.alteration == "wildtype"


def _wildtype_and_mutation(a: Node, b: Node) -> bool:
    """A gene required wild-type and required mutated (any of its mutations)."""
    return isinstance(a, Alteration) and isinstance(b, Alteration) and a.gene == b.gene \
        and _wildtype(a) != _wildtype(b) and "mutation" in (a.alteration, b.alteration)


def conflict(a: Node, pa: bool, b: Node, pb: bool, ont: Any) -> bool:
    """Whether leaf `a` holding `pa` and leaf `b` holding `pb` cannot both be true of a patient."""
    if type(a) is not type(b) or isinstance(a, (AnyOf, All, Unparsed, Population)):
        return False  # (an unread criterion is no fact about the patient)
    if isinstance(a, Diagnosis) and isinstance(b, Diagnosis):
        return _diagnoses(a, pa, b, pb, ont)
    if isinstance(a, (Age, Performance)) and isinstance(b, (Age, Performance)):
        return pa and pb and _ranges(a, b)
    if isinstance(a, Sex) and isinstance(b, Sex):
        return a.value != b.value if pa and pb else pa != pb and a.value == b.value
    if pa == pb:
        return pa and (isinstance(a, Measurement) and isinstance(b, Measurement)
                       and a.marker == b.marker and a.op == b.op == "=" and a.value != b.value
                       or _wildtype_and_mutation(a, b))
    return _required_and_ruled_out(*((a, b) if pa else (b, a)), ont)


def _options(node: AnyOf) -> list[tuple[Node, bool]]:
    """The options of a required `any` as leaves that must hold (True) or not (False);
    none when an option is itself a combination."""
    options: list[tuple[Node, bool]] = []
    for option in node.items:
        if isinstance(option, Not) and not isinstance(option.item, (All, AnyOf, Not)):
            options.append((option.item, False))
        elif isinstance(option, (All, AnyOf, Not)):
            return []
        else:
            options.append((option, True))
    return options


def conflicts(rule: Node, ont: Any) -> Iterator[tuple[Node, ...]]:
    """Each set of nodes of `rule` that no patient can satisfy together: a pair of leaves,
    or a required `any` with the leaves that rule out every one of its options."""
    found = units(rule)
    leaves = [(n, p) for n, p in found if not isinstance(n, AnyOf)]
    # (a gene required wild-type outweighs its mutations required beside it: the mutations
    # listed are what the wild type excludes, "no mutation in codons 12, 13, 61 ...")
    for (a, pa), (b, pb) in itertools.combinations(leaves, 2):
        if conflict(a, pa, b, pb, ont):
            yield tuple(n for n in (a, b) if not (pa and pb and _wildtype(n)
                                                  and _wildtype_and_mutation(a, b)))
    for node, _p in found:
        options = _options(node) if isinstance(node, AnyOf) else []
        blockers = [[leaf for leaf, pl in leaves if conflict(o, po, leaf, pl, ont)]
                    for o, po in options]
        if options and all(blockers):
            yield node, *{id(b): b for bs in blockers for b in bs
                          if not (_wildtype(b) and any(_wildtype_and_mutation(b, o)
                                                       for o, _po in options))}.values()


def _option_leaves(option: Node) -> list[tuple[Node, bool]]:
    """The leaves one option of an `any` needs (its own `any`s left out: not decided here)."""
    if isinstance(option, Not) and not isinstance(option.item, (All, AnyOf, Not)):
        return [(option.item, False)]
    if isinstance(option, All):
        return [(n, p) for n, p in units(option) if not isinstance(n, AnyOf)]
    return [] if isinstance(option, (AnyOf, Not)) else [(option, True)]


def _dead(option: Node, leaves: list[tuple[Node, bool]], anys: list[AnyOf], ont: Any) -> bool:
    """Whether an option cannot hold beside these leaves and required `any`s of another
    criterion: a leaf of it conflicts with one of them, or a cancer type it needs is none
    of the types an `any` of cancer types asks for."""
    mine = _option_leaves(option)
    if any(conflict(a, pa, b, pb, ont) for a, pa in mine for b, pb in leaves):
        return True
    return any(isinstance(a, Diagnosis) and pa and opts and all(
        isinstance(o, Diagnosis) and po and conflict(a, True, o, True, ont) for o, po in opts)
        for a, pa in mine for opts in (_options(n) for n in anys))


def _incompatible(a: Node, b: Node, ont: Any) -> bool:
    """Whether two criteria of a cohort cannot hold together: a leaf of one conflicts with a
    leaf of the other, or every option of a required `any` of one is dead beside the other."""
    ua, ub = units(a), units(b)
    la = [(n, p) for n, p in ua if not isinstance(n, AnyOf)]
    lb = [(n, p) for n, p in ub if not isinstance(n, AnyOf)]
    if any(conflict(x, px, y, py, ont) for x, px in la for y, py in lb):
        return True
    for mine, other_leaves, other in ((ua, lb, ub), (ub, la, ua)):
        anys = [n for n, _p in other if isinstance(n, AnyOf)]
        for node, _p in mine:
            if isinstance(node, AnyOf) and node.items and all(
                    _dead(o, other_leaves, anys, ont) for o in node.items):
                return True
    return False


def _names_type(node: Node) -> bool:
    """Whether a criterion requires a cancer type (in a leaf or an option of an `any`)."""
    for n, p in units(node):
        if isinstance(n, Diagnosis) and p:
            return True
        if isinstance(n, AnyOf) and any(
                isinstance(x, Diagnosis) and px for o in n.items for x, px in _option_leaves(o)):
            return True
    return False


def alternative_populations(rule: Node, ont: Any) -> Node:
    """Two criteria at the top of a cohort that each name the cancer types of a population
    and cannot hold together ("Ph-positive CML ... or Ph-positive ALL ..." beside "Ph-negative
    acute leukaemia in second relapse") describe two groups the trial takes: they become
    one `any` of the two, where the first stood."""
    if not isinstance(rule, All):
        return rule
    items: list[Node | None] = list(rule.items)
    typed = [i for i, n in enumerate(rule.items) if not isinstance(n, Not) and _names_type(n)
             and not (n.prov is not None and n.prov.section == "structured")]  # (not the record's
    # conditions: those are the trial's population, no alternative to a criterion)
    for i, j in itertools.combinations(typed, 2):
        a, b = items[i], items[j]
        if a is not None and b is not None and _incompatible(a, b, ont):
            items[i] = AnyOf((a, b), prov=a.prov)
            items[j] = None
            break  # one pair per cohort: more would need the text's own grouping
    if None not in items:
        return rule
    return All(tuple(n for n in items if n is not None), prov=rule.prov)


def shared_sparing(rule: Node) -> Node:
    """`rule` with a blanket ruled-out treatment ("untreated AML": no prior anticancer
    therapy) sparing what another criterion of the cohort says does not count as that
    treatment ("prior treatment for AML, excluding hydroxyurea or growth factors"): the
    same `PriorTherapy(class, excluding=...)` for both."""
    spared: dict[str, tuple[str, ...]] = {}
    for leaf, required in units(rule):
        if isinstance(leaf, PriorTherapy) and not required and leaf.excluding:
            spared.setdefault(leaf.concept, leaf.excluding)
    if not spared:
        return rule
    ruled_out = {id(leaf) for leaf, required in units(rule) if not required}

    def visit(node: Node, _negated: bool, _depth: int) -> Node:
        if isinstance(node, PriorTherapy) and not node.excluding and id(node) in ruled_out \
                and node.concept in spared:
            return PriorTherapy(node.concept, spared[node.concept], prov=node.prov)
        return node

    return rewrite(rule, visit)


def without_conflicts(rule: Node, ont: Any) -> Node:
    """`rule` with every node of a conflict (see `conflicts`) left for manual review (two
    whole criteria naming two populations first become alternatives:
    `alternative_populations`), and blanket exclusions of a treatment sparing what the
    cohort says does not count (`shared_sparing`)."""
    rule = shared_sparing(alternative_populations(rule, ont))
    marked = {id(n) for group in conflicts(rule, ont) for n in group}
    if not marked:
        return rule

    def visit(node: Node, _negated: bool, _depth: int) -> Node:
        if id(node) not in marked:
            return node
        text = node.prov.text if node.prov is not None and node.prov.text else to_text(node)
        return Unparsed(text, reason=CONFLICT, prov=node.prov)

    return rewrite(rule, visit)
