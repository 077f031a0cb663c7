"""Mentions: typed spans of the eligibility text that the parser has recognised.

Entity rules (entities.py) produce them, context rules (context.py) mark them, and the
assembler (findings.py, assemble.py) reads them in order. Offsets are characters of the
trial's eligibility text; `source` is the id of the pattern, cue or lexicon that matched.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

_OPS = [
    (re.compile(r"(?i)^(?:[≥⩾](?:\s?or\s?=)?|>=|=>|>\s?/\s?=|>\s=|>\s?or\s?=|>\s?or\s?equal(?:\s?to)?"
                r"|(?:greater|more|higher|over|above)\s(?:than\s)?or\sequal(?:\sto)?"
                r"|(?:greater|more|higher)\sthan\sequals?\sto"
                r"|equal\s(?:to\s)?or\s(?:(?:greater|more|higher)\sthan|over|above)|at\sleast|not?\s(?:less|lower|fewer|younger)\sthan"
                r"|minimum\sof)$"), ">="),
    (re.compile(r"(?i)^(?:[≤⩽](?:\s?or\s?=)?|<=|=<|<\s?/\s?=|<\s=|<\s?or\s?=|<\s?or\s?equal(?:\s?to)?"
                r"|(?:less|lower|under|below)\s(?:than\s)?or\sequal(?:\sto)?"
                r"|(?:less|lower)\sthan\sequals?\sto|equal\s(?:to\s)?or\s(?:(?:less|lower)\sthan|under|below)|not?\s(?:more|greater|higher|older)\sthan"
                r"|up\sto|maximum\sof)$"), "<="),
    (re.compile(r"(?i)^(?:>|(?:greater|more|higher|older)\sthan|over|above)$"), ">"),
    (re.compile(r"(?i)^(?:<|(?:less|lower|fewer|younger)\sthan|below|under)$"), "<"),
    (re.compile(r"^=$"), "="),
]

# a symbol repeating the words ("less than equals to (<=)", "(</=)"), and the "to" of ">= to 80"
_SYMBOL_AFTER = re.compile(r"\s?\((?:[<>≤≥]=?|=|[<>]\s?/\s?=)\)$")
_TO_AFTER_SYMBOL = re.compile(r"(?<=[=≥≤⩾⩽])\s?to$")


def norm_op(text: str | None, default: str = ">=") -> str:
    """The comparison a phrase means: "at least" -> ">=", "less than" -> "<"."""
    if not text:
        return default
    t = _SYMBOL_AFTER.sub("", " ".join(text.split()))  # "less than equals to (<=)"
    t = _TO_AFTER_SYMBOL.sub("", t)
    for rx, op in _OPS:
        if rx.match(t):
            return op
    return default


@dataclass(slots=True)
class Mention:
    label: str  # gene, variant, codon, exon, event, signature, measure, tmb, her2_ihc, ...
    start: int
    end: int
    source: str
    data: dict[str, Any] = field(default_factory=dict)
    # set by context rules
    negated: bool = False
    excepted: bool = False
    therapy: bool = False
    nonbio: bool = False
    used: bool = False
    mods: set[str] = field(default_factory=set)  # context categories (scope.py)

    @property
    def priority(self) -> int:
        return PRIORITY.get(self.label, 0)


PRIORITY = {"signature": 9, "tmb": 9, "measure": 9, "her2_ihc": 8, "philadelphia": 9,
            "rearrangement": 9,             "triple_negative": 9, "ecog": 9, "karnofsky": 9, "age": 7, "age_range": 8,
            "exon": 8, "event": 8, "variant": 8, "variant_range": 8, "codon": 6, "not_variant": 9,
            "gene": 7, "drug": 6, "cancer": 5, "cue": 4}


_WRAPPED = re.compile(r"\s{2,}|\n")


def span_length(text: str, start: int, end: int) -> int:
    """The length of a span with each run of whitespace counted as one space: a name wrapped
    onto an indented line is no longer than the same name on one line."""
    if not text:
        return end - start
    return end - start - sum(len(w.group()) - 1 for w in _WRAPPED.finditer(text, start, end))


def resolve(mentions: list[Mention], text: str = "") -> list[Mention]:
    """Drop overlapping mentions: the longer wins (see `span_length`), then the higher
    priority, then the earlier.

    Taken characters are marked in a bytearray, so each check is one C-level scan of the
    mention's own span: linear in the text, whatever the number of mentions."""
    if not mentions:
        return []
    taken = bytearray(max(m.end for m in mentions))
    kept: list[Mention] = []
    for m in sorted(mentions, key=lambda m: (-span_length(text, m.start, m.end), -m.priority,
                                             m.start)):
        if taken.find(1, m.start, m.end) != -1:
            continue
        taken[m.start:m.end] = b"\x01" * (m.end - m.start)
        if m.label != "not_variant":
            kept.append(m)
    return sorted(kept, key=lambda m: m.start)


class ByStart:
    """Mentions in start order, looked up by position (bisect), so context rules read only
    the mentions near a finding, never the whole criterion once per finding."""

    __slots__ = ("items", "starts")

    def __init__(self, items: list[Mention]) -> None:
        self.items = sorted(items, key=lambda m: m.start)
        self.starts = [m.start for m in self.items]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def first_at(self, pos: int) -> int:
        """Index of the first mention starting at or after `pos`."""
        return bisect_left(self.starts, pos)

    def between(self, lo: int, hi: int) -> list[Mention]:
        """Mentions starting in lo..hi (both included)."""
        return self.items[bisect_left(self.starts, lo):bisect_right(self.starts, hi)]
