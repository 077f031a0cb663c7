"""Protein changes: HGVS normalisation, and how a criterion's variant meets a finding.

Both the reference evaluator and the SQL compiler use `expand_alteration` and the
`VariantSpec` modes defined here, so the two implementations share one reading of a
criterion; only the comparison itself is written twice (Python and SQL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from trialmatch.rules.nodes import EVENTS, Alteration

THREE_TO_ONE = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E",
    "Gly": "G", "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F",
    "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*",
    "Sec": "U", "Xaa": "X",
}
_THREE = re.compile("|".join(THREE_TO_ONE))
_EVENT_SPELLINGS = {
    "itd": "ITD", "flt3-itd": "ITD", "exon19del": "exon19del", "ex19del": "exon19del",
    "del19": "exon19del", "exon20ins": "exon20ins", "ex20ins": "exon20ins",
    "exon14skip": "exon14skip", "ex14skip": "exon14skip", "metex14": "exon14skip",
    "exon14skipping": "exon14skip", "internaltandemduplication": "ITD",
    "flt3internaltandemduplication": "ITD",
}
_EXON_EVENT = re.compile(r"exon(\d+)(del|ins|skip)\Z")
# an exon event spelled out, spaces, hyphens and underscores removed: "exon19deletion"
_SPELLED_EVENT = re.compile(r"(?:exon|ex)(\d+)(del|ins|skip)(?:etions?|ertions?|ping|s)?"
                            r"(?:mutations?)?\Z")
# One-letter forms after normalisation.
_SIMPLE = re.compile(r"([A-Z*])(\d+)([A-Z*]|fs|del|dup|ins[A-Z*]*|delins[A-Z*]*|=)?\Z")
_RANGE = re.compile(r"([A-Z*])(\d+)_([A-Z*])(\d+)(del|dup|ins[A-Z*]*|delins[A-Z*]*)\Z")
_WILDCARD = re.compile(r"([A-Z])(\d+)X\Z")


def normalize_protein(text: str | None) -> str | None:
    """One-letter protein change without `p.`: p.Leu858Arg -> L858R, p.Ser1982fs*22 -> S1982fs.

    Returns None for empty input; raises ValueError for text that is not a protein change.
    """
    if text is None:
        return None
    s = str(text).strip()
    if not s:
        return None
    event = _EVENT_SPELLINGS.get(s.lower().replace(" ", "").replace("_", ""))
    if event:
        return event
    m = _SPELLED_EVENT.match(re.sub(r"[\s_-]", "", s.lower()))
    if m:  # "exon 19 deletion", "Exon-20 insertion", "exon 14 skipping", "ex19del"
        return f"exon{m.group(1)}{m.group(2)}"
    if s.startswith("p."):
        s = s[2:]
    s = s.strip("()")
    s = _THREE.sub(lambda m: THREE_TO_ONE[m.group(0)], s)
    s = re.sub(r"fs.*\Z", "fs", s)          # S1982fs*22, S1982Rfs*22 -> S1982fs
    s = re.sub(r"^([A-Z])(\d+)[A-Z]fs\Z", r"\1\2fs", s)
    s = re.sub(r"ext.*\Z", "", s) if "ext" in s else s
    if _SIMPLE.match(s) or _RANGE.match(s) or _WILDCARD.match(s):
        return s
    raise ValueError("not a protein change")


# Patient-side notations that name a real change without a protein position: splice sites
# (vcf2maf writes p.X755_splice), consequence keywords, nucleotide-level HGVS (c., g., n.,
# m., r.), unknown effects (p.?, p.0, start loss p.M1?), promoter changes (TERT).
_SPLICE = re.compile(r"(?:[A-Z*]\d+_)?splice(?:[_ ]?(?:site|region|donor|acceptor))?"
                     r"(?:[_ ]?variant)?\Z", re.I)
_NUCLEOTIDE = re.compile(r"[cgnmr]\.\S", re.I)
_UNKNOWN_EFFECT = re.compile(r"(?:[A-Z]\d+)?\?|0\??|=|\?", re.I)
_CONSEQUENCES = {"start_lost", "stop_lost", "start_loss", "stop_loss", "nonstop",
                 "nonstop_mutation", "translation_start_site", "unknown", "promoter"}


def read_patient_protein(text: str | None) -> tuple[str | None, bool]:
    """A patient's protein change as written in real cohort files: (protein, readable).

    A one-letter change when there is one (`normalize_protein`); None with readable True for
    a notation that names a change of the gene without a protein position (splice sites,
    consequence keywords, `c.` changes, `p.?`, start loss `p.M1?`); None with readable
    False for text that is no notation at all (the caller keeps the alteration at gene
    level and warns). Never raises.
    """
    try:
        return normalize_protein(text), True
    except ValueError:
        pass
    s = str(text).strip()
    if _NUCLEOTIDE.match(s):
        return None, True
    s = s.removeprefix("p.").strip().strip("()").strip()
    if _SPLICE.match(s) or s.lower().replace(" ", "_") in _CONSEQUENCES:
        return None, True
    s = _THREE.sub(lambda m: THREE_TO_ONE[m.group(0)], s)
    return None, bool(_UNKNOWN_EFFECT.fullmatch(s))


def codon_of(protein: str | None) -> str | None:
    """The reference residue and position (V600E -> V600; E746_A750del -> E746).

    None for a synonymous change (P123=): it leaves the residue as it is."""
    if not protein or protein.endswith("="):
        return None
    m = re.match(r"([A-Z*])(\d+)", protein)
    return m.group(0) if m else None


def may_be_event(protein: str, event: str, exon: int | None) -> bool:
    """Whether a change the profile gives no event for may still be `event`: an in-frame
    deletion in an exon not stated may be an exon 19 deletion, an insertion or duplication
    an exon 20 insertion or (in any exon) an internal tandem duplication. The SQL matcher
    reads the same (`match.sql`)."""
    deletion = "del" in protein
    insertion = not deletion and ("ins" in protein or "dup" in protein)
    if event == "ITD":
        return insertion
    if exon is not None:
        return False
    return deletion if event.endswith("del") else insertion if event.endswith("ins") else False


def position_of(protein: str | None) -> int | None:
    """The first protein position a change names (E746_A750del -> 746), None for none."""
    codon = codon_of(protein)
    return int(codon[1:]) if codon else None


def change_kind(protein: str | None) -> str | None:
    if not protein:
        return None
    if protein in EVENTS or _EXON_EVENT.match(protein):
        return "event"
    for kind in ("delins", "del", "ins", "dup", "fs"):
        if kind in protein:
            return kind
    return "substitution"


def event_of(protein: str | None, exon: int | None) -> str | None:
    """The exon-level event a finding amounts to (in-frame deletion in exon 19 -> exon19del)."""
    if protein and (protein in EVENTS or _EXON_EVENT.match(protein)):
        return protein
    kind = change_kind(protein)
    if exon is None or kind is None:
        return None
    if kind in ("del", "delins"):
        return f"exon{exon}del"
    if kind in ("ins", "dup"):
        return f"exon{exon}ins"
    return None


def exon_of_event(event: str | None) -> int | None:
    m = _EXON_EVENT.match(event or "")
    return int(m.group(1)) if m else None


def variant_mode(variant: str) -> str:
    """How a criterion's variant is compared: exact, codon, event (or a group name)."""
    if variant in EVENTS or _EXON_EVENT.match(variant):
        return "event"
    if _WILDCARD.match(variant):
        return "codon"
    if re.fullmatch(r"[A-Z]\d+", variant):
        return "codon"
    if _SIMPLE.match(variant) or _RANGE.match(variant):
        return "exact"
    return "group"


