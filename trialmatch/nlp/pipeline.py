"""The spaCy pipeline: `spacy.blank("en")`, our tokenizer, and two components.

`trialmatch_segment` splits the text into sections, cohorts and criteria
(`doc._.tm_layout`, span group "criteria"); `trialmatch_entities` finds the mentions
(`doc._.tm_mentions`, span group "mentions"). No model is downloaded or loaded: every rule
is in trialmatch/nlp/data. Parsing calls `analyse`, the components' own functions without the
pipeline's Doc; `parse_doc` runs the pipeline (a Doc with span groups, e.g. to highlight).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from trialmatch.nlp.entities import text_mentions
from trialmatch.nlp.lexicon import Lexicon, build_lexicon
from trialmatch.nlp.mentions import Mention
from trialmatch.nlp.scope import apply_context, share_abbreviation_mods
from trialmatch.nlp.segment import Layout, segment
from trialmatch.nlp.tokens import Tokenizer, Tokens, doc_offsets, doc_text, doc_tokens, text_tokens

for _name in ("tm_layout", "tm_mentions"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


def char_spans(doc: Doc, items, label) -> list[Span]:
    """Spans covering the tokens of each (start, end) character range (like `char_span`
    with alignment "expand", by bisect on token starts rather than per-span token views)."""
    starts = doc_offsets(doc)
    out = []
    for item in items:
        first = bisect_right(starts, item.start) - 1
        last = bisect_left(starts, item.end)
        if 0 <= first < last:
            out.append(Span(doc, first, last, label=label(item)))
    return out


class SegmentComponent:
    """Sections, cohorts and criteria of the text (segment.py)."""

    def __call__(self, doc: Doc) -> Doc:
        layout = segment(doc_text(doc))
        doc._.tm_layout = layout
        doc.spans["criteria"] = char_spans(doc, layout.criteria, lambda c: c.section)
        return doc


class EntityComponent:
    """Mentions of genes, variants, signatures, measurements... (entities.py)."""

    def __init__(self) -> None:
        self.lexicon: Lexicon | None = None

    def __call__(self, doc: Doc) -> Doc:
        if self.lexicon is None:
            raise RuntimeError("trialmatch_entities has no lexicon; build it with make_pipeline")
        mentions = in_context(doc_text(doc), doc_tokens(doc), self.lexicon, doc._.tm_layout)
        doc._.tm_mentions = mentions
        doc.spans["mentions"] = char_spans(doc, mentions, lambda m: m.label)
        return doc


def in_context(text: str, toks: Tokens, lexicon: Lexicon, layout: Layout | None) -> list[Mention]:
    """The mentions of `text`, each marked by the cues in reach (no scope crosses the start
    of a criterion of `layout`)."""
    mentions = text_mentions(text, toks, lexicon)
    bounds = [c.start for c in layout.criteria] if layout is not None else []
    apply_context(toks, mentions, bounds)
    share_abbreviation_mods(text, mentions)
    return mentions


def analyse(text: str, ontology=None) -> tuple[Layout, list[Mention]]:
    """The layout and the mentions in context that the pipeline's two components give
    `doc._.tm_layout` and `doc._.tm_mentions`, computed by the same functions on the text and
    its tokens (`text_tokens`) without building the pipeline's spaCy Doc: parsing reads only
    these, and that Doc with its span groups was about a fifth of a parse's CPU. The cue
    phrases are looked up on the bare words (`Tokens.bare`, `tokens.phrase_hits`), so a
    parse builds no spaCy Doc at all."""
    layout = segment(text)
    return layout, in_context(text, text_tokens(text), lexicon_of(ontology), layout)


@lru_cache(maxsize=4)
def lexicon_of(ontology) -> Lexicon:
    entities = pipeline(ontology).get_pipe("trialmatch_entities")
    assert isinstance(entities, EntityComponent) and entities.lexicon is not None
    return entities.lexicon


@Language.factory("trialmatch_segment")
def _make_segment(nlp: Language, name: str) -> SegmentComponent:
    return SegmentComponent()


@Language.factory("trialmatch_entities")
def _make_entities(nlp: Language, name: str) -> EntityComponent:
    return EntityComponent()


def make_pipeline(ontology) -> Language:
    """A fresh pipeline whose lexicons come from `ontology`."""
    nlp = spacy.blank("en")
    nlp.tokenizer = Tokenizer(nlp.vocab)
    nlp.add_pipe("trialmatch_segment")
    entities = nlp.add_pipe("trialmatch_entities")
    assert isinstance(entities, EntityComponent)
    entities.lexicon = build_lexicon(ontology)
    return nlp


@lru_cache(maxsize=4)
def _cached(ontology) -> Language:
    return make_pipeline(ontology)


def pipeline(ontology=None) -> Language:
    """The pipeline for `ontology` (default: the embedded ontology), built once."""
    if ontology is None:
        from trialmatch.ontology import default_ontology

        ontology = default_ontology()
    return _cached(ontology)
