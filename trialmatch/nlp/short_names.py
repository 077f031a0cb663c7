"""Cancer types written as a two-letter abbreviation ("MM", "UM"), read in context only.

The lexicon holds no cancer name shorter than three letters: two capitals have too many
meanings. data/short_names.yaml lists the abbreviations a curator expects, each with the
context that makes it the cancer type (see that file): as written and never after a number;
a disease word right before or after it; and the text names in full none of the other types
the same letters stand for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from trialmatch.nlp.mentions import Mention
from trialmatch.nlp.resources import short_names

_AFTER_NUMBER = re.compile(r"\d[\s\-]*\Z")
_REACH = 40  # characters before the abbreviation a `before` phrase is looked for in


@dataclass(frozen=True, slots=True)
class _Entry:
    text: str
    code: str
    other: tuple[str, ...]
    form: re.Pattern[str]
    before: re.Pattern[str]
    after: re.Pattern[str] | None


def _words(phrases: list[str]) -> str:
    parts = sorted((re.escape(p).replace(r"\ ", r"\s+") for p in phrases), key=len, reverse=True)
    return "|".join(parts)


@lru_cache(maxsize=1)
def _entries() -> tuple[_Entry, ...]:
    return tuple(_Entry(
        e.form, e.code, tuple(e.other),
        re.compile(rf"(?<![\w\-/.]){e.form}(?![\w\-])"),
        re.compile(rf"(?i)(?<![\w-])(?:{_words(e.before)})[\s/,]+(?:(?:and/or|or|and)\s+)?\Z"),
        re.compile(rf"(?i)\s+(?:{_words(e.after)})(?![\w-])") if e.after else None)
        for e in short_names())


def _below(code: str, top: str, parents: dict[str, str]) -> bool:
    """`code` is `top` or a type below it in the lexicon's tree."""
    for _ in range(32):
        if code == top:
            return True
        if code not in parents:
            return False
        code = parents[code]
    return False


def short_name_mentions(text: str, names: list[Mention], known: set[str],
                        parents: dict[str, str]) -> list[Mention]:
    """Mentions of the two-letter abbreviations of `text` that its context makes cancer types
    (module docstring). `names`: the cancer types the text names in full; `known`: the codes
    of the ontology (an abbreviation of a type it lacks is not read)."""
    out: list[Mention] = []
    for e in _entries():
        if e.code not in known or e.text not in text:
            continue
        named = [m.data["code"] for m in names if m.label == "cancer"]
        if any(_below(c, o, parents) for c in named for o in e.other):
            continue  # "MM" in a melanoma trial
        for m in e.form.finditer(text):
            lo = max(0, m.start() - _REACH)
            if _AFTER_NUMBER.search(text, lo, m.start()):
                continue
            if e.before.search(text, lo, m.start()) or (
                    e.after is not None and e.after.match(text, m.end())):
                out.append(Mention("cancer", m.start(), m.end(), "short_names",
                                   {"code": e.code}))
    return out
