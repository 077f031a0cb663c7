"""Patient profiles: reading, validation and normalisation to rule facts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from trialmatch.ontology import Ontology
from trialmatch.patients.normalize import Normalizer
from trialmatch.patients.read import RawRecord, iter_records
from trialmatch.patients.validate import validate
from trialmatch.rules.facts import PatientFacts

__all__ = ["LoadedPatients", "iter_patients", "load_patients", "normalize_records"]


@dataclass
class LoadedPatients:
    patients: list[PatientFacts] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # rejected records


def normalize_records(records: Iterable[RawRecord], ontology: Ontology,
                      today: date | None = None) -> LoadedPatients:
    """Validate and normalise records; bad ones are reported and skipped."""
    out = LoadedPatients()
    out.patients.extend(iter_patients(records, ontology, today, out))
    return out


def iter_patients(records: Iterable[RawRecord], ontology: Ontology, today: date | None,
                  out: LoadedPatients) -> Iterator[PatientFacts]:
    """The valid patients one at a time (a file is never held whole); warnings and
    rejected records are added to `out` as they are met."""
    norm = Normalizer(ontology, today)
    seen: set[str] = set()
    for rec in records:
        out.warnings.extend(f"{rec.where}: {w}" for w in rec.warnings)
        if rec.error:
            out.problems.append(f"{rec.where}: {rec.error}")
            continue
        model, problems = validate(rec.data, rec.prefix)
        if model is None:
            out.problems.extend(f"{rec.where}: {p}" if rec.prefix == "" else
                                f"{rec.where.split(' ')[0]}: {p}" for p in problems)
            continue
        facts, warnings, errors = norm.facts(model, rec.prefix)
        out.warnings.extend(f"{rec.where}: {w}" for w in warnings)
        if facts is None:
            out.problems.extend(f"{rec.where}: {e}" for e in errors)
            continue
        if facts.id in seen:
            out.problems.append(f"{rec.where}: duplicate patient id {facts.id!r}, skipped")
            continue
        seen.add(facts.id)
        yield facts


def load_patients(path: Path, ontology: Ontology, today: date | None = None) -> LoadedPatients:
    """Read a patient file (object, list, or JSONL). File-level errors raise InputError."""
    return normalize_records(iter_records(Path(path)), ontology, today)
