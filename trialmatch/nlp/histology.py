"""Histology named without a cancer type, read against the types the cohort requires.

An item that names only a histology ("squamous cell histology", "tumours with a
predominant sarcomatoid component", "patients with squamous cell carcinoma") says nothing on
its own: it narrows the cancer the cohort studies. In a lung cancer trial "squamous" is
squamous NSCLC, in an oesophageal one oesophageal squamous carcinoma. A carcinoma named so
("squamous cell carcinoma") counts only ruled out: required, it may be one of a list of
histologies whose other items were not read. The subtype comes from the ontology's own names
(`Lexicon.subtypes`: (cancer type, word) -> subtype); an item whose word names no subtype of
a required type stays for manual review. Under an exclusion heading the item is a `not`
like any other, so the subtype becomes an excluded diagnosis.
"""

from __future__ import annotations

import re

from trialmatch.nlp.population import required_codes
from trialmatch.rules.nodes import AnyOf, Diagnosis, Node, Unparsed
from trialmatch.rules.rewrite import rewrite

# The whole item: who has it (optional), the histology word (or a list of them: "mucinous
# or clear cell histology"), a histology noun, and at most a closing "is excluded" / "is not
# allowed".
_LETTERS = r"[a-z]{4,20}"  # one histology word ("and"/"or" are too short to be one)
_WORD = rf"{_LETTERS}(?:[- ]cells?)?"
_ITEM = re.compile(
    r"(?i)\W{0,3}(?:(?:patients|subjects|participants)\s+with\s+(?:an?\s+)?|has\s+(?:an?\s+)?"
    r"|known\s+)?(?:(?:tumou?rs?|cancers?|carcinomas?|disease)\s+(?:of|with)\s+(?:an?\s+)?)?"
    rf"(?:(?:predominant(?:ly)?|mainly|mostly|pure)\s+)?(?P<words>{_WORD}(?:\s*(?:,\s*(?:or|and)?"
    rf"|/|\bor\b|\band\b|\band/or\b)\s*{_WORD}){{0,5}})\s+"
    r"(?:histology|histologies|histologic(?:al)?\s+(?:sub)?types?|components?|morphology|"
    r"(?P<named>carcinomas?))"
    r"(?:\s+(?:is|are)\s+(?:excluded|not\s+(?:allowed|eligible|permitted)))?\W{0,3}")
_ONE_WORD = re.compile(rf"(?i)({_LETTERS})(?:[- ]cells?)?")


def histology_items(rule: Node, subtypes: dict[tuple[str, str], str]) -> Node:
    """`rule` with every item that names only a histology read as the subtype(s) of the
    cancer types the rule requires that the histology word names."""
    required = required_codes(rule)
    if not required:
        return rule

    def visit(node: Node, negated: bool, _depth: int) -> Node:
        if not isinstance(node, Unparsed) or node.reason is not None or len(node.text) > 120:
            return node
        m = _ITEM.fullmatch(node.text.strip())
        if m is None or (m.group("named") and not negated):
            # ("squamous cell carcinoma" required may be one item of a list of histologies,
            # whose other items were not read: ruled out it is the cohort's subtype)
            return node
        words = [w.lower() for w in _ONE_WORD.findall(m.group("words"))]
        each = [{subtypes[(code, w)] for code in required if (code, w) in subtypes}
                for w in words]
        # (every word a subtype when required, or a histology the list allows would be
        # missing; ruled out, the words read are each ruled out)
        if not any(each) or (not negated and not all(each)):
            return node
        found = sorted(set().union(*each))
        leaves = tuple(Diagnosis(code, prov=node.prov) for code in found)
        return leaves[0] if len(leaves) == 1 else AnyOf(leaves, prov=node.prov)

    return rewrite(rule, visit)