@dataclass(frozen=True, slots=True)
class VariantSpec:
    """One concrete reading of an alteration criterion for one gene.

    mode: None (any change of that kind), 'exact', 'codon', 'event', 'exon', or 'none'
    (a named group this gene does not have: no finding meets it).
    """

    gene: str
    alteration: str
    mode: str | None
    value: str | None
    exon: int | None
    origin: str | None


class Vocabulary(Protocol):
    """What the rule readers need from the ontology (implemented by trialmatch.ontology)."""

    def gene_members(self, gene: str) -> tuple[str, ...]: ...

    def variant_group(self, gene: str, group: str) -> tuple[str, ...] | None: ...

    def cancer_relation(self, trial_code: str, patient_code: str) -> int: ...

    def drug_concepts(self, drug: str) -> frozenset[str]: ...


def expand_alteration(leaf: Alteration, vocab: Vocabulary) -> list[VariantSpec]:
    """The concrete specs a criterion stands for: families to genes, groups to variants."""
    specs: list[VariantSpec] = []
    for gene in vocab.gene_members(leaf.gene):
        variants: tuple[str | None, ...] = (leaf.variant,)
        if leaf.variant and variant_mode(leaf.variant) == "group":
            variants = vocab.variant_group(gene, leaf.variant) or ()
        if not variants:  # a named group this gene does not have: never matched
            specs.append(VariantSpec(gene, leaf.alteration, "none", None, None, leaf.origin))
        for v in variants:
            mode: str | None
            value: str | None
            if v is None:
                mode, value = ("exon", None) if leaf.exon is not None else (None, None)
            else:
                mode, value = variant_mode(v), v
                if mode == "codon":
                    value = codon_of(v)
            specs.append(VariantSpec(gene, leaf.alteration, mode, value, leaf.exon, leaf.origin))
    return specs
