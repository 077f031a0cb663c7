"""The code tables of the standard-format patient readers (`ontologies/standard_codes.tsv`).

SNOMED CT, ICD-O-3 and NCIt diagnoses to OncoTree codes, HGNC ids to symbols, LOINC tests to
profile fields. Written by the project and documented in ontologies/README.md; a code that is
not in the table maps to nothing (the reader warns), it is never guessed.
"""

from __future__ import annotations

import re
from functools import lru_cache

from trialmatch.resources import data_dir

FILE = "standard_codes.tsv"
SYSTEMS = ("snomed", "icdo3-site", "icdo3-morph", "ncit", "hgnc", "loinc")


@lru_cache(maxsize=1)
def table() -> dict[tuple[str, str], str]:
    """(system, code) -> target."""
    out: dict[tuple[str, str], str] = {}
    path = data_dir("ontologies") / FILE
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        if not line.strip() or line.startswith("#"):
            continue
        system, code, target = line.split("\t")[:3]
        out[(system, code)] = target
    return out


def lookup(system: str, code: str | None) -> str | None:
    return table().get((system, str(code).strip())) if code else None


_SITE = re.compile(r"^(C\d\d)")
_MORPH = re.compile(r"^(\d{4})(?:/\d)?$")


def oncotree_from_icdo3(site: str | None, morphology: str | None) -> str | None:
    """The OncoTree code for an ICD-O-3 topography (C34.1) and optional morphology (8140/3):
    the pair when the table lists it, else the site."""
    m = _SITE.match((site or "").strip().upper())
    if not m:
        return None
    if morphology:
        mm = _MORPH.match(morphology.strip())
        if mm:
            found = lookup("icdo3-morph", f"{mm.group(1)}@{m.group(1)}")
            if found:
                return found
    return lookup("icdo3-site", m.group(1))
