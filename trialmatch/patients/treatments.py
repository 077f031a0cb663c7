"""The drugs one entry of a patient's treatment history names, as clinics write them.

A record may list a regimen or several drugs in one entry: "carboplatin/pemetrexed", "FOLFOX
+ bevacizumab", "bendamustine-rituximab", "AC followed by paclitaxel", "R-CHOP x6", a brand
beside the generic name ("Keytruda (pembrolizumab)"), a regimen's short name ("VRd", "EP":
the ontology's "<name> regimen"). Each drug the entry names counts; the names themselves
are the ontology's (`Ontology.drug_concept`), the splitting is read here.
"""

from __future__ import annotations

import re

from trialmatch.ontology import Ontology

# between the drugs of one entry: "carboplatin/pemetrexed", "FOLFOX + bevacizumab",
# "gemcitabine and cisplatin", "rituximab with bendamustine", "AC followed by paclitaxel"
_TOGETHER = re.compile(r"(?i)\s*(?:/|\+|&|;|,|->|→)\s*|\s+(?:and|plus|with|then|followed\s+by)\s+")
# a count of cycles or doses after a name: "R-CHOP x6", "FOLFOX x 12 cycles", "AC (4 cycles)"
_COUNT = re.compile(r"(?i)\s*(?:[x×]\s*\d+|\(?\s*\d+\s*(?:cycles?|doses?|courses?)\s*\)?)"
                    r"(?:\s*(?:cycles?|doses?|courses?))?\s*\Z")
# how or when a drug was given, written before its name: "weekly paclitaxel"
_SCHEDULE = re.compile(r"(?i)\A\s*(?:(?:weekly|dose-dense|high-dose|low-dose|oral|iv|"
                       r"intravenous|maintenance|adjuvant|neoadjuvant|metronomic|"
                       r"single-agent)\s+)+")
# a name with its other name in brackets: "pembrolizumab (Keytruda)"
_BRACKETED = re.compile(r"\s*\(([^()]*)\)\s*")


def treatment_concepts(ont: Ontology, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The drugs (or classes) one entry names, and the parts of it that name none the
    ontology knows (lower case, as given). An entry is a name the ontology knows (see
    `_one_name`), or drugs written together, each part read so; a count of cycles after a
    name ("R-CHOP x6") is no part of it."""
    given = text.strip().lower()
    text = _COUNT.sub("", text)
    whole = _one_name(ont, text)
    if whole is not None:
        return (whole,), ()
    known: list[str] = []
    unknown: list[str] = []
    for part in _TOGETHER.split(_BRACKETED.sub(" ", text)):
        if part.strip():
            got = _hyphenated(ont, _COUNT.sub("", part))
            known.extend(got)
            unknown.extend(() if got else (part.strip().lower(),))
    if not known:
        return (), (given,)
    return tuple(dict.fromkeys(known)), tuple(dict.fromkeys(unknown))


def _hyphenated(ont: Ontology, part: str) -> tuple[str, ...]:
    """One part of an entry: itself when known, else the drugs its hyphens join when each
    is known ("bendamustine-rituximab"), else ()."""
    found = _one_name(ont, part)
    if found is not None:
        return (found,)
    pieces = [_one_name(ont, p) for p in part.split("-")]
    return tuple(p for p in pieces if p) if len(pieces) > 1 and all(pieces) else ()


def _one_name(ont: Ontology, text: str) -> str | None:
    """One name: a drug, class or regimen (a schedule word before it left out: "weekly
    paclitaxel"); a regimen's short name ("AC" for the "AC regimen"); the name or the other
    name of "A (B)"."""
    text = _SCHEDULE.sub("", text)
    found = ont.drug_concept(text) or ont.drug_concept(f"{text} regimen")
    if found is None and (inner := _BRACKETED.search(text)):
        found = (ont.drug_concept(_BRACKETED.sub(" ", text).strip())
                 or ont.drug_concept(inner.group(1)))
    return found
