"""The patient profile of DESIGN 2.1 and its validation.

Only `id` is required. Keys starting with "_" are comments and ignored (the example
patients document their expected outcomes that way). Unknown keys are errors, so a typo
such as "alteration" for "alterations" cannot silently drop a patient's findings.

The profile is a handful of fixed fields, so it is checked by the small table-driven
reader below rather than a general validation library: importing and building pydantic
models cost about a fifth of `find`'s start-up (issue 12). The reader keeps pydantic's
lenient conversions that a hand-written JSON file relies on ("2" and 2.0 for a whole
number, "65.5" for a number, "yes" / "no" / 1 / 0 for true or false, surrounding spaces
stripped) and is stricter in two places where leniency hid a data error: true / false is
not a number, and a number is not a date. `tests/patients/test_model_oracle.py` checks it
against the former pydantic model on generated profiles.

Problems are `(location, message)` pairs: the location is the path of keys and indexes to
the offending value (for a JSON pointer); the message names the kind of problem and what
was expected, never the value.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]

_MSI = {"MSI-H": "MSI-H", "MSIH": "MSI-H", "MSI-HIGH": "MSI-H", "MSI-L": "MSI-L",
        "MSIL": "MSI-L", "MSI-LOW": "MSI-L", "MSS": "MSS", "STABLE": "MSS"}
_MMR = {"DMMR": "dMMR", "DEFICIENT": "dMMR", "PMMR": "pMMR", "PROFICIENT": "pMMR"}
_CODEL = {"codeleted": True, "co-deleted": True, "codeletion": True, "intact": False,
          "non-codeleted": False, "not-codeleted": False, "retained": False}
_IHC = {"0": 0, "1+": 1, "2+": 2, "3+": 3, "1": 1, "2": 2, "3": 3}
_STATUS = {"pos": "positive", "+": "positive", "neg": "negative", "-": "negative"}
_TRUE = {"true", "yes", "y", "on", "1", "t"}
_FALSE = {"false", "no", "n", "off", "0", "f"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


@dataclass(slots=True)
class AlterationIn:
    gene: str
    type: str
    protein: str | None = None
    exon: int | None = None
    origin: str | None = None
    partner: str | None = None
    vaf: float | None = None
    cdna: str | None = None
    transcript: str | None = None


@dataclass(slots=True)
class DiagnosisIn:
    oncotree: str | None = None
    text: str | None = None
    stage: str | None = None


@dataclass(slots=True)
class BiomarkersIn:
    tmb: float | None = None
    msi: str | None = None
    mmr: str | None = None
    pdl1_tps: float | None = None
    pdl1_cps: float | None = None
    her2_ihc: int | None = None
    her2_ish: str | None = None
    her2: str | None = None
    er: str | None = None
    pr: str | None = None
    hrd: bool | None = None
    loh: bool | None = None
    # whole-arm co-deletion of 1p and 19q: true codeleted, false intact (non-codeleted)
    codel_1p19q: bool | None = None
    # protein or gene expression markers by name (CD20, claudin 18.2, TROP2...): level
    expression: dict[str, str] | None = None


@dataclass(slots=True)
class PatientIn:
    id: str
    birth_date: date | None = None
    age: float | None = None
    sex: str | None = None
    diagnosis: DiagnosisIn | None = None
    ecog: int | None = None
    karnofsky: int | None = None
    # None: the record holds no genomic result at all (no `alterations`, as opposed to an
    # empty list): with no `tested_genes` either, every gene is untested
    alterations: list[AlterationIn] | None = None
    biomarkers: BiomarkersIn = field(default_factory=BiomarkersIn)
    tested_genes: list[str] | None = None
    prior_therapies: list[str] | None = None
    updated: date | None = None


class _Bad(Exception):
    """One field's problem (the message; the caller knows the location)."""


# --- converters: value -> value, or _Bad(message) ------------------------------------------


def _string(v: Any) -> str:
    if not isinstance(v, str):
        raise _Bad("wrong type (expected a string)")
    return v.strip()


def _nonempty(limit: int | None = None) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        s = _string(v)
        if not s:
            raise _Bad("must not be empty")
        if limit is not None and len(s) > limit:
            raise _Bad("invalid value")
        return s
    return check


def _number(v: Any) -> float:
    if isinstance(v, bool):
        raise _Bad("wrong type (expected a number)")
    if isinstance(v, (int, float)):
        try:
            return float(v)
        except OverflowError:
            return math.inf
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            raise _Bad("wrong type (expected a number)") from None
    raise _Bad("wrong type (expected a number)")


