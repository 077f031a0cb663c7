"""Biomarker populations that a record states only in its brief summary.

Some trials name the molecular population they enrol in the brief summary and never in the
eligibility text ("adults with a solid tumour carrying a FGFR2 fusion ...", or eligibility that
refers to "the molecular subtypes described above"). The summary is also full of background
("the drug binds PD-1 and blocks its ligand PD-L1"), so only sentences that describe the
patients enrolled are read: a population noun ("patients", "participants", "adults") followed,
within the sentence, by a link word ("with", "harbouring", "whose", "required to") before the
biomarker.

What is found becomes an extra cohort, never a narrower base cohort: the summary cohort is the
base cohort's rule and the summary's biomarker population. Whether the summary's biomarker is
required or only the focus of some arms cannot be read from it ("patients without these
mutations enter a non-targeted arm"), so a patient without it keeps the trial through the base
cohort, and a patient with it is matched, ranked and explained on it. Every node read from the
summary has provenance section `summary` with offsets into the summary text.
"""

from __future__ import annotations

import re
from dataclasses import replace

from trialmatch.rules.nodes import (
    BIOMARKERS,
    All,
    AnyOf,
    Measurement,
    Node,
    Not,
    Signature,
    walk,
)
from trialmatch.rules.rewrite import rewrite
from trialmatch.rules.trial import Cohort

MAX_SUMMARY = 20_000  # summaries longer than this are read up to here

_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[\"'])|\n\s*\n")
_POPULATION = re.compile(
    r"\b(?:patients?|participants?|subjects?|adults?|children|people|individuals|persons?|"
    r"men|women|cases)\b", re.I)
_LINK = re.compile(
    r"\b(?:with|having|harbou?ring|harbou?r|carrying|carry|whose|who\s+(?:have|has|are)|"
    r"required\s+to|must\s+have|positive\s+for|selected\s+for|enrolled\s+(?:by|on|according)|"
    r"can\s+be\s+enrolled)\b", re.I)
_BIOMARKERS = (*BIOMARKERS, Measurement)


def sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pairs of a summary, split at sentence-ending punctuation."""
    out, start = [], 0
    for m in _BOUNDARY.finditer(text):
        out.append((start, text[start:m.start()]))
        start = m.end()
    out.append((start, text[start:]))
    return [(i, s) for i, s in out if s.strip()]


def population_span(sentence: str) -> int | None:
    """Where, in a sentence, the description of enrolled patients starts (None: no such part):
    the first link word after a population noun."""
    noun = _POPULATION.search(sentence)
    if noun is None:
        return None
    link = _LINK.search(sentence, noun.end())
    return link.start() if link is not None else None


def _is_biomarker(node: Node) -> bool:
    return any(isinstance(n, _BIOMARKERS) for n in walk(node))


def _genes(node: Node) -> set[str]:
    out: set[str] = set()
    for n in walk(node):
        if isinstance(n, _BIOMARKERS):
            out.add(n.name if isinstance(n, Signature) else
                    n.marker if isinstance(n, Measurement) else n.gene)
    return out


def _shifted(node: Node, offset: int) -> Node:
    def visit(n: Node, _negated: bool, _depth: int) -> Node:
        p = n.prov
        if p is None:
            return n
        return replace(n, prov=replace(
            p, section="summary", start=None if p.start is None else p.start + offset,
            end=None if p.end is None else p.end + offset))

    return rewrite(node, visit)


def summary_population(summary: str | None, parse, may_name=None) -> Node | None:
    """The biomarker population the summary's patient sentences state, as one node
    (`any` over sentences), or None. `parse(text)` returns a Trial for criteria text;
    `may_name(text)`, when given, is a cheap test that the text may name a biomarker (a
    sentence that cannot is not parsed)."""
    found: list[Node] = []
    for offset, sentence in sentences((summary or "")[:MAX_SUMMARY]):
        start = population_span(sentence)
        if start is None:
            continue
        part = sentence[start:]
        if may_name is not None and not may_name(part):
            continue
        rule = parse(part).cohorts[0].rule
        items = rule.items if isinstance(rule, All) else (rule,)
        picked = [c for c in items if _is_biomarker(c) and not _plain_negation(c)]
        if not picked:
            continue
        node = picked[0] if len(picked) == 1 else All(tuple(picked), prov=rule.prov)
        found.append(_shifted(node, offset + start))
    if not found:
        return None
    return found[0] if len(found) == 1 else AnyOf(tuple(found), prov=found[0].prov)


def _plain_negation(node: Node) -> bool:
    """A population defined by what it lacks ("patients without ...") adds no cohort."""
    return isinstance(node, Not) and node.stated is None


def with_summary_cohort(cohorts: tuple[Cohort, ...], population: Node | None
                        ) -> tuple[Cohort, ...]:
    """`cohorts` plus, for each cohort whose rule names none of the population's genes, a
    cohort requiring the population as well (see the module docstring)."""
    if population is None:
        return cohorts
    genes = _genes(population)
    out = list(cohorts)
    for cohort in cohorts:
        if _genes(cohort.rule) & genes:
            continue
        rule = cohort.rule
        items = rule.items if isinstance(rule, All) else (rule,)
        label = "biomarker population stated in the brief summary"
        if cohort.label:
            label = f"{cohort.label}; {label}"
        out.append(Cohort(f"{cohort.id}+summary", All((*items, population), prov=rule.prov),
                          label, cohort.status))
    return tuple(out)


__all__ = ["population_span", "sentences", "summary_population", "with_summary_cohort"]
