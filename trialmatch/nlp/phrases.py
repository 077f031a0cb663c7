"""Gene phrases and gene groups: the grammar that ties variants and cue words to genes.

A *phrase* is one gene mention with what is written right after it (variants, exon events,
HER2 IHC scores, a fusion partner). A *group* is a list of phrases joined by commas, "and",
"or" or "/" ("KRAS, NRAS or BRAF"), that shares one cue word ("... mutations") unless a phrase
carries its own ("ER+ and HER2-"). Gaps between mentions decide: a gap may hold only filler
words (gene, known, activating...) for a cue to attach, only conjunctions for a list.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache

from trialmatch.nlp.mentions import ByStart, Mention
from trialmatch.nlp.resources import cues, gene_data

_PARENS = re.compile(r"\([^()]{0,80}\)")
_WORD = re.compile(r"[A-Za-z0-9/'.]+")
_TIGHT = re.compile(r"[\s\-–:(/]{0,4}(?:p\.\s?)?(?:\(?\s?(?:exon|ex)\s?\d{1,2}\)?[\s\-:]{0,3})?\Z",
                    re.IGNORECASE)
_CONJ = re.compile(r"\s*(?:[,、，；]\s*)?(?:(?:and\s*/\s*or|and|or|nor|&|as well as|plus|/|或者|以及|或|和|及)\s*)?\Z",
                   re.IGNORECASE)
_BREAK = re.compile(r";|\.(?=\s|$)|\n\s*\n|:\s")
_NAMED = re.compile(r",\s{0,3}(?:(?:and|or)\s{1,3})?[a-z][a-z\s/\-]{0,60}\(\s{0,2}\Z")
_OPEN = re.compile(r"\s*[(\[]\s{0,2}")
_SPACES = re.compile(r"\s+")
_CLOSE = re.compile(r"\s{0,2}[)\]]")
_LIST_INTRO = re.compile(r"(?i)(?:genes?|following|such\s+as|including|include|includes|e\.g\.|"
                         r"panel)\s{0,3}(?:\([^()]{0,40}\)\s{0,3})?[:,]?\s{0,3}\Z")


@lru_cache(maxsize=1)
def _words() -> tuple[frozenset[str], frozenset[str]]:
    """Filler words (gene ... cue) and linker words (cue ... gene), lower-cased."""
    entries, fillers = cues()
    filler = {w.lower() for f in fillers for w in _WORD.findall(f)}
    linker = {w.lower() for c in entries if c.role == "linker" for p in c.phrases
              for w in _WORD.findall(p)}
    origin = {w.lower() for c in entries if c.role == "origin" for p in c.phrases
              for w in _WORD.findall(p)}
    return frozenset(filler | origin), frozenset(linker | filler | origin)


def only_words(gap: str, allowed: frozenset[str], punct: str = " \t\n-–:/()") -> bool:
    """Whether a gap holds nothing but allowed words and punctuation."""
    gap = _PARENS.sub(" ", gap)
    rest = _WORD.sub(lambda m: "" if m.group(0).lower().rstrip(".") in allowed
                     or m.group(0).lower() in allowed else "\x00", gap)
    return all(c in punct for c in rest)


@lru_cache(maxsize=8192)
def filler_gap(gap: str) -> bool:
    return len(gap) <= 60 and only_words(gap, _words()[0])


@lru_cache(maxsize=8192)
def linker_gap(gap: str) -> bool:
    if len(gap) <= 150 and _LIST_INTRO.search(gap) and not re.search(r";|\.\s", gap):
        return True  # "alterations in one of the following DNA repair genes: ..."
    return len(gap) <= 70 and only_words(gap, _words()[1], " \t\n-–:/(),")


def list_intro(gap: str) -> bool:
    return bool(_LIST_INTRO.search(gap[-60:]))


@lru_cache(maxsize=8192)
def conj_gap(gap: str) -> str | None:
    """'or', 'and' or 'list' when a gap joins two list items; None otherwise."""
    if len(gap) > 80:
        return None
    g = _PARENS.sub(" ", gap)
    g = _NAMED.sub(" ", g)  # ", serine/threonine-protein kinase (" before "(BRAF)"
    g = re.sub(r"(?i)\b(?:genes?|the)\b|[()\[\]]", " ", g)
    g = re.sub(r"^[-–](?=\s?(?:,|(?i:and|or)\b))", " ", g)  # a suspended hyphen: "EGFR-, ALK-"
    if not _CONJ.fullmatch(g) or _BREAK.search(g):
        return None
    low = g.lower()
    if re.search(r"\bor\b|/", low):
        return "or"
    if re.search(r"\band\b|&|plus|as well as", low):
        return "and"
    return "list"


@lru_cache(maxsize=8192)
def tight(gap: str) -> bool:
    return len(gap) <= 16 and bool(_TIGHT.match(gap))


@dataclass(slots=True)
class Phrase:
    gene: Mention
    genes: tuple[str, ...]
    start: int
    end: int
    origin: str | None = None
    partner: str | None = None
    variants: list[str] = field(default_factory=list)
    exon: int | None = None
    more_exons: list[int] = field(default_factory=list)  # "KIT exon 11 or exon 9": alternatives
    excepted: list[str] = field(default_factory=list)
    ihc: list[int] = field(default_factory=list)
    ihc_greater: bool = False
    measure: Mention | None = None
    cue: list[str] = field(default_factory=list)  # own cue chain (values)
    cue_end: int | None = None
    compound: bool = False  # "G719A+L861Q": the variants together, in one tumour
    examples: bool = False  # "EGFR mutation (such as L858R)": the variants only illustrate it
    apart: bool = False  # "... and T790M-negative": its own finding, not a list member
    alt_kinds: list[str] = field(default_factory=list)  # "X mutation or amplification"


@dataclass(slots=True)
class Group:
    phrases: list[Phrase]
    conj: str = "list"
    kinds: list[str] = field(default_factory=list)
    origin: str | None = None
    inherited: bool = False
    negated: bool = False
    excepted: bool = False
    left_kinds: list[str] = field(default_factory=list)  # "a mutation or amplification of X"
    left_start: int | None = None  # where those alternative kinds start

    @property
    def start(self) -> int:
        return self.phrases[0].start

    @property
    def end(self) -> int:
        last = self.phrases[-1]
        return last.cue_end or last.end


def codon_variant(genes: tuple[str, ...], ref: str | None, pos: str) -> str | None:
    """"KRAS codon 12" -> G12 (reference residue from data/genes.yaml codons)."""
    if ref:
        return f"{ref}{pos}"
    table = gene_data().codons
    for g in genes:
        if pos in table.get(g, {}):
            return f"{table[g][pos]}{pos}"
    return None


def build_phrases(ms: list[Mention], text: str) -> tuple[list[Phrase], list[Mention]]:
    """Phrases from the mentions of one criterion, and the variants no gene claimed."""
    phrases: list[Phrase] = []
    orphans: list[Mention] = []
    last_attached: Phrase | None = None
    last_end = -1
    excepting = False  # the last mention attached was an excepted variant
    repeated = False  # the gene of the last phrase was named again in its exception list
    for m in ms:
        if m.label == "gene":
            if _alias_repeat(phrases, m, text) or _status_restated(phrases, m, text):
                continue
            if _named_in_exception(last_attached, m, text, last_end, excepting):
                last_end, excepting, repeated = m.end, True, True
                m.used = True
                continue
            repeated = False
            p = _fusion_pair(phrases, m, text)
            if p is None:
                p = Phrase(m, tuple(m.data["genes"]), m.start, m.end, m.data.get("origin"))
                if orphans and tight(text[orphans[-1].end:m.start]) and not orphans[-1].used:
                    _attach(p, orphans.pop(), text)  # "G12C KRAS"
                elif orphans and not orphans[-1].used and not orphans[-1].data.get("variants") \
                        and orphans[-1].label in ("exon", "codon") \
                        and _OF_GENE.fullmatch(text, orphans[-1].end, m.start):
                    # "a mutation in exon 11 of KIT", "codon 12 or 13 of KRAS": the position
                    # is the gene's; the phrase stays the gene, so the cue before is read
                    _attach(p, orphans.pop(), text, widen=False)
                phrases.append(p)
            last_attached, last_end, excepting = p, p.end, False
            continue
        if m.label not in ("variant", "codon", "exon", "event", "her2_ihc", "measure"):
            continue
        target = None
        if m.label == "exon" and not m.data.get("variants") and last_attached is not None \
                and last_attached.exon is not None and not last_attached.variants \
                and _EXON_LIST_GAP.fullmatch(text, last_end, m.start):
            # "KIT exon 11 or exon 9 mutation": another exon of the same phrase
            last_attached.more_exons.append(m.data["exon"])
            last_attached.end = last_end = m.end
            m.used = True
            continue
        if last_attached is not None and (m.label == "exon" and not m.data.get("variants")
                                          or m.label == "codon") \
                and last_attached.exon is None and not last_attached.variants \
                and _GENERIC_THEN_EXON.fullmatch(text, last_end, m.start):
            # "a KIT mutation in exon 11", "a KRAS mutation at codon 12 or 13": the position
            # is the phrase's, the generic word between stays the cue read after the gene
            _attach(last_attached, m, text, widen=False)
            continue
        if last_attached is not None and m.label == "variant" \
                and (last_attached.variants or last_attached.excepted) \
                and _OWN_NEGATIVE.match(text, m.end) \
                and conj_gap(text[last_end:m.start]) and not tight(text[last_end:m.start]):
            # "an EGFR exon 19 deletion and T790M-negative": a finding of its own, same gene
            p = Phrase(m, last_attached.genes, m.start, m.end, variants=list(m.data["variants"]),
                       apart=True)
            m.used = True
            phrases.append(p)
            last_attached, last_end, excepting = p, p.end, False
            continue
        if last_attached is not None:
            gap = text[last_end:m.start]
            carved = m.label in ("variant", "codon") or (
                m.label in ("exon", "event") and bool(m.data.get("variants")))
            if excepting and carved and _next_exception(gap, repeated) \
                    and not _OWN_NEGATIVE.match(text, m.end):
                # "other than exon 19 deletion or L858R": every variant of the list is excepted
                target = last_attached
                m.excepted = True
            elif tight(gap) or (last_attached.variants and conj_gap(gap)) or (
                    m.label in ("her2_ihc", "measure") and _DEFINING.fullmatch(gap)):
                target = last_attached
            elif _except_gap(gap) and carved:
                target = last_attached
                m.excepted = True
        if target is not None and _attach(target, m, text):
            last_end = m.end
            excepting = m.excepted
        elif m.label in ("variant", "exon", "event", "codon") or (
                m.label == "her2_ihc" and m.data.get("before_gene")):
            orphans.append(m)  # ("3+ staining for HER2": a score written before its gene)
    return phrases, orphans


# Between a gene's position written first and the gene: "exon 11 of KIT", "codon 12 in KRAS".
_OF_GENE = re.compile(r"(?i)\s{1,3}(?:of|in|within)\s{1,3}(?:the\s{1,3})?")
# Between a gene and its exon with a generic change word: "KIT mutation in exon 11".
_GENERIC_THEN_EXON = re.compile(
    r"(?i)[\s-]{1,3}(?:(?:activating|somatic|germline|sensiti[sz]ing|oncogenic|point|"
    r"pathogenic)\s{1,3})?(?:mutations?|alterations?|variants?|changes?)\s{1,3}"
    r"(?:in|of|within|on|at|affecting|involving)\s{1,3}(?:the\s{1,3})?")

_EXON_LIST_GAP = re.compile(r"(?i)\s*(?:,\s*(?:(?:and/or|or|and)\s+)?|(?:and/or|or|and)\s+|/\s*)")


# Between a marker and the measurement that defines it: "HER2 overexpression (IHC 3+)",
# "PD-L1 expression, i.e. TPS >= 1%" (a stated status keeps its own meaning).
_DEFINING = re.compile(r"(?i)[\s-]*(?:over-?expression|overexpressed|expression|expressing|"
                       r"status|score)?[\s,]*[(\[]?\s*(?:i\.\s?e\.,?|"
                       r"defined\s+as|by|as)?\s*")


# "estrogen receptor positive (ER+)": a status, then the same marker and status in short
_STATUS_OPEN = re.compile(r"(?i)[\s-]{0,2}(positive|negative|\+|-)\s{0,2}\(\s{0,2}")
_STATUS_CLOSE = re.compile(r"(?i)\s{0,2}(positive|negative|\+|-)?\s{0,2}\)")


def _status_restated(phrases: list[Phrase], m: Mention, text: str) -> bool:
    """The marker of the last phrase said again in brackets with the same status right after
    its own ("ER positive (ER+)"): no second finding (it would read as an alternative)."""
    if not phrases or phrases[-1].variants or set(m.data["genes"]) != set(phrases[-1].genes):
        return False
    opening = _STATUS_OPEN.fullmatch(text, phrases[-1].end, m.start)
    close = _STATUS_CLOSE.match(text, m.end, m.end + 12) if opening else None
    if opening is None or close is None or close.group(1) is None:
        return False
    sign = {"positive": "+", "negative": "-"}
    return sign.get(opening.group(1).lower(), opening.group(1)) == \
        sign.get(close.group(1).lower(), close.group(1))


def _alias_repeat(phrases: list[Phrase], m: Mention, text: str) -> bool:
    """"PTPN11 (SHP2)", "NBN (NBS1)": the same gene again in brackets extends the phrase."""
    if not phrases or phrases[-1].variants:
        return False
    p = phrases[-1]
    # (a wrapped line's break and indent count as one space)
    if len(_SPACES.sub(" ", text[p.end:m.start])) > 6 or not _OPEN.fullmatch(text, p.end,
                                                                              m.start):
        return False
    close = _CLOSE.match(text, m.end, m.end + 3)
    if not close:
        return False
    if set(m.data["genes"]) != set(p.genes):
        return False
    p.end = close.end()
    return True


def _next_exception(gap: str, repeated: bool) -> bool:
    """Whether a variant after an excepted one is excepted too: joined to it ("other than
    exon 19 deletion or L858R"), or right after the gene named again ("FLT3-TKD/D835")."""
    if repeated and (tight(gap) or len(gap) <= 6 and " " not in gap.strip(" -/")):
        return True
    return bool(conj_gap(gap)) and not tight(gap)


def _named_in_exception(last: Phrase | None, m: Mention, text: str, last_end: int,
                        excepting: bool) -> bool:
    """"a FLT3 mutation other than the following: FLT3-ITD, FLT3-TKD": the gene named again
    with each excepted variant is the same phrase's exception, not a phrase of its own."""
    return last is not None and set(m.data["genes"]) == set(last.genes) and not last.variants \
        and (excepting and bool(conj_gap(text[last_end:m.start]))
             or _EXCEPT_LIST.fullmatch(text, last_end, m.start) is not None)


# "... other than the following:", "..., except:" before an exception list
_EXCEPT_WORDS = r"except(?:\s+for)?|other\s+than|excluding|but\s+not"
_EXCEPT_LIST = re.compile(r"(?i)[\s,(-]*(?:(?:mutations?|alterations?|variants?|changes?)[\s,]+)?"
                          rf"(?:{_EXCEPT_WORDS})"
                          r"(?:\s+(?:the\s+)?following)?\s*[:,]?\s*")


def _except_gap(gap: str) -> bool:
    return len(gap) <= 24 and bool(re.search(rf"(?i)\b(?:{_EXCEPT_WORDS})\b", gap))


@lru_cache(maxsize=1)
def _fusion_genes() -> frozenset[str]:
    """Genes that end a written pair ("X-Y"): the fusion drivers and both genes of every
    recurrent rearrangement."""
    data = gene_data()
    return frozenset(data.fusion_drivers).union(*data.rearrangements.values())


def _fusion_pair(phrases: list[Phrase], m: Mention, text: str) -> Phrase | None:
    """"EML4-ALK", "BCR-ABL1": the second gene is the driver, the first its partner."""
    if not phrases:
        return None
    prev = phrases[-1]
    gap = text[prev.end:m.start]
    drivers = _fusion_genes()
    if gap.strip() not in ("-", "::", "–", ":") or len(gap) > 3 or prev.variants:
        return None
    if not (set(m.data["genes"]) & drivers) or len(prev.genes) != 1:
        return None
    prev.partner, prev.genes = prev.genes[0], tuple(m.data["genes"])
    prev.end = m.end
    return prev


def _attach(p: Phrase, m: Mention, text: str, widen: bool = True) -> bool:
    """Attach what follows a gene to its phrase; False if it does not fit there. With
    `widen=False` the phrase keeps its span (the mention is apart from the gene's words)."""
    if m.label == "measure":
        if "CD274" in p.genes or "ERBB2" in p.genes:
            p.measure, p.end = m, m.end
            m.used = True
            return True
        return False
    if m.label == "her2_ihc":
        if "ERBB2" not in p.genes:
            return False
        p.ihc.extend(m.data["values"])
        p.ihc_greater = p.ihc_greater or m.data["greater"]
    elif m.label == "codon":
        for pos in m.data["positions"]:
            v = codon_variant(p.genes, m.data.get("ref"), pos)
            if v:
                (p.excepted if m.excepted else p.variants).append(v)
    else:
        p.compound = p.compound or bool(m.data.get("compound"))
        (p.excepted if m.excepted else p.variants).extend(m.data.get("variants", []))
        if m.data.get("exon") is not None and not m.excepted and not m.data.get("variants"):
            p.exon = m.data["exon"]  # "exon 21 L858R"; events carry their own exon
            p.more_exons.extend(m.data.get("more_exons", ()))  # "exons 9 or 11"
    if not m.excepted and widen:  # "G12C KRAS": a variant written first widens the phrase
        p.start, p.end = min(p.start, m.start), max(p.end, m.end)
    m.used = True
    return True


# Words that open the examples of what a clause names, as a regex source (", including X",
# "; such as Y"): one list for the readers that let examples share their head's scope
EXAMPLE_OPENERS = (r"(?:including|such\s+as|e\.\s?g\.|for\s+example|i\.\s?e\.|namely|"
                   r"in\s+particular|especially|particularly)(?![\w.-])")

# Words that open examples of a finding: "such as", "e.g.", "including (but not limited to)".
_EXAMPLE_CUE = re.compile(r"(?i)\b(?:such\s+as|e\.\s?g\.?|for\s+(?:example|instance)|"
                          r"including|not\s+limited\s+to)[\s,:;]*\(?\s*$")


def implied_phrases(orphans: list[Mention]) -> list[Phrase]:
    """Changes written without any gene in their criterion that name their gene by themselves
    ("T790M-positive", data/genes.yaml `implied`): a phrase of that gene each."""
    implied = gene_data().implied
    out = []
    for m in orphans:
        variants = m.data.get("variants") or []
        if m.used or m.label != "variant" or len(variants) != 1 or variants[0] not in implied:
            continue
        out.append(Phrase(m, (implied[variants[0]],), m.start, m.end, variants=list(variants)))
        m.used = True
    return out


# A status written right after a variant: "T790M-negative", "V600E (+)", "C797S not detected".
_OWN_STATUS = re.compile(r"(?i)[\s-]{0,2}(?:negative|positive|neg\b|pos\b|\(\s?[+-]\s?\)|"
                         r"not\s+detected|absent|present)")
_OWN_NEGATIVE = re.compile(r"(?i)[\s-]{0,2}(?:negative|neg\b|\(\s?-\s?\)|not\s+detected|absent)")


def attach_orphans(phrases: list[Phrase], orphans: list[Mention], text: str = "") -> None:
    """Variants written apart from their gene ("EGFR mutations such as ... L858R") go to the
    nearest gene before them (or after, when none comes before). Variants that an example
    cue opens only illustrate the gene's finding (`Phrase.examples`)."""
    targets = [p for p in phrases if not p.partner]
    if not targets:
        return
    starts = [p.start for p in targets]
    for m in orphans:
        if m.used or m.label == "codon":  # a bare codon names no change without its gene
            continue
        i = bisect_left(starts, m.start)  # targets[:i] start before the variant
        target = targets[i - 1] if i > 0 else targets[0] if starts[0] > m.start else None
        if target is not None and m.label == "variant" and target.end < m.start \
                and not m.excepted and _OWN_STATUS.match(text, m.end):
            # "an EGFR mutation and T790M-negative": the variant states its own status, a
            # finding of its own on the same gene, not a narrowing of the gene's finding
            phrases.append(Phrase(m, target.genes, m.start, m.end,
                                  variants=list(m.data["variants"])))
            phrases.sort(key=lambda p: p.start)
            m.used = True
            continue
        if target is not None and (m.label != "exon" or m.data.get("variants")):
            if not target.variants and target.start < m.start and not m.excepted:
                target.examples = bool(_EXAMPLE_CUE.search(text[target.end:m.start][-60:]))
            target.compound = target.compound or bool(m.data.get("compound"))
            (target.excepted if m.excepted else target.variants).extend(m.data["variants"])
            m.used = True


# Kinds of finding that can be alternatives of one gene ("mutation or amplification of KIT").
KINDS = frozenset({"mutation", "amplification", "deletion", "fusion", "overexpression",
                   "expression"})
_OR_GAP = re.compile(r"(?i)\s*,?\s*(?:and/or|or)\s+(?:an?\s+|the\s+)?")


# A cue followed by "of"/"in": it names the next gene's finding ("... and/or loss of p16").
_LINKER_AFTER = re.compile(r"(?i)\s+(?:of|in|within|involving|affecting)\b")
# A cue right after a gene's name: that gene's own finding ("CCND1 amplification and/or ...").
_GENE_BEFORE = re.compile(r"(?:[A-Z][A-Za-z0-9]*[A-Z0-9]|[A-Z]{2,})[\s-]*\Z")


def after_gene(text: str, start: int) -> bool:
    return bool(_GENE_BEFORE.search(text, max(0, start - 20), start))


def or_gap(gap: str) -> bool:
    return bool(_OR_GAP.fullmatch(gap))


def cue_chain(start: int, cues: ByStart, text: str,
              limit: int) -> tuple[list[str], int | None, Mention | None, list[str]]:
    """The alteration cues right after `start` (with filler gaps), their end, the first
    non-alteration cue met (therapy, nonbio) if it comes first, and the kinds written as
    alternatives of the first ("KIT mutation or amplification")."""
    values: list[str] = []
    alternatives: list[str] = []
    end = None
    pos = start
    after_alternative = False
    for k in range(cues.first_at(start), len(cues.items)):
        c = cues.items[k]
        if c.start < pos:
            continue
        if c.start > limit:
            break
        gap = text[pos:c.start]
        role = c.data["role"]
        if values and not after_alternative and values[-1] in KINDS and role == "alteration" \
                and c.data["value"] in KINDS and _OR_GAP.fullmatch(gap) \
                and not _LINKER_AFTER.match(text, c.end):
            alternatives.append(c.data["value"])  # "KIT mutation or amplification"
            end = pos = c.end
            after_alternative = True
            continue
        if not (filler_gap(gap) or (values and tight(gap))):
            break
        if role == "alteration":
            values.append(c.data["value"])
            end = pos = c.end
            after_alternative = False
        elif role in ("therapy", "nonbio") and c.data.get("value") != "before":
            return values, end, c, alternatives
        elif role == "origin":
            pos = c.end
        elif role == "linker" and filler_gap(text[c.start:c.end]):
            continue  # "ROS1 gene fusion positive": "gene" is a filler word before the cue
        else:
            break
    return values, end, None, alternatives


def build_groups(phrases: list[Phrase], cues: ByStart, text: str, limit: int) -> list[Group]:
    """Join phrases into groups and give each its own cue chain (see the module docstring)."""
    groups: list[Group] = []
    for p in phrases:
        values, end, stopper, alternatives = cue_chain(p.end, cues, text, limit)
        if stopper is not None:
            p.cue, p.cue_end = ["__" + stopper.data["role"]], stopper.end
        elif values:
            p.cue, p.cue_end, p.alt_kinds = values, end, alternatives
        prev = groups[-1] if groups else None
        joined = None
        if prev is not None and not prev.phrases[-1].cue and not p.apart:
            joined = conj_gap(text[prev.phrases[-1].end:p.start])
        if joined and prev is not None:
            prev.phrases.append(p)
            if prev.conj == "list" or joined == "or":
                prev.conj = joined
        else:
            groups.append(Group([p]))
    for g in groups:
        _share_events(g)
    return groups


def _share_events(g: Group) -> None:
    """"EGFR/HER2 exon 20 insertion": an exon event written once applies to the whole list."""
    last = g.phrases[-1]
    events = [v for v in last.variants if v.startswith("exon") or v == "ITD"]
    if not events or len(events) != len(last.variants):
        return
    for p in g.phrases[:-1]:
        if not p.variants and not p.partner:
            p.variants, p.exon = list(events), last.exon
