"""Reading patient files: one profile, a list of profiles, or JSON Lines.

File-level problems (missing, a directory, empty, malformed JSON) raise `InputError`;
record-level problems are returned per record, named by file and JSON pointer, so a batch
can go on with the good records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trialmatch.errors import InputError


@dataclass(frozen=True, slots=True)
class RawRecord:
    data: Any
    where: str  # "file.json", "file.json /3" or "file.jsonl:12"
    prefix: str  # JSON pointer prefix of this record inside its file ("" or "/3")
    error: str | None = None  # set when the record itself could not be read
    warnings: tuple[str, ...] = ()  # what a standard-format reader could not map


def read_text(path: Path) -> str:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a patient file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if not text.strip():
        raise InputError(f"{path}: empty file")
    return text


def _json_error(path: Path, exc: json.JSONDecodeError, line_offset: int = 0) -> InputError:
    return InputError(f"{path}:{exc.lineno + line_offset}:{exc.colno}: malformed JSON "
                      f"({exc.msg})")


def iter_records(path: Path) -> Iterator[RawRecord]:
    """Yield each patient record of a JSON or JSONL file."""
    text = read_text(path)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield RawRecord(None, f"{path}:{lineno}", "",
                                f"malformed JSON ({exc.msg})")
                continue
            yield RawRecord(data, f"{path}:{lineno}", "")
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _json_error(path, exc) from None
    from trialmatch.patients.standard import standard_records

    converted = standard_records(data, path)  # a FHIR Bundle or a Phenopacket
    if converted is not None:
        yield from converted
        return
    if isinstance(data, list):
        if not data:
            raise InputError(f"{path}: the list of patients is empty")
        for i, item in enumerate(data):
            yield RawRecord(item, f"{path}", f"/{i}")
    else:
        yield RawRecord(data, str(path), "")
