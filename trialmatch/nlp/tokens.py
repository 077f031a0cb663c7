"""The tokenizer of our spaCy pipeline: words, numbers and single punctuation marks.

spaCy's default English rules keep "HER2-positive" or "EGFR/HER2" whole or split them by
context; biomarker text wants every hyphen, slash and bracket as its own token, always, so
gene names, variants and status words line up with the lexicons. Whitespace is preserved
exactly (`doc.text == text`), so token offsets are offsets into the trial's own text.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc
from spacy.vocab import Vocab

_TOKEN = re.compile(r"\d+(?:\.\d+)*|[^\W\d_]+(?:\d+[^\W\d_]*)*|[^\W_]+|\S", re.UNICODE)


class Tokenizer:
    """A callable spaCy tokenizer (see the module docstring)."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        words: list[str] = []
        spaces: list[bool] = []
        pos = 0
        for m in _TOKEN.finditer(text):
            gap = text[pos:m.start()]
            if gap:
                _space(gap, words, spaces)
            words.append(m.group(0))
            spaces.append(False)
            pos = m.end()
        if pos < len(text):
            _space(text[pos:], words, spaces)
        return Doc(self.vocab, words=words, spaces=spaces)

    def to_bytes(self, **_: object) -> bytes:  # spaCy serialisation hooks (nothing to save)
        return b""

    def from_bytes(self, _data: bytes, **_: object) -> Tokenizer:
        return self


def _space(gap: str, words: list[str], spaces: list[bool]) -> None:
    """Attach a single leading space to the previous token; the rest becomes a space token."""
    if words and not spaces[-1] and gap[0] == " ":
        spaces[-1] = True
        gap = gap[1:]
    if gap:
        words.append(gap)
        spaces.append(False)
