"""Reading patient files: one profile, a list of profiles, or JSON Lines.

File-level problems (missing, a directory, empty, malformed JSON) raise `InputError`;
record-level problems are returned per record, named by file and JSON pointer, so a batch
can go on with the good records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trialmatch.errors import InputError
from trialmatch.jsonio import JSONProblem, iter_lines, loads


@dataclass(frozen=True, slots=True)
class RawRecord:
    data: Any
    where: str  # "file.json", "file.json /3" or "file.jsonl:12"
    prefix: str  # JSON pointer prefix of this record inside its file ("" or "/3")
    error: str | None = None  # set when the record itself could not be read
    warnings: tuple[str, ...] = ()  # what a standard-format reader could not map


def _check_path(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a patient file")


def read_text(path: Path) -> str:
    _check_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if not text.strip():
        raise InputError(f"{path}: empty file")
    return text


def _json_error(path: Path, exc: JSONProblem) -> InputError:
    where = f"{path}:{exc.lineno}:{exc.colno}" if exc.lineno else str(path)
    return InputError(f"{where}: malformed JSON ({exc.msg})")


def iter_jsonl(path: Path) -> Iterator[RawRecord]:
    """One record per non-blank line, read line by line: a line that is not UTF-8 or not
    JSON is one rejected record (named by its own line number), and the rest are read."""
    try:
        lines = iter_lines(path)
        for lineno, line, problem in lines:
            where = f"{path}:{lineno}"
            if problem is not None:
                yield RawRecord(None, where, "", problem)
                continue
            assert line is not None  # iter_lines gives the text or the problem
            try:
                yield RawRecord(loads(line), where, "")
            except JSONProblem as exc:
                yield RawRecord(None, where, "", f"malformed JSON ({exc.msg})")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def iter_records(path: Path) -> Iterator[RawRecord]:
    """Yield each patient record of a JSON or JSONL file (JSONL is streamed)."""
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        _check_path(path)
        empty = True
        for rec in iter_jsonl(path):
            empty = False
            yield rec
        if empty:
            raise InputError(f"{path}: empty file")
        return
    text = read_text(path)
    try:
        data = loads(text)
    except JSONProblem as exc:
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
