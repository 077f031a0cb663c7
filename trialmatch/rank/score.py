"""The ranking score: a weighted sum of named factors, each with the reason it got its value.

    specificity  how specific the best matched biomarker criterion is
                 (exact protein change > codon > exon event > exon > named group > gene
                 > gene family)
    cancer_type  how close the trial's cancer type is to the patient's
                 (same node > ancestor by distance > tissue > solid / haematologic > any)
    completeness fewer unknown criteria is better
    recruitment  recruiting first
    phase        later phases slightly first

Every part names the criterion it came from (the trial's words) and the ontology path
that connected it to the patient (`via`), so the score decomposes into checkable reasons.
Sorting is by status (eligible, possible, ineligible), then score, then trial id and cohort,
so the order is total and does not depend on the order trials were loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trialmatch.ontology import Ontology
from trialmatch.rank.reasons import Literal, via
from trialmatch.rules.facts import PatientFacts
from trialmatch.rules.nodes import (
    Alteration,
    Diagnosis,
    Fusion,
    Measurement,
    Node,
    Signature,
)
from trialmatch.rules.variants import variant_mode

WEIGHTS = {"specificity": 0.45, "cancer_type": 0.30, "completeness": 0.10,
           "recruitment": 0.10, "phase": 0.05}
RECRUITMENT = {"RECRUITING": 1.0, "NOT_YET_RECRUITING": 0.8, "ENROLLING_BY_INVITATION": 0.7,
               "ACTIVE_NOT_RECRUITING": 0.3}
PHASE = {"PHASE3": 1.0, "PHASE2_PHASE3": 0.95, "PHASE2": 0.9, "PHASE1_PHASE2": 0.8,
         "PHASE1": 0.7, "EARLY_PHASE1": 0.6, "PHASE4": 0.6}
STATUS_ORDER = {"eligible": 0, "possible": 1, "ineligible": 2}

# Specificity of a matched biomarker criterion, most specific first.
SPECIFICITY = {
    "exact": (1.0, "exact protein change"),
    "codon": (0.85, "codon"),
    "event": (0.8, "exon-level event"),
    "exon": (0.75, "exon"),
    "group": (0.7, "named variant group"),
    "partner": (0.9, "named fusion partner"),
    "fusion": (0.8, "gene fusion"),
    "signature": (0.6, "genomic signature"),
    "gene": (0.55, "gene-level alteration"),
    "level": (0.5, "biomarker level"),
    "family": (0.45, "gene family"),
    "wildtype": (0.3, "wild-type status"),
}
FAMILY_PENALTY = 0.1  # the same criterion over a gene family ("RAS G12C") is less specific
NO_BIOMARKER = 0.2
# Closeness of the trial's cancer type to the patient's (see Ontology.cancer_link).
CANCER = {"same": 1.0, "tissue": 0.55, "solid_heme": 0.4, "any": 0.3, "coarser": 0.2,
          "unknown": 0.2}
NO_CANCER_CRITERION = CANCER["any"]


def ancestor_closeness(distance: int) -> float:
    """An ancestor one level up is close (0.9); further up tends to 0.6, above a tissue."""
    return max(0.6, 1.0 - 0.1 * distance)


def specificity(leaf: Node, ont: Ontology) -> tuple[float, str]:
    """How specific a biomarker criterion is, in [0, 1], with the word for it."""
    if isinstance(leaf, Alteration):
        family = len(ont.gene_members(leaf.gene)) > 1
        penalty = FAMILY_PENALTY if family else 0.0
        if leaf.alteration == "wildtype":
            return SPECIFICITY["wildtype"]
        if leaf.variant:
            value, word = SPECIFICITY[variant_mode(leaf.variant)]
        elif leaf.exon is not None:
            value, word = SPECIFICITY["exon"]
        elif family:
            return SPECIFICITY["family"]
        else:
            value, word = SPECIFICITY["gene"]
        return value - penalty, (f"{word} in a gene family" if family else word)
    if isinstance(leaf, Fusion):
        if len(ont.gene_members(leaf.gene)) > 1:
            value, _ = SPECIFICITY["fusion"]
            return value - 2 * FAMILY_PENALTY, "fusion of a gene family"
        return SPECIFICITY["partner"] if leaf.partner else SPECIFICITY["fusion"]
    if isinstance(leaf, Signature):
        return SPECIFICITY["signature"]
    if isinstance(leaf, Measurement):
        return SPECIFICITY["level"]
    return 0.0, ""


def cancer_closeness(leaf: Diagnosis, value: int | None, p: PatientFacts, ont: Ontology
                     ) -> tuple[float, str]:
    """How close the trial's cancer type is to the patient's, with the words for it."""
    if p.oncotree is None:
        return CANCER["unknown"], "the patient's cancer type is not given"
    link, d = ont.cancer_link(leaf.code, p.oncotree)
    code, mine = leaf.code, p.oncotree
    if link == "same":
        return CANCER["same"], f"same cancer type ({code})"
    if link == "ancestor":
        return ancestor_closeness(d or 1), f"{mine} is a {code} ({d} level(s) up)"
    if link == "tissue":
        return CANCER["tissue"], f"same tissue ({code})"
    if link == "solid_heme":
        return CANCER["solid_heme"], f"{mine} is a {ont.cancer_name(code).lower()}"
    if link == "any":
        return CANCER["any"], f"any cancer type ({code})"
    if link == "coarser" or value == 1:
        return CANCER["coarser"], (f"the patient's {mine} is coarser than {code}: "
                                   "not confirmed at the trial's level")
    return 0.0, f"{mine} is not a {code}"


@dataclass
class _Best:
    value: float
    why: str
    lit: Literal | None = None
    via: list[str] = field(default_factory=list)


def score(lits: list[Literal], p: PatientFacts, ont: Ontology, status: str | None,
          phase: str | None, n_unknown: int) -> tuple[float, list[dict[str, object]]]:
    """The score in [0, 1] and its parts (factor, weight, value, why, criterion, via).

    Ties between equally good criteria go to the first in reading order (by tree path,
    whatever order `lits` come in), so the parts depend only on the tree and the patient."""
    spec = _Best(NO_BIOMARKER, "no matched biomarker criterion")
    cancer: _Best | None = None
    for lit in sorted(lits, key=_reading_order):
        if lit.negated or lit.value not in (1, 2):
            continue
        if isinstance(lit.leaf, Diagnosis):
            c, why = cancer_closeness(lit.leaf, lit.value, p, ont)
            if cancer is None or c > cancer.value:
                cancer = _Best(c, why, lit)
        elif lit.value == 2:
            s, why = specificity(lit.leaf, ont)
            if s > spec.value:
                spec = _Best(s, why, lit)
    if cancer is None:
        cancer = _Best(NO_CANCER_CRITERION, "no cancer-type criterion (any cancer type)")
    for best in (spec, cancer):
        if best.lit is not None:
            best.via = via(best.lit, p, ont)
    if cancer.lit is not None and cancer.lit.value == 1 and p.oncotree \
            and isinstance(cancer.lit.leaf, Diagnosis):  # coarser patient
        cancer.via = ont.cancer_path(cancer.lit.leaf.code, p.oncotree)
    unknown_why = f"{n_unknown} unknown criteri{'on' if n_unknown == 1 else 'a'}"
    parts = {
        "specificity": spec,
        "cancer_type": cancer,
        "completeness": _Best(1.0 / (1 + n_unknown), unknown_why),
        "recruitment": _Best(RECRUITMENT.get(status or "", 0.1 if status else 0.5),
                             (status or "status not given").lower().replace("_", " ")),
        "phase": _Best(PHASE.get(phase or "", 0.75), phase or "phase not given"),
    }
    total = sum(WEIGHTS[k] * b.value for k, b in parts.items())
    return round(total, 4), [_part(k, b) for k, b in parts.items()]


def _reading_order(lit: Literal) -> tuple[int, ...]:
    return tuple(int(i) for i in lit.path.split("/") if i)


def _part(factor: str, best: _Best) -> dict[str, object]:
    out: dict[str, object] = {"factor": factor, "weight": WEIGHTS[factor],
                              "value": round(best.value, 3),
                              "contribution": round(WEIGHTS[factor] * best.value, 4),
                              "why": best.why}
    if best.lit is not None:
        out["criterion"] = best.lit.text
        out["via"] = best.via
    return out


def sort_key(match: Mapping[str, Any]) -> tuple:
    """Best first: status, then score, then trial id and cohort (a total order)."""
    return (STATUS_ORDER[str(match["status"])], -float(match["score"]),
            str(match["trial_id"]), str(match["cohort"]))


def rank(matches: list[dict[str, object]]) -> list[dict[str, object]]:
    """The matches of one patient, best first (independent of their input order)."""
    return sorted(matches, key=sort_key)
