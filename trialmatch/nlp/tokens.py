"""The tokenizer of our spaCy pipeline: words, numbers and single punctuation marks.

spaCy's default English rules keep "HER2-positive" or "EGFR/HER2" whole or split them by
context; biomarker text wants every hyphen, slash and bracket as its own token, always, so
gene names, variants and status words line up with the lexicons. Whitespace is preserved
exactly (`doc.text == text`), so token offsets are offsets into the trial's own text.

The tokenizer also keeps the text and a light copy of the tokens on the Doc
(`doc._.tm_text`, the tokens that are not whitespace as `doc._.tm_tokens`, and the offset
of every Doc token as `doc._.tm_offsets`): the entity
rules read those, because building spaCy `Token` views and re-joining `doc.text` cost more
than the rules themselves. `Tokens.bare()` gives the words without hyphens, lower-cased, on
which `phrase_hits` finds the cue phrases.
"""

from __future__ import annotations

import re
from itertools import accumulate

from spacy.tokens import Doc
from spacy.vocab import Vocab

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # ideographs: one token each (no spaces)
# A word or number token. The first three branches start with disjoint characters (letters,
# digits, ideographs), so their order does not change a match: letters, the most frequent,
# are tried first.
WORD_RE = (rf"[^\W\d_{_CJK}]+(?:\d+[^\W\d_{_CJK}]*)*|\d+(?:\.\d+)*|[{_CJK}]|"
           rf"[^\W_{_CJK}]+")
TOKEN_RE = WORD_RE + r"|\S"  # ... or a single punctuation mark
# A token and the one space after it that belongs to it, or a run of whitespace that is a
# token of its own (what is left of a run after that space): the whole text, in order.
_PIECE = re.compile(rf"({TOKEN_RE})( ?)|(\s+)")

