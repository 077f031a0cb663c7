"""`tokens.phrase_hits` (indexed by first and second word) finds what a plain scan finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from trialmatch.nlp.tokens import phrase_hits

WORDS = ["or", "and", "no", "prior", "more", "than", "one", "≥", "1", "x"]


def _scan(low: list[str], phrases: dict[str, list[tuple[str, ...]]]) -> list[tuple[int, int, int]]:
    out = []
    for k in range(len(low)):
        for rank, words in enumerate(phrases.get(low[k], [])):
            if tuple(low[k:k + len(words)]) == words:
                out.append((k, rank, k + len(words)))
    return out


phrase = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(tuple)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=40), st.lists(phrase, max_size=25))
def test_phrase_hits_finds_what_a_scan_finds(low, listed):
    phrases: dict[str, list[tuple[str, ...]]] = {}
    for words in listed:
        phrases.setdefault(words[0], []).append(words)
    assert phrase_hits(low, phrases) == _scan(low, phrases)
