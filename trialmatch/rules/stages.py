"""Cancer stage groups (AJCC / FIGO / Ann Arbor style: 0, I-IV with sub-letters A-D) on one
ordinal scale, so that a stage is compared like any other number.

A group is ten steps wide: stage I is 10-19, IA is 11, IB 12; IV is 40-49, IVA 41. A stage
written without its letter ("III") is the interval of the whole group (30-39), so a patient at
"stage III" meets "stage III or higher" but cannot be told apart for "stage IIIB or higher"
(unknown, not a guess). Patients carry the interval; rules carry a name and a comparison.
"""

from __future__ import annotations

import re

FIELD = "stage"  # the patient number that holds the stage interval

_ROMAN = {"0": 0, "I": 1, "II": 2, "III": 3, "IV": 4}
ROMAN_OF_DIGIT = {"0": "0", "1": "I", "2": "II", "3": "III", "4": "IV"}  # "3A" is IIIA
_NAME = re.compile(r"(?i)^\s*(?:stage\s*)?(?:[cpy]|yp)?\s*(IV|I{1,3}|[0-4])\s*(IS|[A-D])?\d?\s*$")


def stage_name(text: str) -> str | None:
    """The canonical name of a stage group ("Stage 3a", "IIIa", "IIIC1", "pT-free c2B" ->
    "IIIA", "IIIA", "IIIC", None), or None when the text is no stage group."""
    m = _NAME.match(text or "")
    if m is None:
        return None
    group = m.group(1).upper()
    group = ROMAN_OF_DIGIT.get(group, group)
    letter = (m.group(2) or "").upper()
    if group == "0" and letter:
        letter = ""  # 0a, 0is: stage 0 all the same
    elif letter == "IS":
        return None
    return group + letter


def stage_interval(name: str) -> tuple[float, float]:
    """The closed interval of a canonical stage name on the scale (IIIB -> (32, 32),
    III -> (30, 39))."""
    group = name.rstrip("ABCD")
    base = _ROMAN[group] * 10
    letter = name[len(group):]
    if not letter:
        return float(base), float(base + 9)
    step = base + "ABCD".index(letter) + 1
    return float(step), float(step)


def threshold(op: str, name: str) -> float:
    """The number a comparison with a named stage compares with: the low end of the group for
    >= and <, the high end for <= and > ("stage III or lower" admits IIIC)."""
    lo, hi = stage_interval(name)
    return lo if op in (">=", "<") else hi


def stage_label(interval: tuple[float, float]) -> str:
    """The name of a patient's stage interval (what `stage_interval` gives back)."""
    lo, hi = interval
    group = int(lo) // 10
    roman = next(k for k, v in _ROMAN.items() if v == group)
    if lo == hi and int(lo) % 10:
        return roman + "ABCD"[int(lo) % 10 - 1]
    return roman
