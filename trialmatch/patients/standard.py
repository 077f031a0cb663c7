"""Patient files in standard forms (FHIR R4 Bundles, GA4GH Phenopackets v2) as the raw
patient.json v1 records the rest of the package reads.

`standard_records(data, path)` is the one dispatch point, called by `patients.read` for every
JSON document: it returns None for a document in our own format, else one `RawRecord` per
patient with the profile the reader produced and its warnings (JSON pointers into the file,
never values), or with `error` set when the record cannot be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Converted:
    """What a reader made of one patient: the profile, or None and the error."""

    profile: dict[str, Any] | None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def is_bundle(data: Any) -> bool:
    """A FHIR Bundle (read by `patients.fhir`)."""
    return isinstance(data, dict) and data.get("resourceType") == "Bundle"


def is_phenopacket(data: Any) -> bool:
    """A JSON object with `metaData` (a Phenopacket, or a Cohort with `members`)."""
    return isinstance(data, dict) and isinstance(data.get("metaData"), dict) and \
        "resourceType" not in data


def format_of(data: Any) -> str | None:
    """"fhir", "phenopacket" or None (our own patient.json). The readers themselves are
    imported only for a document in their format (`find` on a patient.json needs neither)."""
    if is_bundle(data):
        return "fhir"
    if is_phenopacket(data):
        return "phenopacket"
    return None


def convert(data: Any, name: str) -> list[Converted] | None:
    """The profiles of a standard-format document, or None when it is not one."""
    kind = format_of(data)
    if kind == "fhir":
        from trialmatch.patients.fhir import BundleReader

        return BundleReader(data).read(name)
    if kind == "phenopacket":
        from trialmatch.patients.phenopacket import read_phenopackets

        return read_phenopackets(data, name)
    return None


def standard_records(data: Any, path: Path) -> list | None:
    """`RawRecord`s for a standard-format document (see the module docstring), or None."""
    from trialmatch.patients.read import RawRecord

    converted = convert(data, Path(path).stem)
    if converted is None:
        return None
    many = len(converted) > 1
    out = []
    for i, c in enumerate(converted):
        where = f"{path} patient {i + 1}" if many else str(path)
        out.append(RawRecord(c.profile, where, "", c.error, tuple(c.warnings)))
    return out
