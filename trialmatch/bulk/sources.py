"""Cohort inputs as a stream of raw patient records: JSON Lines, a folder, a cBioPortal study.

Every reader yields `patients.read.RawRecord`s (the patient.json shape, and `where` naming
the file and line, or the sample) one at a time, so a cohort of any size is never held in
memory whole. A record that cannot be read is yielded with its `error` set, so the run
reports it and goes on with the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from trialmatch.errors import InputError
from trialmatch.patients.read import RawRecord, iter_records
from trialmatch.patients.read import iter_jsonl as read_jsonl

JSONL_SUFFIXES = (".jsonl", ".ndjson")
JSON_SUFFIXES = (".json", *JSONL_SUFFIXES)


@dataclass(frozen=True, slots=True)
class Cohort:
    """An opened cohort: what kind it is, and how to read (and roughly count) its records."""

    path: Path
    kind: str  # jsonl, json, folder, cbioportal

    def records(self) -> Iterator[RawRecord]:
        if self.kind == "cbioportal":
            from trialmatch.bulk.cbioportal import iter_study

            return iter_study(self.path)
        if self.kind == "folder":
            return iter_folder(self.path)
        if self.kind == "jsonl":
            return iter_jsonl(self.path)
        return iter_records(self.path)

    def estimate(self) -> int | None:
        """About how many records there are (for a progress bar), if cheap to tell."""
        if self.kind == "jsonl":
            return count_lines(self.path)
        if self.kind == "folder":
            return sum(1 for _ in _patient_files(self.path))
        return None


def open_cohort(path: str | Path) -> Cohort:
    """Recognise a cohort input; an unusable path raises InputError (exit 2)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        from trialmatch.bulk.cbioportal import is_study

        if is_study(path):
            return Cohort(path, "cbioportal")
        if not any(_patient_files(path)):
            raise InputError(f"{path}: no patient files (*.json, *.jsonl) and no cBioPortal "
                             "study files in this folder")
        return Cohort(path, "folder")
    if path.suffix.lower() in JSONL_SUFFIXES:
        return Cohort(path, "jsonl")
    if path.suffix.lower() == ".json":
        return Cohort(path, "json")
    raise InputError(f"{path}: expected a JSONL file of patients, a JSON file, a folder of "
                     "patient files or a cBioPortal study folder")


def count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as fh:
        for line in fh:
            if line.strip():
                n += 1
    return n


def iter_jsonl(path: Path) -> Iterator[RawRecord]:
    """One record per non-empty line, read line by line (`patients.read.iter_jsonl`)."""
    return read_jsonl(path)


def _patient_files(folder: Path) -> Iterator[Path]:
    for p in sorted(folder.iterdir()):
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in JSON_SUFFIXES:
            yield p


def iter_folder(folder: Path) -> Iterator[RawRecord]:
    """Every *.json (one profile or a list) and *.jsonl file of a folder, in name order."""
    for path in _patient_files(folder):
        if path.suffix.lower() in JSONL_SUFFIXES:
            yield from iter_jsonl(path)
            continue
        try:
            yield from iter_records(path)
        except InputError as exc:  # a malformed file is one rejected record, not the end
            yield RawRecord(None, str(path), "", _strip_path(str(exc), path))


def _strip_path(message: str, path: Path) -> str:
    text = message.removeprefix(str(path))
    return text.lstrip(":").lstrip() if text != message else message
