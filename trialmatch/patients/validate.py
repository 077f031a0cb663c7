"""Validation messages for patient profiles: one line per problem, by JSON pointer.

Only the offending field's pointer, the kind of problem and what was expected are printed;
a value from the file never is (not even a short code: a mistyped sex or alteration type
can still be patient data).
"""

from __future__ import annotations

from typing import Any

from trialmatch.patients.model import PatientIn, read_patient


def pointer(loc: tuple[Any, ...], prefix: str = "") -> str:
    return prefix + "".join(f"/{p}" for p in loc) if loc else (prefix or "/")


def validate(data: Any, prefix: str = "") -> tuple[PatientIn | None, list[str]]:
    """The validated profile, or None and the list of problems."""
    if not isinstance(data, dict):
        return None, [f"{prefix or '/'}: a patient must be a JSON object"]
    model, problems = read_patient(data)
    seen: list[str] = []
    for loc, message in problems:
        line = f"{pointer(loc, prefix)}: {message}"
        if line not in seen:
            seen.append(line)
    return model, seen
