"""Fast scanning for the parser's regular expressions, with exactly the matches of `finditer`.

Python's `re` skips quickly over text only when a pattern begins with a plain character set
(the engine then tests one set per position, in a tight loop). Ours begin with lookbehinds,
case-insensitive groups or long alternations, so the engine enters the full matcher at every
position of the text. `Scanner(regex)` works out, from the parsed pattern, the characters a
match can begin with, say `[EKe]`, and scans with `[EKe](?<=(?=REGEX).)`: a set first (fast
skipping), then the pattern itself, tried where it could start. Each hit is re-matched with
the plain pattern for its span and groups. Three to ten times faster on long texts.

The set is exact or absent: a case-insensitive letter brings both cases and its Unicode
case-folding partners (k, K and the Kelvin sign); when the set cannot be bounded (a leading
`.`, a negated class, a cased non-ASCII letter under IGNORECASE, a pattern that can match the
empty string) the pattern is scanned as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

try:  # Python 3.11+
    # re's private parser: typeshed types it only under its old name, sre_parse
    from re import _parser as _p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    _p = None


class _Unknown(Exception):
    """The first characters cannot be bounded."""


_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
               "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}
# Characters other than the two ASCII cases that re's IGNORECASE folds onto an ASCII letter.
_FOLDS = {"i": "\u0130\u0131", "s": "\u017f", "k": "\u212a"}


def first_chars(regex: str) -> str | None:
    """The body of a character class (for `[...]`, case-sensitive) holding every character a
    match of `regex` can begin with, or None when that cannot be bounded."""
    if _p is None:
        return None
    try:
        parsed = _p.parse(regex)
        items: set[str] = set()
        if _first(list(parsed), parsed.state.flags, items):
            return None  # may match the empty string
    except (_Unknown, re.error, AttributeError, TypeError, ValueError, RecursionError):
        return None
    return "".join(sorted(items)) or None


def _first(items, flags: int, out: set[str]) -> bool:
    """Add the first characters of a sequence; True if the sequence can match empty."""
    return all(_one(op, av, flags, out) for op, av in items)


def _chars(c: str, folded: bool) -> list[str]:
    """`c` as class members: itself, or under IGNORECASE every character it matches."""
    if not folded or c.lower() == c.upper():
        return [re.escape(c)]
    low = c.lower()
    if not (c.isascii() and c.isalpha()):
        raise _Unknown(f"cased non-ASCII {c!r} under IGNORECASE")
    return [re.escape(x) for x in {low, low.upper(), *_FOLDS.get(low, "")}]


def _name(op) -> str:
    """The opcode's name (re's parser constants are named ints)."""
    return str(getattr(op, "name", op))


def _one(op, av, flags: int, out: set[str]) -> bool:
    """Add the first characters of one item; True if it can match empty."""
    name = _name(op)
    folded = bool(flags & re.IGNORECASE)
    if name == "LITERAL":
        out.update(_chars(chr(av), folded))
        return False
    if name == "IN":
        for sub, value in av:
            sub_name = _name(sub)
            if sub_name == "LITERAL":
                out.update(_chars(chr(value), folded))
            elif sub_name == "RANGE":
                lo, hi = value
                if folded and any(chr(x).lower() != chr(x).upper() for x in range(lo, hi + 1)):
                    if hi - lo > 200:
                        raise _Unknown("wide cased range under IGNORECASE")
                    for x in range(lo, hi + 1):
                        out.update(_chars(chr(x), True))
                else:
                    out.add(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}")
            elif sub_name == "CATEGORY" and _name(value).replace("UNI_", "") in _CATEGORIES:
                out.add(_CATEGORIES[_name(value).replace("UNI_", "")])
            else:
                raise _Unknown(sub_name)
        return False
    if name == "SUBPATTERN":
        _group, add, remove, sub = av
        return _first(list(sub), (flags | add) & ~remove, out)
    if name == "ATOMIC_GROUP":
        return _first(list(av), flags, out)
    if name == "BRANCH":
        nullable = False
        for alt in av[1]:
            nullable = _first(list(alt), flags, out) or nullable
        return nullable
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, _high, sub = av
        return _first(list(sub), flags, out) or low == 0
    if name in ("ASSERT", "ASSERT_NOT", "AT"):
        return True  # zero-width: the next item decides
    raise _Unknown(name)


class Scanner:
    """A compiled pattern whose `finditer` and `search` return the plain pattern's matches,
    found faster (see the module docstring). `plain` is the pattern as written."""

    __slots__ = ("plain", "stage", "pattern")

    def __init__(self, regex: str) -> None:
        self.plain = re.compile(regex)
        self.pattern = regex
        chars = first_chars(regex)
        self.stage = None
        if chars:
            try:
                self.stage = re.compile(f"[{chars}](?<=(?={regex}).)")
            except re.error:  # e.g. a pattern that cannot sit inside a lookbehind
                self.stage = None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        if self.stage is None:
            yield from self.plain.finditer(text)
            return
        end = 0
        for hit in self.stage.finditer(text):
            start = hit.start()
            if start < end:
                continue  # inside the previous match: finditer resumes after it
            m = self.plain.match(text, start)
            if m is not None:
                yield m
                end = m.end()

    def search(self, text: str) -> re.Match[str] | None:
        return next(self.finditer(text), None)
