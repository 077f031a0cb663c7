"""The population a trial studies, read across its criteria and its record.

Every trial has a target population. A record whose conditions or title name cancer (or
whose criteria require a cancer type) studies cancer patients; one whose conditions name a
common non-cancer condition (data/conditions.yaml: cardiovascular, metabolic, infectious,
psychiatric, healthy volunteers...) studies that condition, and a cancer patient does not
belong to it; one that names neither is a population trialmatch does not recognise, and a
patient can be at most "possible" for it.

A cohort cannot exclude the very cancer it requires: "therapy for metastatic NSCLC" in the
exclusion list of an NSCLC trial is about treatment history, and "carcinoma of the lung"
read out of "small cell carcinoma of the lung" is broader than what the trial excludes.
When an excluded cancer type is the required one or above it in the ontology, the reading
is wrong, and the excluded diagnosis is kept for manual review instead.
"""

from __future__ import annotations

from dataclasses import replace

from trialmatch.nlp.resources import conditions
from trialmatch.rules.nodes import (
    All,
    AnyOf,
    Diagnosis,
    Node,
    Not,
    Population,
    Provenance,
    Unparsed,
)

CONTRADICTS = "excludes the cancer type the trial requires"


def required_codes(node: Node, negated: bool = False) -> set[str]:
    """The cancer types a tree requires (diagnosis leaves not under a `not`)."""
    if isinstance(node, Diagnosis):
        return set() if negated else {node.code}
    if isinstance(node, Not):
        return required_codes(node.item, not negated)
    out: set[str] = set()
    for child in node.children:
        out |= required_codes(child, negated)
    return out


def _clear(node: Node, required: set[str], ontology, negated: bool) -> Node:
    if isinstance(node, Diagnosis):
        if negated and any(ontology.cancer_relation(node.code, code) == 2 for code in required):
            return Unparsed(node.prov.text if node.prov and node.prov.text else node.code,
                            reason=CONTRADICTS, prov=node.prov)
        return node
    if isinstance(node, Not):
        item = _clear(node.item, required, ontology, not negated)
        return node if item is node.item else replace(node, item=item)
    if isinstance(node, (All, AnyOf)):
        items = tuple(_clear(c, required, ontology, negated) for c in node.items)
        if all(a is b for a, b in zip(items, node.items, strict=True)):
            return node
        return replace(node, items=items)
    return node


def without_contradictions(rule: Node, ontology) -> Node:
    """`rule` with every excluded cancer type that covers a required one made manual."""
    required = required_codes(rule)
    if not required:
        return rule
    return _clear(rule, required, ontology, False)


def population_leaf(conds: tuple[str, ...], title: str | None, requires_cancer: bool
                    ) -> Population | None:
    """The `population` leaf of a record that is not (known to be) a cancer trial, or None."""
    if requires_cancer:
        return None
    oncology, groups = conditions()
    sources = [c for c in conds if c and c.strip()] + ([title] if title else [])
    if any(oncology.search(s[:1000]) for s in sources):
        return None
    for text in sources:
        for _group, rx in groups:
            if rx.search(text[:1000]):
                name = " ".join(text.split())[:200]
                return Population("non_oncology", name, prov=Provenance(
                    "structured", None, None, text, "conditions.non_oncology"))
    named = "; ".join(" ".join(c.split()) for c in conds)[:200] or (title or "")[:200] \
        or "no condition given"
    return Population("unrecognised", named, prov=Provenance(
        "structured", None, None, named, "conditions.unrecognised"))
