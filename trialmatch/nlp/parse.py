"""Public parsing API: eligibility text or a registry record to a `Trial` rule tree."""

from __future__ import annotations

import gc
from contextlib import contextmanager

from spacy.tokens import Doc

from trialmatch.ingest.record import Record
from trialmatch.nlp.assemble import cohort_rules, criteria_nodes
from trialmatch.nlp.pipeline import pipeline
from trialmatch.nlp.tokens import doc_text
from trialmatch.rules.nodes import Age, Node, Provenance, Sex, Unparsed
from trialmatch.rules.trial import Trial

MAX_CHARS = 2_000_000  # text beyond this is kept whole as one unparsed criterion


def parse_doc(text: str, ontology=None) -> Doc:
    """The processed spaCy Doc (layout and mentions), e.g. for highlighting."""
    return pipeline(ontology)(text[:MAX_CHARS])


@contextmanager
def _gc_paused():
    """Parsing allocates many small acyclic objects; the cyclic garbage collector would scan
    them again and again (a quarter of the time on a long text). Paused, then restored."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_eligibility(text: str, trial_id: str = "text", ontology=None,
                      leading: tuple[Node, ...] = ()) -> Trial:
    """Parse eligibility text into a Trial: one rule per cohort, every node with provenance."""
    text = text or ""
    with _gc_paused():
        doc = parse_doc(text, ontology)
        layout = doc._.tm_layout
        pairs = criteria_nodes(layout, doc_text(doc), doc._.tm_mentions)
        section = layout.criteria[-1].section if layout.criteria else "inclusion"
        cohorts = cohort_rules(layout, pairs, leading, _overflow(text, section))
    return Trial(trial_id, cohorts)


def _overflow(text: str, section: str) -> tuple[Node, ...]:
    """Text past MAX_CHARS, kept for manual review rather than parsed."""
    rest = text[MAX_CHARS:]
    if not rest.strip():
        return ()
    return (Unparsed(rest, reason="too long to parse", prov=Provenance(
        section, MAX_CHARS, len(text), rest, "parse.max_chars")),)


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
