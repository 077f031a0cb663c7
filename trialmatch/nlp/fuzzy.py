"""Cancer names in other spellings: "tumours", "leukaemia", "adenocarcinomas", "carcinom".

The exact lexicon (lexicon.py) is tried first. Where a cancer head word ("cancer",
"carcinoma", "tumour", "leukaemia", ...) is not inside an exact match, the words before it
are compared with the ontology's names of the same length and head (rapidfuzz), word by
word: every word must start with the same letter and be a close spelling (ratio >= 85) of
the name's word. So "leukaemia" and "tumours" match, and "or squamous cell carcinoma" never
becomes "oral squamous cell carcinoma".
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from trialmatch.nlp.lexicon import Lexicon
from trialmatch.nlp.mentions import Mention
from trialmatch.nlp.tokens import Tokens

HEAD = re.compile(r"(?:cancers?|carcinomas?|adenocarcinomas?|tumou?rs?|neoplasms?|sarcomas?|"
                  r"lymphomas?|leuka?emias?|melanomas?|myelomas?|malignanc(?:y|ies)|gliomas?|"
                  r"blastomas?|mesotheliomas?|carcinom|carcinome)\Z")
HEAD_WORDS = frozenset(
    f"{stem}{end}" for stem in ("cancer", "carcinoma", "adenocarcinoma", "tumor", "tumour",
                                "neoplasm", "sarcoma", "lymphoma", "leukemia", "leukaemia",
                                "melanoma", "myeloma", "glioma", "blastoma", "mesothelioma")
    for end in ("", "s")) | {"malignancy", "malignancies", "carcinom", "carcinome"}
_SPELLING = (("tumour", "tumor"), ("leukaem", "leukem"), ("oesophag", "esophag"),
             ("haem", "hem"), ("oestrogen", "estrogen"), ("carcinome", "carcinoma"),
             ("tumeur", "tumor"))
WORD_CUTOFF = 85.0
MAX_WORDS = 5


def norm_word(word: str) -> str:
    """Lower case, American spelling, singular: the form words are bucketed by."""
    w = word.lower()
    for british, american in _SPELLING:
        w = w.replace(british, american)
    if w.endswith("carcinom"):
        return w + "a"
    if w.endswith("ies") and len(w) > 5:
        return w[:-3] + "y"
    if w.endswith("s") and len(w) > 4 and not w.endswith("ss"):
        return w[:-1]
    return w


def _buckets(lex: Lexicon) -> dict[tuple[int, str, str], dict[str, str]]:
    """(number of words, head, first letter) -> {normalised name: OncoTree code}, built once
    per lexicon."""
    if lex.fuzzy_buckets is None:
        out: dict[tuple[int, str, str], dict[str, str]] = {}
        for key, code in lex.cancers.items():
            if key in lex.exact:
                continue  # abbreviations are matched as written, never approximately
            words = [norm_word(w) for w in key.split()]
            if words and HEAD.match(words[-1]):
                out.setdefault((len(words), words[-1], words[0][:1]), {})[" ".join(words)] = code
        lex.fuzzy_buckets = out
    return lex.fuzzy_buckets


def fuzzy_cancer_mentions(toks: Tokens, text: str, lex: Lexicon,
                          covered: list[tuple[int, int]]) -> list[Mention]:
    """Cancer mentions for head words that no exact mention covers (see the docstring)."""
    lower = toks.lower
    heads = [i for i, w in enumerate(lower) if w in HEAD_WORDS]
    if not heads:
        return []
    taken = bytearray(len(text) + 1)
    for s, e in covered:
        taken[s:e] = b"\x01" * (e - s)
    out = []
    for i in heads:
        if taken[toks.starts[i]]:
            continue
        words = _phrase_before(toks, text, i)
        for k in range(len(words), 0, -1):
            first = words[-k]
            code = _closest(tuple(norm_word(toks.words[j]) for j in words[-k:]), lex)
            if code is not None:
                out.append(Mention("cancer", toks.starts[first], toks.end(i),
                                   "ontology.cancer.fuzzy", {"code": code}))
                break
    return out


def _phrase_before(toks: Tokens, text: str, i: int) -> list[int]:
    """Indices of up to MAX_WORDS words ending at token i, in one clause."""
    found = [i]
    j = i - 1
    while j >= 0 and len(found) < MAX_WORDS:
        gap = text[toks.end(j):toks.starts[found[0]]]
        word = toks.words[j]
        if word in ("-", "–", "/") and len(gap) <= 1:
            j -= 1
            continue
        if len(gap) > 2 or not word[:1].isalpha() or any(c in gap for c in ",;.()[]:\n"):
            break
        found.insert(0, j)
        j -= 1
    return found


def _closest(words: tuple[str, ...], lex: Lexicon) -> str | None:
    """The code of the name `words` spell, allowing close spellings word by word (cached)."""
    cache = lex.fuzzy_cache
    if words in cache:
        return cache[words]
    bucket = _buckets(lex).get((len(words), words[-1], words[0][:1]), {})
    found = None
    phrase = " ".join(words)
    if phrase in bucket:
        found = bucket[phrase]
    elif bucket:
        for name, _score, _ in process.extract(phrase, list(bucket), scorer=fuzz.ratio,
                                               score_cutoff=WORD_CUTOFF, limit=5):
            if all(a[:1] == b[:1] and fuzz.ratio(a, b) >= WORD_CUTOFF
                   for a, b in zip(words, name.split(), strict=True)):
                found = bucket[name]
                break
    if len(cache) >= 20_000:
        cache.clear()
    cache[words] = found
    return found
