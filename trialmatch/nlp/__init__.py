"""Eligibility-text parser: ClinicalTrials.gov text to biomarker rule trees, with evidence.

A spaCy pipeline on `spacy.blank("en")` with our own components and data-driven patterns
(trialmatch/nlp/data). spaCy is imported only when a parsing function is first called, so
importing this package stays cheap.

    parse_record(record) -> Trial        parse_eligibility(text, trial_id) -> Trial
    biomarkers(trial) -> list[dict]      unparsed(trial) -> list[dict]
    parse_output(trial) -> dict          (the `trialmatch parse --format jsonl` object)
"""

from __future__ import annotations

from typing import Any

__all__ = ["biomarkers", "parse_doc", "parse_eligibility", "parse_output", "parse_record",
           "unparsed"]


def parse_record(record, ontology=None):
    from trialmatch.nlp.parse import parse_record as _parse

    return _parse(record, ontology)


def parse_eligibility(text: str, trial_id: str = "text", ontology=None):
    from trialmatch.nlp.parse import parse_eligibility as _parse

    return _parse(text, trial_id, ontology)


def parse_doc(text: str, ontology=None):
    from trialmatch.nlp.parse import parse_doc as _parse

    return _parse(text, ontology)


def biomarkers(trial) -> list[dict[str, Any]]:
    from trialmatch.nlp.output import biomarkers as _biomarkers

    return _biomarkers(trial)


def unparsed(trial) -> list[dict[str, Any]]:
    from trialmatch.nlp.output import unparsed as _unparsed

    return _unparsed(trial)


def parse_output(trial) -> dict[str, Any]:
    from trialmatch.nlp.output import parse_output as _parse_output

    return _parse_output(trial)
