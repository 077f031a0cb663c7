"""A trial record as read from ClinicalTrials.gov, before any parsing of its text.

The readers in `ctgov` produce these; `trialmatch.nlp.parse_record` turns one into a `Trial`.
Structured fields are normalised here (API v2 enums for phase, status and sex; ages in years)
so that JSON, XML and plain text records look the same downstream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(years?|months?|weeks?|days?|hours?|minutes?)?\s*$",
                  re.IGNORECASE)
_AGE_UNITS = {"year": 1.0, "month": 1 / 12, "week": 7 / 365.25, "day": 1 / 365.25,
              "hour": 1 / 8766, "minute": 1 / 525960}
_PHASES = {"EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA"}


@dataclass(frozen=True, slots=True)
class Record:
    """One study: its id, structured fields, and the eligibility text the parser reads."""

    nct_id: str
    eligibility: str
    title: str | None = None
    phase: str | None = None
    status: str | None = None
    conditions: tuple[str, ...] = ()
    min_age: float | None = None
    max_age: float | None = None
    sex: str | None = None  # ALL, FEMALE or MALE
    summary: str | None = None
    min_age_text: str | None = None
    max_age_text: str | None = None
    source: str | None = None  # "file" or "file:line"
    # API v2 JSON: the sites of the locations module (`ingest.sites.Site`); None when the
    # format carries none (XML, text), so a load does not erase sites stored before
    sites: tuple | None = None


def parse_age(text: str | None) -> float | None:
    """Years from a registry age such as "18 Years" or "6 Months"; None for "N/A" or blank."""
    if not text:
        return None
    m = _AGE.match(str(text))
    if not m:
        return None
    unit = (m.group(2) or "years").lower().rstrip("s")
    years = float(m.group(1)) * _AGE_UNITS[unit]
    return round(years, 4)


def phase_code(phases: list[str] | str | None) -> str | None:
    """The API v2 phase enum: ["PHASE1", "PHASE2"] and "Phase 1/Phase 2" become PHASE1_PHASE2."""
    if not phases:
        return None
    if isinstance(phases, str):
        phases = re.split(r"\s*/\s*", phases)
    codes = []
    for p in phases:
        key = re.sub(r"[^A-Z0-9]+", "", str(p).upper())
        if key in ("NA", "N/A", ""):
            key = "NA"
        elif key.startswith("EARLYPHASE"):
            key = "EARLY_PHASE" + key[len("EARLYPHASE"):]
        elif key.startswith("PHASE"):
            key = "PHASE" + key[len("PHASE"):]
        if key in _PHASES and key not in codes:
            codes.append(key)
    if not codes:
        return None
    if len(codes) == 1:
        return codes[0]
    return "_".join(codes) if codes[0] != "NA" else codes[1]


def status_code(status: str | None) -> str | None:
    """The API v2 status enum: "Active, not recruiting" becomes ACTIVE_NOT_RECRUITING."""
    if not status or not str(status).strip():
        return None
    code = re.sub(r"[^A-Z0-9]+", "_", str(status).strip().upper()).strip("_")
    return "UNKNOWN" if code == "UNKNOWN_STATUS" else code


def sex_code(sex: str | None) -> str | None:
    """ALL, FEMALE or MALE (XML "All", "Both", "Female", "Male"); None when absent."""
    if not sex:
        return None
    s = str(sex).strip().upper()
    if s in ("ALL", "BOTH"):
        return "ALL"
    if s in ("FEMALE", "MALE"):
        return s
    return None
