"""Public parsing API: eligibility text or a registry record to a `Trial` rule tree."""

from __future__ import annotations

from spacy.tokens import Doc

from trialmatch.ingest.record import Record
from trialmatch.nlp.assemble import cohort_rules, criteria_nodes
from trialmatch.nlp.pipeline import pipeline
from trialmatch.rules.nodes import Age, Node, Provenance, Sex
from trialmatch.rules.trial import Trial

MAX_CHARS = 2_000_000


def parse_doc(text: str, ontology=None) -> Doc:
    """The processed spaCy Doc (layout and mentions), e.g. for highlighting."""
    return pipeline(ontology)(text[:MAX_CHARS])


def parse_eligibility(text: str, trial_id: str = "text", ontology=None,
                      leading: tuple[Node, ...] = ()) -> Trial:
    """Parse eligibility text into a Trial: one rule per cohort, every node with provenance."""
    doc = parse_doc(text or "", ontology)
    pairs = criteria_nodes(doc._.tm_layout, doc.text, doc._.tm_mentions)
    cohorts = cohort_rules(doc._.tm_layout, pairs, leading)
    return Trial(trial_id, cohorts)


def structured_leaves(record: Record) -> tuple[Node, ...]:
    """Age and sex leaves from the record's structured fields (section "structured")."""
    out: list[Node] = []
    if record.min_age is not None and record.min_age > 0:
        out.append(Age(">=", record.min_age, prov=Provenance(
            "structured", None, None, record.min_age_text, "ctgov.minimumAge")))
    if record.max_age is not None and record.max_age > 0:
        out.append(Age("<=", record.max_age, prov=Provenance(
            "structured", None, None, record.max_age_text, "ctgov.maximumAge")))
    if record.sex in ("FEMALE", "MALE"):
        out.append(Sex(record.sex.lower(), prov=Provenance(
            "structured", None, None, record.sex, "ctgov.sex")))
    return tuple(out)


def parse_record(record: Record, ontology=None) -> Trial:
    """Parse a registry record: its text, plus title, phase, status, conditions, age, sex."""
    parsed = parse_eligibility(record.eligibility, record.nct_id, ontology,
                               structured_leaves(record))
    return Trial(record.nct_id, parsed.cohorts, record.title, record.phase, record.status,
                 tuple(record.conditions), record.source)
