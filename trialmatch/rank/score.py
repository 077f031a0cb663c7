"""The ranking score: a weighted sum of named factors, each with the reason it got its value.

    specificity  how specific the best matched biomarker criterion is
                 (exact protein change > codon > exon event > named group > gene > family)
    cancer_type  how close the trial's cancer type is to the patient's
                 (same node > ancestor by distance > tissue > solid / haematologic > any)
    completeness fewer unknown criteria is better
    recruitment  recruiting first
    phase        later phases slightly first

Sorting is by status (eligible, possible, ineligible), then score, then trial id and cohort,
so the order is total and does not depend on the order trials were loaded.
"""

from __future__ import annotations

from trialmatch.ontology import HEME, SOLID, Ontology
from trialmatch.rank.reasons import Literal
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
_VARIANT_SPECIFICITY = {"exact": 1.0, "codon": 0.85, "event": 0.8, "group": 0.7}


def specificity(leaf: Node, ont: Ontology) -> tuple[float, str]:
    """How specific a biomarker criterion is, in [0, 1], with the word for it."""
    if isinstance(leaf, Alteration):
        family = len(ont.gene_members(leaf.gene)) > 1
        if leaf.alteration == "wildtype":
            return 0.3, "wild-type status"
        if leaf.variant:
            mode = variant_mode(leaf.variant)
            return _VARIANT_SPECIFICITY[mode] - (0.1 if family else 0), {
                "exact": "exact protein change", "codon": "codon", "event": "exon-level event",
                "group": "named variant group"}[mode]
        if leaf.exon is not None:
            return 0.75, "exon"
        if family:
            return 0.45, "gene family"
        return 0.55, "gene-level alteration"
    if isinstance(leaf, Fusion):
        if len(ont.gene_members(leaf.gene)) > 1:
            return 0.6, "fusion of a gene family"
        return (0.9, "named fusion partner") if leaf.partner else (0.8, "gene fusion")
    if isinstance(leaf, Signature):
        return 0.6, "genomic signature"
    if isinstance(leaf, Measurement):
        return 0.5, "biomarker level"
    return 0.0, ""


def cancer_closeness(leaf: Diagnosis, value: int | None, p: PatientFacts, ont: Ontology
                     ) -> tuple[float, str]:
    if value == 1 or p.oncotree is None:
        return 0.25, f"cancer type {leaf.code} not confirmed at the patient's level"
    chain = ont.cancer_ancestors(p.oncotree)
    d = chain.get(leaf.code)
    if d is None:
        return 0.0, ""
    if d == 0:
        return 1.0, f"same cancer type ({leaf.code})"
    if leaf.code in (SOLID, HEME):
        return 0.35, f"{p.oncotree} is a {ont.cancer_name(leaf.code).lower()}"
    row = ont.cancers.get(leaf.code)
    if row is not None and row["tissue"] == leaf.code:
        return 0.55, f"same tissue ({leaf.code})"
    return max(0.6, 1.0 - 0.12 * d), f"{p.oncotree} is a {leaf.code} ({d} level(s) up)"


def score(lits: list[Literal], p: PatientFacts, ont: Ontology, status: str | None,
          phase: str | None, n_unknown: int) -> tuple[float, list[dict[str, object]]]:
    """The score in [0, 1] and its parts."""
    spec, spec_why = 0.2, "no biomarker criterion"
    cancer, cancer_why = 0.2, "no cancer-type criterion"
    for lit in lits:
        if lit.negated or lit.value not in (1, 2):
            continue
        if isinstance(lit.leaf, Diagnosis):
            c, why = cancer_closeness(lit.leaf, lit.value, p, ont)
            if c > cancer or cancer_why.startswith("no "):
                cancer, cancer_why = c, why
        elif lit.value == 2:
            s, why = specificity(lit.leaf, ont)
            if s > spec:
                spec, spec_why = s, f"{why}: {lit.text or ''}".rstrip(": ")
    parts = {
        "specificity": (spec, spec_why),
        "cancer_type": (cancer, cancer_why),
        "completeness": (1.0 / (1 + n_unknown), f"{n_unknown} unknown criteria"),
        "recruitment": (RECRUITMENT.get(status or "", 0.1 if status else 0.5),
                        (status or "status not given").lower().replace("_", " ")),
        "phase": (PHASE.get(phase or "", 0.75), phase or "phase not given"),
    }
    total = sum(WEIGHTS[k] * v for k, (v, _) in parts.items())
    return round(total, 4), [{"factor": k, "weight": WEIGHTS[k], "value": round(v, 3),
                              "why": why} for k, (v, why) in parts.items()]


def sort_key(match: dict[str, object]) -> tuple:
    return (STATUS_ORDER[str(match["status"])], -float(match["score"]),  # type: ignore[arg-type]
            str(match["trial_id"]), str(match["cohort"]))
