"""Evidence words on biomarker leaves (issue 10, point 4).

"Known to have", "documented", "by an FDA-approved test", "in tissue or plasma", "by NGS",
"central laboratory confirmation": how a trial wants a finding shown, not what the finding
is. They are read from the criterion's words (and its list header) with the rules of
data/evidence.yaml and kept on the criterion's biomarker leaves as `evidence` tags, which
every reader shows and no evaluator reads. The BCR-ABL1 isoforms (p190, p210) are kept the
same way, on BCR-ABL1 fusions only.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from pydantic import Field

from trialmatch.nlp.resources import DataFileError, _Model, _read, _unique, _validate
from trialmatch.rules.nodes import EVIDENCE, Alteration, Expression, Fusion, Node, Signature
from trialmatch.rules.rewrite import rewrite

_LEAVES = (Alteration, Fusion, Signature, Expression)
_HINT = re.compile(
    r"(?i)docu|known|previous|confirm|approv|clear|valid|certif|accredit|FDA|CLIA|CAP|"
    r"central|local|tissue|tumou?r\s(?:bio|sam|spe)|archiv|FFPE|plasma|liquid|"
    r"circulat|blood|ctDNA|cfDNA|NGS|sequenc|IHC|immunohisto|FISH|ISH|hybridi|"
    r"PCR|chain|p190|p210|p230|BCR"
)


class EvidenceRule(_Model):
    id: str
    tag: str
    regex: str
    genes: list[str] = []
    examples: list[str] = Field(min_length=1)
    counter_examples: list[str] = []


@lru_cache(maxsize=1)
def evidence_rules() -> list[tuple[EvidenceRule, re.Pattern[str]]]:
    """The rules of data/evidence.yaml, validated and compiled."""
    raw = _read("evidence.yaml") or []
    if not isinstance(raw, list):
        raise DataFileError("evidence.yaml: expected a list of rules")
    items = _unique(
        [_validate(EvidenceRule, r, "evidence.yaml", f"#{i}") for i, r in enumerate(raw)],
        "evidence.yaml",
    )
    out = []
    for rule in items:
        if rule.tag not in EVIDENCE:
            raise DataFileError(f"evidence.yaml: entry {rule.id!r}: unknown tag {rule.tag!r}")
        try:
            out.append((rule, re.compile(rule.regex)))
        except re.error as exc:
            raise DataFileError(f"evidence.yaml: entry {rule.id!r}: {exc}") from None
    return out


@lru_cache(maxsize=1)
def _combined() -> tuple[re.Pattern[str], dict[str, EvidenceRule]]:
    """All rules as one alternation (one scan of the text), each a named group."""
    rules = {f"e{i}": rule for i, (rule, _) in enumerate(evidence_rules())}
    return re.compile("|".join(f"(?P<{k}>{r.regex})" for k, r in rules.items())), rules


@lru_cache(maxsize=2048)  # a list header is read once for all its items
def evidence_in(text: str) -> dict[str, tuple[str, ...]]:
    """tag -> the genes it is kept for (empty: every biomarker leaf), for the tags the text
    states (do not change the returned dict: it is shared)."""
    if not text or not _HINT.search(text):
        return {}
    rx, rules = _combined()
    found: dict[str, tuple[str, ...]] = {}
    m = rx.search(text)
    while m is not None:  # from each match's start + 1: overlapping words are each read
        rule = rules[m.lastgroup or ""]
        found[rule.tag] = tuple(rule.genes)
        m = rx.search(text, m.start() + 1)
    return found


def _has_biomarker(node: Node) -> bool:
    if isinstance(node, _LEAVES):
        return True
    return any(_has_biomarker(c) for c in node.children)


def with_evidence(node: Node, *texts: str) -> Node:
    """`node` with the evidence its criterion's words state on each of its biomarker leaves."""
    if not _has_biomarker(node):
        return node  # most criteria: nothing to read
    found: dict[str, tuple[str, ...]] = {}
    for text in texts:
        found.update(evidence_in(text))
    if not found:
        return node

    def visit(n: Node, _negated: bool, _depth: int) -> Node:
        if not isinstance(n, _LEAVES):
            return n
        genes = {getattr(n, "gene", None), getattr(n, "partner", None)}
        tags = {
            tag
            for tag, only in found.items()
            if not only or (isinstance(n, Fusion) and genes & set(only))
        }
        if not tags or tags <= set(n.evidence):
            return n
        return replace(n, evidence=tuple(tags | set(n.evidence)))

    return rewrite(node, visit)
