"""Fast scanning for the parser's regular expressions, with exactly the matches of `finditer`.

Python's `re` skips quickly over text only when a pattern begins with a plain character set
(the engine then tests one set per position, in a tight loop). Ours begin with lookbehinds,
case-insensitive groups or long alternations, so the engine enters the full matcher at every
position of the text. `Scanner(regex)` works out, from the parsed pattern, the characters a
match can begin with, say `[EKe]`, and scans with `[EKe](?<=(?=REGEX).)`: a set first (fast
skipping), then the pattern itself, tried where it could start (a global flag such as `(?i)`
leading REGEX is moved to the front of that stage pattern, where re requires it). Each hit is re-matched with
the plain pattern for its span and groups. Three to ten times faster on long texts.

The set is exact or absent: a case-insensitive letter brings both cases and its Unicode
case-folding partners (k, K and the Kelvin sign); when the set cannot be bounded (a leading
`.`, a negated class, a cased non-ASCII letter under IGNORECASE, a pattern that can match the
empty string) the pattern is scanned as written.

Before any scanning, a text is skipped when it holds none of the pattern's *needles*: ASCII
words that every match must contain, one of them at least ("year" or "yr" for an age in
years), read from the parsed pattern (`needles`). The test is on `probe(text)` (the text with
the re case-folding partners of i, s and k made ASCII, then lower-cased), computed once per
text for all patterns; most patterns then never run on most criteria. When a text holds
few needles and the pattern's matches and lookarounds are bounded (`window`), only the
windows just before each needle are scanned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice

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


_FOLDED = "\u0130\u0131\u017f\u212a"
_ASCII_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def probe(text: str) -> str:
    """The text as `needles` are looked up in: what re's IGNORECASE folds onto an ASCII
    letter made that letter, then lower-cased (an ASCII substring of the text stays one)."""
    if text.isascii() or not any(c in text for c in _FOLDED):  # (translate is slow)
        return text.lower()
    return text.translate(_ASCII_FOLD).lower()


_MAX_WINDOW = 200


def window(regex: str) -> tuple[int, int] | None:
    """(the longest match of `regex`, how far past a match its assertions may read) when
    both are bounded and the match is at most _MAX_WINDOW characters: then whether a match
    starts at a position depends only on the characters from just before it to that many
    past it (a lookbehind reads text before a scan's start, as in the whole text), and a
    match containing a needle starts at most that far before it. None otherwise (a
    back-reference, an unbounded lookaround)."""
    if _p is None:
        return None
    try:
        parsed = _p.parse(regex)
        ahead = _lookaround_reach(list(parsed))
        if ahead is None:
            return None
        width = parsed.getwidth()[1]
    except (re.error, AttributeError, TypeError, ValueError, RecursionError):
        return None
    return (width, ahead + 1) if width <= _MAX_WINDOW else None


def widest(regex: str) -> int | None:
    """The length of the longest match of `regex` (None when unbounded or unknown)."""
    if _p is None:
        return None
    try:
        width = _p.parse(regex).getwidth()[1]
    except (re.error, AttributeError, TypeError, ValueError, RecursionError):
        return None
    return width if width < _p.MAXREPEAT else None


def _lookaround_reach(items) -> int | None:
    """An upper bound on how many characters past the end of a match the lookarounds of
    a sequence can read: the sum of their widths (`window` adds one: a word boundary or an
    anchor reads the next character); None when a lookaround is unbounded or a group is
    referred back to."""
    reach = 0
    for op, av in items:
        name = _name(op)
        if name in ("GROUPREF", "GROUPREF_EXISTS"):
            return None
        if name in ("ASSERT", "ASSERT_NOT"):
            sub = av[1]
            inner = _lookaround_reach(list(sub))
            width = sub.getwidth()[1]
            if inner is None or width > _MAX_WINDOW:
                return None
            reach += width + inner
        subs = []
        if name == "SUBPATTERN":
            subs = [av[3]]
        elif name == "ATOMIC_GROUP":
            subs = [av]
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            subs = [av[2]]
        elif name == "BRANCH":
            subs = list(av[1])
        for sub in subs:
            inner = _lookaround_reach(list(sub))
            if inner is None:
                return None
            reach += inner
    return reach


def needles(regex: str) -> tuple[str, ...] | None:
    """Lower-case ASCII strings, at least one of which every match of `regex` contains (None
    when no such set of strings of two or more characters can be read off the pattern)."""
    if _p is None:
        return None
    try:
        parsed = _p.parse(regex)
        found = _seq_needles(list(parsed))
    except (re.error, AttributeError, TypeError, ValueError, RecursionError):
        return None
    if not found or min(map(len, found)) < 2:
        return None
    return tuple(sorted(n for n in found if not any(m != n and m in n for m in found)))


def _seq_needles(items) -> set[str] | None:
    """The most selective needle set of a sequence (see `_seq_options`)."""
    return _best(_seq_options(items))


_MANY = 8  # needles beyond which a set costs more look-ups than it saves (and gets no windows)


def _best(options: list[set[str]]) -> set[str] | None:
    """The set with the longest shortest needle, then the fewest; a set of at most _MANY
    needles before a longer list ("p." before the twenty amino-acid codes)."""
    options = [o for o in options if o]
    if not options:
        return None
    few = [o for o in options if len(o) <= _MANY]
    return max(few or options, key=lambda o: (min(map(len, o)), -len(o)))


def _seq_options(items) -> list[set[str]]:
    """Needle sets of a sequence, each of which every match holds one string of: a run of
    literal characters, or a set of one item that must match (a group, a branch, a repeat
    of at least one)."""
    options: list[set[str]] = []
    run = ""
    for op, av in items:
        name = _name(op)
        if name == "LITERAL" and av < 128:
            run += chr(av).lower()
            continue
        last = run
        if len(run) >= 2:
            options.append({run})
        run = ""
        sub: set[str] | None = None
        if name == "SUBPATTERN":
            sub = _seq_needles(list(av[3]))
        elif name == "ATOMIC_GROUP":
            sub = _seq_needles(list(av))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
            sub = _seq_needles(list(av[2]))
        elif name == "BRANCH":
            sub = _best(_branch_options([_seq_options(list(alt)) for alt in av[1]]))
            if last:  # re factors a common start out: "years?|yrs?" is "y" + "ears?|rs?"
                options.append({last + _lead(list(alt)) for alt in av[1]})
        if sub:
            options.append(sub)
    if len(run) >= 2:
        options.append({run})
    return [o for o in options if o]


def _branch_options(alts: list[list[set[str]]]) -> list[set[str]]:
    """Needle sets of a branch: the best set of each alternative, joined; or a part of that
    set which every alternative implies, by a set each of whose strings holds one of its
    strings ("minimum age|age of|aged": "age", not "minimum" or "age"). The part finds
    every match and fewer places, so it is the better set."""
    if not alts or any(not a for a in alts):
        return []
    joined: set[str] = set()
    for a in alts:
        joined |= _best(a) or set()
    out = [joined]
    for a in alts:
        for o in a:
            if o < joined and all(any(all(any(n in q for n in o) for q in p) for p in other)
                                  for other in alts):
                out.append(o)
    return out


def _lead(items) -> str:
    """The literal ASCII characters a sequence starts with."""
    out = ""
    for op, av in items:
        if _name(op) != "LITERAL" or av >= 128:
            break
        out += chr(av).lower()
    return out


def marks(regex: str) -> tuple[str] | None:
    """A punctuation mark that every match of `regex` holds, as a needle of one character,
    for a pattern without needle words ("(" of "t(9;22)"): a literal mark of the pattern's
    top-level sequence (each of its items is matched once in every match). None when there
    is none."""
    if _p is None:
        return None
    try:
        parsed = _p.parse(regex)
    except (re.error, AttributeError, TypeError, ValueError, RecursionError):
        return None
    for op, av in parsed:
        if _name(op) == "LITERAL" and av < 128 and not chr(av).isalnum() \
                and not chr(av).isspace():
            return (chr(av),)
    return None


_ZERO_WIDTH = ("ASSERT", "ASSERT_NOT", "AT")


def pair_gate(regex: str) -> str | None:
    """A pattern finding two characters that every match of `regex` holds side by side, read
    off the pattern's top-level sequence (each of its items is matched once in every match):
    an item of one character followed by an item that starts with a set, as `[c1](?=[c2])`
    ("[ACD...Y](?=\\d)" for "V600E"): one place per pair, the first character's. None when
    there is no such pair. For a pattern without needles: windows around the pairs."""
    if _p is None:
        return None
    try:
        parsed = _p.parse(regex)
        flags = parsed.state.flags
        items = [(op, av) for op, av in parsed if _name(op) not in _ZERO_WIDTH]
        for (op, av), (op2, av2) in zip(items, items[1:]):
            one = _one_char(op, av, flags)
            if one is None:
                continue
            after: set[str] = set()
            if not _one(op2, av2, flags, after) and after:
                return f"[{''.join(sorted(one))}](?=[{''.join(sorted(after))}])"
    except (_Unknown, re.error, AttributeError, TypeError, ValueError, RecursionError):
        return None
    return None


def _one_char(op, av, flags: int) -> set[str] | None:
    """The characters an item of exactly one character matches (as class members), or None
    when the item is not one character (or they cannot be bounded)."""
    name = _name(op)
    if name == "SUBPATTERN":
        _group, add, remove, sub = av
        inner = [(o, a) for o, a in sub if _name(o) not in _ZERO_WIDTH]
        if len(inner) != 1 or len(inner) != len(list(sub)):
            return None
        return _one_char(inner[0][0], inner[0][1], (flags | add) & ~remove)
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] == av[1] == 1 \
            and len(list(av[2])) == 1:
        (o, a), = list(av[2])
        return _one_char(o, a, flags)
    if name not in ("LITERAL", "IN"):
        return None
    out: set[str] = set()
    try:
        _one(op, av, flags, out)
    except _Unknown:
        return None
    return out or None


_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")


_FEW = 64  # needles in a text up to which windows are scanned rather than the whole text


def _occurrences(text: str, needle: str, limit: int) -> list[int]:
    """Where `needle` occurs in `text` (overlaps included), at most `limit` places."""
    out: list[int] = []
    i = text.find(needle)
    while i != -1 and len(out) < limit:
        out.append(i)
        i = text.find(needle, i + 1)
    return out


# The pair places of the last text scanned, per gate (patterns that share a gate, such as
# the protein changes and codons, scan the same text one after another): (text, places).
_LAST_PAIRS: dict[re.Pattern[str], tuple[str, list[int]]] = {}


def _pairs(gate: re.Pattern[str], text: str) -> list[int]:
    """Where `gate` matches in `text`, at most _FEW places."""
    last = _LAST_PAIRS.get(gate)
    if last is not None and last[0] is text:
        return last[1]
    at = [m.start() for m in islice(gate.finditer(text), _FEW)]
    _LAST_PAIRS[gate] = (text, at)
    return at


class Scanner:
    """A compiled pattern whose `finditer` and `search` return the plain pattern's matches,
    found faster (see the module docstring). `plain` is the pattern as written."""

    __slots__ = ("plain", "stage", "pattern", "needles", "gate", "width", "reach")

    def __init__(self, regex: str) -> None:
        self.plain = re.compile(regex)
        self.pattern = regex
        self.needles = needles(regex) or marks(regex)
        chars = first_chars(regex)
        self.stage = None
        if chars:
            lead = _GLOBAL_FLAGS.match(regex)  # "(?i)..." must stay at the start
            head, body = (lead.group(), regex[lead.end():]) if lead else ("", regex)
            try:
                self.stage = re.compile(f"{head}[{chars}](?<=(?={body}).)")
            except re.error:  # e.g. a pattern that cannot sit inside a lookbehind
                self.stage = None
        # (windows pay one look-up per needle: not worth it for a long list of short words)
        bounds = window(regex) if self.needles and len(self.needles) <= _MANY and self.stage \
            else None
        self.gate: re.Pattern[str] | None = None  # pairs of characters every match holds
        if self.needles is None and self.stage is not None:
            gate = pair_gate(regex)
            bounds = window(regex) if gate is not None else None
            if gate is not None and bounds is not None:
                self.gate = re.compile(gate)
        self.width: int | None = bounds[0] if bounds is not None else None
        self.reach = bounds[1] if bounds is not None else 0

    def finditer(self, text: str, probed: str | None = None) -> Iterator[re.Match[str]]:
        """The matches of the plain pattern; `probed` is `probe(text)` when the caller has
        it (one per text for many patterns)."""
        if self.needles is not None:
            probed = probe(text) if probed is None else probed
            if not any(n in probed for n in self.needles):
                return
            if self.width is not None and len(probed) == len(text):
                at = sorted(i for n in self.needles for i in _occurrences(probed, n, _FEW))
                if len(at) < _FEW and len(at) * (self.width + self.reach) < len(text):
                    yield from self._windows(text, at)
                    return
        elif self.gate is not None and self.width is not None:
            at = _pairs(self.gate, text)
            if len(at) < _FEW and len(at) * (self.width + self.reach) < len(text):
                yield from self._windows(text, at)  # a match holds a pair
                return
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

    def _windows(self, text: str, at: list[int]) -> Iterator[re.Match[str]]:
        """finditer, trying only starts at most `width` characters before a needle (a match
        holds one); each window is scanned up to `width` characters past its last start and
        as far again as the pattern's assertions read (`reach`): all a match from there can
        read. Text before a window is still seen by a lookbehind (re reads before `pos`)."""
        width, scan = self.width, self.stage
        if width is None or scan is None:  # no windows: scan everything
            yield from self.plain.finditer(text)
            return
        spans: list[list[int]] = []
        for pos in at:
            lo, hi = max(0, pos - width), pos + 1
            if spans and lo <= spans[-1][1]:
                spans[-1][1] = hi
            else:
                spans.append([lo, hi])
        end = 0
        for lo, hi in spans:
            for hit in scan.finditer(text, max(lo, end),
                                     min(len(text), hi + width + self.reach)):
                start = hit.start()
                if start >= hi:
                    break
                if start < end:
                    continue
                m = self.plain.match(text, start)
                if m is not None:
                    yield m
                    end = m.end()

    def between(self, text: str, pos: int, endpos: int) -> Iterator[re.Match[str]]:
        """The matches of `plain.finditer(text, pos, endpos)` (the first-character stage
        only: no needles), for a caller that scans windows of its own."""
        if self.stage is None:
            yield from self.plain.finditer(text, pos, endpos)
            return
        end = pos
        for hit in self.stage.finditer(text, pos, endpos):
            start = hit.start()
            if start < end:
                continue
            m = self.plain.match(text, start, endpos)
            if m is not None:
                yield m
                end = m.end()

    def search(self, text: str) -> re.Match[str] | None:
        return next(self.finditer(text), None)
