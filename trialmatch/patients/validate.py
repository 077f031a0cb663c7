"""Validation messages for patient profiles: one line per problem, by JSON pointer.

Only the offending field's pointer, the kind of problem and what was expected are printed;
a value from the file never is (not even a short code: a mistyped sex or alteration type
can still be patient data).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from trialmatch.patients.model import PatientIn

_NAMES = {"type": "alteration type", "origin": "origin", "sex": "sex", "msi": "MSI status",
          "mmr": "MMR status", "her2_ihc": "HER2 IHC score", "er": "ER status",
          "pr": "PR status", "her2": "HER2 status", "her2_ish": "HER2 ISH result"}


def pointer(loc: tuple[Any, ...], prefix: str = "") -> str:
    return prefix + "".join(f"/{p}" for p in loc) if loc else (prefix or "/")


def _message(err: ErrorDetails) -> str:
    field = str(err["loc"][-1]) if err["loc"] else ""
    kind = err["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind in ("literal_error", "enum"):
        expected = err.get("ctx", {}).get("expected", "")
        name = _NAMES.get(field, field)
        return f"unknown {name} (expected {expected})"
    if kind.startswith("date") or kind.startswith("datetime"):
        return "not a valid date (expected YYYY-MM-DD)"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        ctx = err.get("ctx", {})
        bound = next(iter(ctx.values()), "")
        word = {"greater_than_equal": "at least", "less_than_equal": "at most",
                "greater_than": "more than", "less_than": "less than"}[kind]
        return f"out of range (must be {word} {bound})"
    if kind in ("string_too_short", "too_short"):
        return "must not be empty"
    expected = {"string_type": "a string", "int_type": "a whole number",
                "int_parsing": "a whole number", "int_from_float": "a whole number",
                "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
                "bool_parsing": "true or false", "list_type": "a list", "dict_type": "an object",
                "model_type": "an object", "model_attributes_type": "an object"}.get(kind)
    if expected:
        return f"wrong type (expected {expected})"
    return "invalid value"


def validate(data: Any, prefix: str = "") -> tuple[PatientIn | None, list[str]]:
    """The validated profile, or None and the list of problems."""
    if not isinstance(data, dict):
        return None, [f"{prefix or '/'}: a patient must be a JSON object"]
    try:
        return PatientIn.model_validate(data), []
    except ValidationError as exc:
        seen: list[str] = []
        for err in exc.errors():
            line = f"{pointer(tuple(err['loc']), prefix)}: {_message(err)}"
            if line not in seen:
                seen.append(line)
        return None, seen
