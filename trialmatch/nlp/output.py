"""The flat views of a parsed trial (DESIGN 2.2): biomarkers with polarity, and unparsed text.

Polarity comes from the path in the tree: each `not` flips it, except a `not` that states a
status ("Ph-negative", "ALK-negative", "BRAF V600 wild-type": `stated` negative or wildtype,
reported with that word as the alteration, polarity kept) and a carve-out ("except G12C":
`stated` except, whose leaves narrow another criterion and are not listed on their own).
Everything is read from the tree's fields, never from provenance or reason strings.
"""

from __future__ import annotations

from typing import Any

from trialmatch.rules.nodes import (
    MARKER_GENES,
    All,
    Alteration,
    AnyOf,
    Expression,
    Fusion,
    Measurement,
    Node,
    Not,
    Signature,
    Unparsed,
)
from trialmatch.rules.trial import Trial

FIELDS = ("gene", "signature", "alteration", "variant", "exon", "origin", "polarity", "text",
          "start", "end", "section")




def _entry(node: Node, exclude: bool, status: str | None) -> dict[str, Any] | None:
    e: dict[str, Any] = dict.fromkeys(FIELDS)
    match node:
        case Alteration():
            e.update(gene=node.gene, alteration=status or node.alteration,
                     variant=node.variant, exon=node.exon, origin=node.origin)
        case Fusion():
            e.update(gene=node.gene, alteration="negative" if status else "fusion")
        case Signature():
            e.update(signature=node.name, alteration=status)
        case Measurement():
            if node.marker == "tmb":
                e.update(signature="TMB-H")
            else:
                e.update(gene=MARKER_GENES[node.marker], alteration=_measure_kind(node))
        case Expression():
            e.update(gene=node.gene, alteration="negative" if node.level == "negative"
                     else "expression")
        case _:
            return None
    prov = node.prov
    e.update(polarity="exclude" if exclude else "require",
             text=prov.text if prov else None, start=prov.start if prov else None,
             end=prov.end if prov else None, section=prov.section if prov else None)
    return e


def _measure_kind(node: Measurement) -> str:
    if isinstance(node.value, str):
        return {"low": "expression"}.get(node.value, node.value)
    if node.op in ("<", "<=") and node.value <= 1:
        return "negative"
    return "expression"


def _walk(node: Node, exclude: bool, status: str | None, out: list[dict[str, Any]]) -> None:
    if isinstance(node, Not):
        if node.stated == "except":  # a carve-out of the finding before it, not a criterion
            return
        if node.stated is not None:
            _walk(node.item, exclude, node.stated, out)
        else:
            _walk(node.item, not exclude, status, out)
        return
    if isinstance(node, (All, AnyOf)):
        for child in node.items:
            _walk(child, exclude, status, out)
        return
    e = _entry(node, exclude, status)
    if e is not None:
        out.append(e)


def biomarkers(trial: Trial) -> list[dict[str, Any]]:
    """Every biomarker criterion of the trial, once each (cohorts share criteria)."""
    found: list[dict[str, Any]] = []
    for cohort in trial.cohorts:
        _walk(cohort.rule, False, None, found)
    seen = set()
    out = []
    for e in found:
        key = tuple(e[f] for f in FIELDS)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def unparsed(trial: Trial) -> list[dict[str, Any]]:
    """Criteria left for manual review: section, words and offsets, once each."""
    seen = set()
    out = []
    for cohort in trial.cohorts:
        stack = [cohort.rule]
        while stack:
            node = stack.pop()
            if isinstance(node, Unparsed):
                prov = node.prov
                key = (prov.start, prov.end, node.text) if prov else (None, None, node.text)
                if key not in seen:
                    seen.add(key)
                    out.append({"section": prov.section if prov else None, "text": node.text,
                                "start": prov.start if prov else None,
                                "end": prov.end if prov else None})
            else:
                stack.extend(reversed(node.children))
    return sorted(out, key=lambda u: (u["start"] is None, u["start"] or 0))


def parse_output(trial: Trial) -> dict[str, Any]:
    """The `trialmatch parse --format jsonl` object of one trial (DESIGN 2.2)."""
    return {"trial_id": trial.trial_id,
            "cohorts": [c.to_dict() for c in trial.cohorts],
            "biomarkers": biomarkers(trial),
            "unparsed": unparsed(trial)}


__all__ = ["biomarkers", "parse_output", "unparsed"]
