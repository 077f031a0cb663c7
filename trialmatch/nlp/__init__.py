"""Eligibility-text parser: ClinicalTrials.gov text to biomarker rule trees, with evidence.

A spaCy pipeline on `spacy.blank("en")` with our own components and data-driven patterns
(trialmatch/nlp/data). spaCy is imported only when a parsing function is first called, so
importing this package stays cheap.

    parse_record(record) -> Trial        parse_eligibility(text, trial_id) -> Trial
    biomarkers(trial) -> list[dict]      unparsed(trial) -> list[dict]
    parse_output(trial) -> dict          (the `trialmatch parse --format jsonl` object)
"""

from __future__ import annotations

import importlib.machinery
import warnings
from pathlib import Path
from typing import Any

__all__ = ["biomarkers", "parse_doc", "parse_eligibility", "parse_output", "parse_record",
           "unparsed"]


def stale_compiled(folder: Path = Path(__file__).parent) -> list[str]:
    """The parser modules whose compiled copy (mypyc, built by `pip install`) is older than
    their source: Python imports the compiled copy first, so an edit would not take effect.
    Only in a source checkout: an installed package is written whole by its installer, in
    any order, and nobody edits it."""
    if {"site-packages", "dist-packages"} & set(folder.resolve().parts):
        return []
    stale = []
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        for built in folder.glob(f"*{suffix}"):
            source = folder / (built.name[:-len(suffix)] + ".py")
            if source.exists() and source.stat().st_mtime > built.stat().st_mtime:
                stale.append(source.stem)
    return sorted(stale)


if _stale := stale_compiled():
    warnings.warn(f"trialmatch.nlp: {', '.join(_stale)} changed since the parser was compiled; "
                  "the compiled copy runs. Rebuild with `pip install -e .`, or delete "
                  "trialmatch/nlp/*.so to run the source.", stacklevel=2)


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
