"""Context rules: negation, exceptions and the left-hand cue of a gene group.

"no known EGFR mutation", "patients without ALK rearrangement" and "KRAS G12C mutations are
excluded" negate the finding; "other than", "except" carve it out. A cue counts only in the
same clause (no ";" or sentence end between) and within a short distance, like medspaCy's
ConText scopes. Exclusion-section polarity is not decided here but by the tree (assemble.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from trialmatch.nlp.mentions import ByStart, Mention
from trialmatch.nlp.phrases import EXAMPLE_OPENERS, KINDS, Group, after_gene, linker_gap, or_gap

_BREAK = re.compile(r";|\.(?=\s|$)|\n\s*\n")
_PRE_SCOPE = 70
# a negation over alternatives reaches the last of them: "no A OR evidence of a gene that
# codes for a factor (B) translocation" (the gap holds the "or" that joins them)
_PRE_SCOPE_OVER_OR = 140
_OR_IN_GAP = re.compile(r"(?i)\b(?:or|nor)\b")
_SPACES = re.compile(r"\s{2,}")
_POST_SCOPE = 90
_CUE_LEN = 120  # longer than any cue phrase: how far before a span a cue may start


def _clause_ok(text: str, a: int, b: int) -> bool:
    return a <= b and not _BREAK.search(text[a:b])


# A gene's position written between a cue and the gene: "in exon 11 of", "at codon 12 of".
_POSITION = re.compile(r"(?i)\b(?:exons?|codons?)\s{0,2}\d{1,4}(?:\s{0,2}(?:,|/|-|–|or|and|"
                       r"and/or|to|through)\s{0,2}\d{1,4})*\b")


def left_cue(group: Group, cues: ByStart, text: str, floor: int) -> tuple[list[str], str | None]:
    """A cue written before the genes ("mutations in EGFR", "loss of PTEN", "germline BRCA")."""
    values: list[str] = []
    origin = None
    for k in range(cues.first_at(group.start) - 1, -1, -1):
        c = cues.items[k]
        if c.start < floor:
            break
        if c.end > group.start:
            continue
        gap = _POSITION.sub(" ", text[c.end:group.start])  # "mutation in exon 11 of KIT"
        if not linker_gap(gap):
            break
        role = c.data["role"]
        if role == "origin":
            origin = origin or c.data["value"]
        elif role == "alteration" and c.data["value"] not in ("positive", "negative", "low") \
                or (role == "alteration" and re.search(r"(?i)\bfor\b", gap)):
            values.insert(0, c.data["value"])
            if c.data["value"] in KINDS and k > 0:
                other = cues.items[k - 1]  # "a mutation or amplification of KIT"
                if other.data["role"] == "alteration" and other.data["value"] in KINDS \
                        and other.start >= floor and or_gap(text[other.end:c.start]) \
                        and not after_gene(text, other.start):
                    group.left_kinds = [other.data["value"]]
                    group.left_start = other.start  # the unit spans both kinds
            break
        elif role in ("negation", "exception", "linker"):
            continue
        else:
            break
    return values, origin


def origin_near(group: Group, cues: ByStart, text: str) -> str | None:
    """germline / somatic written just before the genes or inside their cue chain."""
    found = set()
    previous = None
    for c in cues.between(group.start - _CUE_LEN - 60, group.end + 30):
        if c.data["role"] != "origin":
            continue
        if group.start - 40 <= c.end <= group.start and _origin_gap(c.end, group.start, cues, text) \
                or group.start <= c.start <= group.end + 30:
            found.add(c.data["value"])
            if previous is not None and _ORIGIN_CONJ.fullmatch(text, previous.end, c.start):
                found.add(previous.data["value"])  # "somatic or germline": either origin
        previous = c
    return found.pop() if len(found) == 1 else None


def _origin_gap(start: int, end: int, cues: ByStart, text: str) -> bool:
    """Whether only linker words and alteration cues separate an origin word from the genes
    ("germline BRCA1", "germline mutation in BRCA2")."""
    parts, pos = [], start
    for c in cues.between(start, end):
        if c.data["role"] == "alteration" and pos <= c.start and c.end <= end:
            parts.append(text[pos:c.start])
            pos = c.end
    parts.append(text[pos:end])
    return linker_gap(" ".join(parts))


_ORIGIN_CONJ = re.compile(r"(?i)\s*(?:,|/|or|and|and/or|and\s+or)\s*")


def negation(start: int, end: int, cues: ByStart, text: str, floor: int,
             ceiling: int, section: str = "inclusion",
             named: Sequence[Mention] = ()) -> tuple[bool, bool]:
    """(negated, excepted) for the span start..end from cues in its clause. In the exclusion
    section "... are excluded" restates the section, so only cues before the finding count.
    `named` are the criterion's mentions: a negation reaches past an "or" only over words
    that name nothing ("no chemotherapy or therapy for metastatic TNBC" is about the
    therapies, not the TNBC); cues name nothing."""
    negated = excepted = False
    for c in cues.between(start - 2 * _PRE_SCOPE_OVER_OR - _CUE_LEN, end + _POST_SCOPE):
        role = c.data["role"]
        if role == "negation" and c.data["value"] == "pre":
            # (the gap counted with each run of spaces as one: a wrapped line's indent is no
            # distance)
            gap = _SPACES.sub(" ", text[c.end:start])
            reach = _PRE_SCOPE_OVER_OR if _OR_IN_GAP.search(gap) and not any(
                x.label != "cue" and c.end <= x.start and x.end <= start
                for x in named) else _PRE_SCOPE
            if floor <= c.start and c.end <= start and len(gap) <= reach \
                    and _clause_ok(text, c.end, start) and not _blocked(text[c.end:start]):
                negated = True
        elif role == "negation" and c.data["value"] == "post" and section != "exclusion":
            if end <= c.start <= end + _POST_SCOPE and c.end <= ceiling \
                    and _clause_ok(text, end, c.start):
                negated = True
        elif role == "exception" and floor <= c.start and c.end <= start \
                and start - c.end <= 40 and _clause_ok(text, c.end, start):
            excepted = True
    return negated, excepted


_EXAMPLES_AFTER_COMMA = re.compile(rf"(?i),\s*{EXAMPLE_OPENERS}")


# A gap that ends with the "or" before the last item of a list, and a few words of it
_LAST_OF_LIST = re.compile(r"(?i),\s*(?:or|nor|and/or)\s+(?:[\w-]+\s+){0,3}\Z")


def _blocked(gap: str) -> bool:
    """Words that end a negation's scope before it reaches the finding (not a comma that
    opens examples of what is negated: "no CNS disease, including primary brain tumours")."""
    gap = _EXAMPLES_AFTER_COMMA.sub(" ", gap)
    if _LAST_OF_LIST.search(gap):
        gap = gap.replace(",", " ")  # "no A, B, or C": the finding is the list's last item
    return "," in gap or ")" in gap or bool(re.search(
        r"(?i)\b(?:but|however|unless|except|who|which|that have|and must|are eligible|"
        # "no relapse after X": the treatment after the word of time is one the patient had
        r"after|following|once|since|"
        r"is eligible|may|with the exception|and\s+(?:has|have|is|are|with|must|who)|"
        # "no prior therapy for metastatic TNBC": the disease a treatment was for
        r"(?:therap(?:y|ies)|treatments?|agents?|drugs?|regimens?)\s+for)\b", gap))