for _name in ("tm_text", "tm_tokens", "tm_offsets"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


class Tokens:
    """The words and punctuation marks of a text (no whitespace): parallel lists of their
    texts and character offsets, far cheaper than spaCy Token views or one object each."""

    __slots__ = ("words", "starts", "_lower", "_bare")

    def __init__(self, words: list[str], starts: list[int]) -> None:
        self.words, self.starts = words, starts
        self._lower: list[str] | None = None
        self._bare: tuple[list[int], list[str]] | None = None

    def __len__(self) -> int:
        return len(self.words)

    @property
    def lower(self) -> list[str]:
        if self._lower is None:
            self._lower = list(map(str.lower, self.words))
        return self._lower

    def end(self, i: int) -> int:
        return self.starts[i] + len(self.words[i])

    def bare(self) -> tuple[list[int], list[str]]:
        """The words as the cue lexicons read them, hyphens left out ("non-small" is "non
        small") and lower-cased: (their indices here, the words), for `phrase_hits`. Built
        once, shared by entities.py and scope.py."""
        if self._bare is None:
            lower = self.lower
            keep = [i for i, w in enumerate(self.words) if w not in _HYPHENS]
            self._bare = (keep, [lower[i] for i in keep])
        return self._bare


_HYPHENS = frozenset({"-", "\u2013"})


Entry = tuple[int, tuple[str, ...]]  # a phrase's rank under its first word, and its words
# A phrase table indexed once more by the second word: {first: (one-word phrases, {second:
# longer phrases})}, kept with the table it was built from (the tables are cached singletons).
_INDEXED: list[tuple[dict[str, list[tuple[str, ...]]],
                     dict[str, tuple[list[Entry], dict[str, list[Entry]]]]]] = []


def _by_second_word(phrases: dict[str, list[tuple[str, ...]]]
                    ) -> dict[str, tuple[list[Entry], dict[str, list[Entry]]]]:
    for table, known in _INDEXED:
        if table is phrases:
            return known
    index: dict[str, tuple[list[Entry], dict[str, list[Entry]]]] = {}
    for first, entries in phrases.items():
        singles: list[Entry] = []
        longer: dict[str, list[Entry]] = {}
        for rank, words in enumerate(entries):
            if len(words) == 1:
                singles.append((rank, words))
            else:
                longer.setdefault(words[1], []).append((rank, words))
        index[first] = (singles, longer)
    _INDEXED.append((phrases, index))
    del _INDEXED[:-8]
    return index


def phrase_hits(low: list[str], phrases: dict[str, list[tuple[str, ...]]]
                ) -> list[tuple[int, int, int]]:
    """Every occurrence of a phrase in the bare words `low` (`Tokens.bare`), overlaps kept:
    (first word, rank, end), by first word, then by rank. `phrases` maps a first word to its
    phrases' words, the rank being the place in that list.

    The cue phrases match "a hyphen or a line break between words is the same as a space":
    the pipeline's Doc keeps line breaks and hyphens as tokens (its text is the trial's
    text), so the cues are matched on the bare words, one dictionary look-up per word (what
    spaCy's PhraseMatcher did on a second Doc of them, whose building cost more than the
    look-ups: a tenth of a second for a megabyte of text), and a second one on the next word
    for the longer phrases (a common first word such as "or" opens dozens of them)."""
    index = _by_second_word(phrases)
    out: list[tuple[int, int, int]] = []
    n = len(low)
    for k in range(n):
        entry = index.get(low[k])
        if entry is None:
            continue
        singles, longer = entry
        found = [(k, rank, k + 1) for rank, _words in singles]
        if k + 1 < n:
            for rank, words in longer.get(low[k + 1], ()):
                end = k + len(words)
                if end > n:
                    continue
                i = 2
                while i < len(words) and low[k + i] == words[i]:
                    i += 1
                if i == len(words):
                    found.append((k, rank, end))
        if len(found) > 1:
            found.sort()
        out.extend(found)
    return out


def text_tokens(text: str) -> Tokens:
    """The tokens of `text` that are not whitespace, as the `Tokenizer` reads them (same
    words, same offsets), without building a spaCy Doc: for `pipeline.analyse`.

    Every character that is not whitespace belongs to a token, so splitting on the tokens
    gives whitespace and tokens alternately, and each token's offset is the running sum of
    the lengths before it: lists built in C rather than one Python step per token."""
    parts = _SPLIT.split(text)
    words = parts[1::2]
    ends = list(accumulate(map(len, parts)))
    return Tokens(words, ends[0:2 * len(words):2])


# `({TOKEN_RE})` as a split pattern, written to start with a character set: re then skips the
# whitespace between tokens with a set test, where a pattern that starts with alternatives is
# entered at every position. A token's first character is any non-whitespace; a letter or a
# digit then goes on as WORD_RE's branch for it does (letters and digits are disjoint; the
# branch `[^\W_...]+` never matches where those two do not); anything else, an ideograph or
# a mark, is a token of one character. The same splits (tests/nlp/test_internals.py).
_LETTER = rf"[^\W\d_{_CJK}]"
_SPLIT = re.compile(rf"(\S(?:(?<={_LETTER}){_LETTER}*(?:\d+{_LETTER}*)*|(?<=\d)\d*(?:\.\d+)*)?)")


class Tokenizer:
    """A callable spaCy tokenizer (see the module docstring)."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        found = _PIECE.findall(text)  # (token, " " or "", whitespace) triples
        words = [tok or blank for tok, _space, blank in found]
        spaces = [space == " " for _tok, space, _blank in found]
        offsets = list(accumulate([len(w) + s for w, s in zip(words, spaces)], initial=0))
        offsets.pop()
        doc = Doc(self.vocab, words=words, spaces=spaces)
        doc._.tm_text = text
        doc._.tm_tokens = Tokens([tok for tok, _space, _blank in found if tok],
                                 [at for (tok, _s, _b), at in zip(found, offsets) if tok])
        doc._.tm_offsets = offsets
        return doc

    def to_bytes(self, **_: object) -> bytes:  # spaCy serialisation hooks (nothing to save)
        return b""

    def from_bytes(self, _data: bytes, **_: object) -> Tokenizer:
        return self


def doc_text(doc: Doc) -> str:
    """The Doc's text, without re-joining its tokens when our tokenizer made it."""
    text = doc._.tm_text
    return text if text is not None else doc.text


def doc_tokens(doc: Doc) -> Tokens:
    """The Doc's tokens that are not whitespace, in order."""
    toks = doc._.tm_tokens
    if toks is not None:
        return toks
    kept = [t for t in doc if not t.is_space]
    return Tokens([t.text for t in kept], [t.idx for t in kept])


def doc_offsets(doc: Doc) -> list[int]:
    """The character offset of every token of the Doc (whitespace tokens included)."""
    offsets = doc._.tm_offsets
    if offsets is None:
        offsets = doc._.tm_offsets = [t.idx for t in doc]
    return offsets