def _whole(v: Any) -> int:
    if isinstance(v, bool):
        raise _Bad("wrong type (expected a whole number)")
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if not v.is_integer():
            raise _Bad("wrong type (expected a whole number)")
        return int(v)
    if isinstance(v, str):
        s = v.strip()
        try:
            return int(s)
        except ValueError:
            pass
        try:
            f = float(s)
        except ValueError:
            raise _Bad("wrong type (expected a whole number)") from None
        if not f.is_integer():
            raise _Bad("wrong type (expected a whole number)")
        return int(f)
    raise _Bad("wrong type (expected a whole number)")


def _bounded(convert: Callable[[Any], Any], lo: float | None = None,
             hi: float | None = None) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        x = convert(v)
        shown = (lambda b: b) if convert is _whole else float
        if hi is not None and not x <= hi and (lo is None or x >= lo or x != x):
            raise _Bad(f"out of range (must be at most {shown(hi)})")
        if lo is not None and not x >= lo:
            raise _Bad(f"out of range (must be at least {shown(lo)})")
        return x
    return check


def _flag(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    if isinstance(v, float) and v in (0.0, 1.0):
        return bool(v)
    if isinstance(v, str):
        s = v.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    raise _Bad("wrong type (expected true or false)")


def _day(v: Any) -> date:
    if isinstance(v, str):
        s = v.strip()
        if _DATE.match(s):
            try:
                return date.fromisoformat(s)
            except ValueError:
                pass
    raise _Bad("not a valid date (expected YYYY-MM-DD)")


def _choice(name: str, allowed: tuple[Any, ...],
            before: Callable[[Any], Any] | None = None) -> Callable[[Any], Any]:
    """One of `allowed` (after `before`); ints also accept whole floats and digit strings."""
    shown = [repr(a) if isinstance(a, str) else str(a) for a in allowed]
    expected = ", ".join(shown[:-1]) + " or " + shown[-1]
    numeric = all(isinstance(a, int) for a in allowed)

    def check(v: Any) -> Any:
        if before is not None:
            v = before(v)
        if numeric and not isinstance(v, bool):
            with contextlib.suppress(_Bad):
                v = _whole(v)
        if isinstance(v, str) and not numeric:
            v = v.strip()
        if isinstance(v, bool) or v not in allowed:
            raise _Bad(f"unknown {name} (expected {expected})")
        return v
    return check


def _lower(v: Any) -> Any:
    return v.strip().lower() if isinstance(v, str) else v


def _upper(v: Any) -> Any:
    return v.strip().upper() if isinstance(v, str) else v


def _msi(v: Any) -> Any:
    return _MSI.get(v.strip().upper().replace(" ", "-"), v) if isinstance(v, str) else v


def _mmr(v: Any) -> Any:
    return _MMR.get(v.strip().upper(), v) if isinstance(v, str) else v


def _codel(v: Any) -> Any:
    return _CODEL.get(v.strip().lower().replace(" ", "-"), v) if isinstance(v, str) else v


def _ihc(v: Any) -> Any:
    return _IHC.get(v.strip(), v) if isinstance(v, str) else v


def _status_word(v: Any) -> Any:
    if isinstance(v, str):
        s = v.strip().lower()
        return _STATUS.get(s, s)
    return v


def _sex(v: Any) -> Any:
    if isinstance(v, str):
        s = v.strip().lower()
        return {"f": "female", "m": "male"}.get(s, s)
    return v


def _patient_id(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        v = str(v)
    return _nonempty(200)(v)


_POSITIVE = ("positive", "negative")
_LEVELS = ("positive", "negative", "high", "low")


def _expression(v: Any, loc: Loc, problems: list[Problem]) -> dict[str, str] | None:
    if not isinstance(v, dict):
        problems.append((loc, "wrong type (expected an object)"))
        return None
    check = _choice("expression level", _LEVELS)
    out: dict[str, str] = {}
    for key, level in v.items():
        name = key.strip() if isinstance(key, str) else str(key)
        try:
            out[name] = check(level)
        except _Bad as bad:
            problems.append(((*loc, name), str(bad)))
    return out


def _strings(v: Any, loc: Loc, problems: list[Problem]) -> list[str] | None:
    if not isinstance(v, list):
        problems.append((loc, "wrong type (expected a list)"))
        return None
    out: list[str] = []
    for i, item in enumerate(v):
        try:
            out.append(_string(item))
        except _Bad as bad:
            problems.append(((*loc, i), str(bad)))
    return out


# --- the schema: field name -> converter (value) or reader (value, loc, problems) -----------

Reader = Callable[[Any, Loc, list[Problem]], Any]

_ALTERATION: dict[str, Callable[[Any], Any]] = {
    "gene": _nonempty(),
    "type": _choice("alteration type", ("mutation", "amplification", "deletion", "fusion",
                                        "wildtype"), _lower),
    "protein": _string,
    "exon": _bounded(_whole, 1, 200),
    "origin": _choice("origin", ("somatic", "germline"), _lower),
    "partner": _string,
    "vaf": _bounded(_number, 0, 1),
    "cdna": _string,
    "transcript": _string,
}

_DIAGNOSIS: dict[str, Callable[[Any], Any]] = {
    "oncotree": lambda v: _string(_upper(v)),
    "text": _string,
    "stage": _string,
}

_BIOMARKERS: dict[str, Callable[[Any], Any]] = {
    "tmb": _bounded(_number, 0),
    "msi": _choice("MSI status", ("MSI-H", "MSI-L", "MSS"), _msi),
    "mmr": _choice("MMR status", ("dMMR", "pMMR"), _mmr),
    "pdl1_tps": _bounded(_number, 0, 100),
    "pdl1_cps": _bounded(_number, 0),
    "her2_ihc": _choice("HER2 IHC score", (0, 1, 2, 3), _ihc),
    "her2_ish": _choice("HER2 ISH result", ("amplified", "not amplified"), _status_word),
    "her2": _choice("HER2 status", ("positive", "negative", "low", "zero"), _status_word),
    "er": _choice("ER status", _POSITIVE, _status_word),
    "pr": _choice("PR status", _POSITIVE, _status_word),
    "hrd": _flag,
    "loh": _flag,
    "codel_1p19q": lambda v: _flag(_codel(v)),
}

_PATIENT: dict[str, Callable[[Any], Any]] = {
    "id": _patient_id,
    "birth_date": _day,
    "age": _bounded(_number, 0, 130),
    "sex": _choice("sex", ("female", "male"), _sex),
    "ecog": _bounded(_whole, 0, 5),
    "karnofsky": _bounded(_whole, 0, 100),
    "updated": _day,
}


def _fields(data: Any, loc: Loc, schema: dict[str, Callable[[Any], Any]],
            readers: dict[str, Reader], required: tuple[str, ...],
            problems: list[Problem]) -> dict[str, Any] | None:
    """The object's fields converted (None values left out), problems appended."""
    if not isinstance(data, dict):
        problems.append((loc, "wrong type (expected an object)"))
        return None
    out: dict[str, Any] = {}
    for key in required:
        if key not in data:
            problems.append(((*loc, key), "required field is missing"))
    for key, value in data.items():
        if isinstance(key, str) and key.startswith("_"):
            continue
        where = (*loc, key)
        if key in readers:
            if value is not None:
                out[key] = readers[key](value, where, problems)
        elif key in schema:
            if value is None and key not in required:
                continue
            try:
                out[key] = schema[key](value)
            except _Bad as bad:
                problems.append((where, str(bad)))
        else:
            problems.append((where, "unknown field"))
    return out


def _alterations(v: Any, loc: Loc, problems: list[Problem]) -> list[AlterationIn]:
    if not isinstance(v, list):
        problems.append((loc, "wrong type (expected a list)"))
        return []
    out = []
    for i, item in enumerate(v):
        got = _fields(item, (*loc, i), _ALTERATION, {}, ("gene", "type"), problems)
        if got is not None and "gene" in got and "type" in got:
            out.append(AlterationIn(**got))
    return out


def _diagnosis(v: Any, loc: Loc, problems: list[Problem]) -> DiagnosisIn | None:
    got = _fields(v, loc, _DIAGNOSIS, {}, (), problems)
    return DiagnosisIn(**got) if got is not None else None


def _biomarkers(v: Any, loc: Loc, problems: list[Problem]) -> BiomarkersIn:
    got = _fields(v, loc, _BIOMARKERS, {"expression": _expression}, (), problems)
    return BiomarkersIn(**got) if got is not None else BiomarkersIn()


_PATIENT_READERS: dict[str, Reader] = {
    "diagnosis": _diagnosis,
    "alterations": _alterations,
    "biomarkers": _biomarkers,
    "tested_genes": _strings,
    "prior_therapies": _strings,
}


def read_patient(data: Any) -> tuple[PatientIn | None, list[Problem]]:
    """The validated profile, or None and its problems (in the order of the file's keys)."""
    problems: list[Problem] = []
    got = _fields(data, (), _PATIENT, _PATIENT_READERS, ("id",), problems)
    if problems or got is None:
        return None, problems
    return PatientIn(**got), []
