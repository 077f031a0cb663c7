"""Reasons: each evaluated criterion of a cohort, with its result, words and ontology path.

A *literal* is a leaf, or a `not` directly above a leaf ("no prior EGFR TKI"): that is
the unit a coordinator reads. Its value comes from the matcher (node path -> value).
"""

from __future__ import annotations

from dataclasses import dataclass

from trialmatch.ontology import Ontology
from trialmatch.rules.english import describe
from trialmatch.rules.evaluate import spec_vs_finding
from trialmatch.rules.facts import PatientFacts
from trialmatch.rules.nodes import (
    CONNECTIVES,
    Alteration,
    Diagnosis,
    Fusion,
    Node,
    Not,
    PriorTherapy,
    Unparsed,
)
from trialmatch.rules.variants import expand_alteration, variant_mode

LABELS: dict[int | None, str] = {2: "met", 1: "unknown", 0: "not met"}


@dataclass(frozen=True, slots=True)
class Literal:
    node: Node  # the leaf or the Not above it
    leaf: Node
    path: str
    negated: bool
    value: int | None

    @property
    def text(self) -> str | None:
        for n in (self.node, self.leaf):
            if n.prov is not None and n.prov.text:
                return n.prov.text
        return None


def literals(root: Node, values: dict[str, int], path: str = "") -> list[Literal]:
    """Every literal of a tree, in reading order, with its value (None if unparsed)."""
    if isinstance(root, Not) and not isinstance(root.item, CONNECTIVES):
        return [Literal(root, root.item, path, True, values.get(path))]
    if isinstance(root, CONNECTIVES):
        out: list[Literal] = []
        for i, child in enumerate(root.children):
            out.extend(literals(child, values, f"{path}/{i}"))
        return out
    return [Literal(root, root, path, False, values.get(path))]


def via(lit: Literal, p: PatientFacts, ont: Ontology) -> list[str]:
    """The ontology path that connected the patient's finding to the criterion."""
    leaf = lit.leaf
    if isinstance(leaf, Diagnosis) and p.oncotree:
        return ont.cancer_path(p.oncotree, leaf.code)
    if isinstance(leaf, PriorTherapy) and p.prior_therapies:
        for drug in p.prior_therapies:
            concepts = ont.drug_concepts(drug)
            if leaf.concept in concepts and concepts.isdisjoint(leaf.excluding):
                return ont.drug_class_path(drug, leaf.concept) or [drug]
        return []
    if isinstance(leaf, Alteration) and leaf.alteration != "wildtype":
        for spec in expand_alteration(leaf, ont):
            for f in p.findings:
                if spec_vs_finding(spec, f) == 2:
                    path = [f.gene]
                    if f.protein:
                        path.append(f.protein)
                    if leaf.variant and variant_mode(leaf.variant) == "group":
                        path.append(f"{leaf.gene} {leaf.variant}")
                    elif f.gene != leaf.gene:
                        path.append(leaf.gene)
                    return path
    if isinstance(leaf, Fusion):
        for f in p.findings:
            if f.type == "fusion" and leaf.gene not in (f.gene, f.partner):
                members = ont.gene_members(leaf.gene)
                if f.gene in members or f.partner in members:
                    return [f.gene if f.gene in members else str(f.partner), leaf.gene]
    return []


def reason(lit: Literal, p: PatientFacts, ont: Ontology) -> dict[str, object]:
    return {"criterion": describe(lit.node), "result": LABELS.get(lit.value, "unknown"),
            "text": lit.text or describe(lit.node),
            "via": via(lit, p, ont) if lit.value == 2 or lit.negated else []}


def explain_cohort(root: Node, values: dict[str, int], p: PatientFacts, ont: Ontology,
                   *, with_failures: bool) -> tuple[list[dict], list[str], list[Literal]]:
    """(reasons, unknown criteria, evaluated literals) for one patient and cohort."""
    lits = [lit for lit in literals(root, values) if not isinstance(lit.leaf, Unparsed)]
    return explain_literals(lits, p, ont, with_failures=with_failures)


def explain_literals(lits: list[Literal], p: PatientFacts, ont: Ontology, *,
                     with_failures: bool) -> tuple[list[dict], list[str], list[Literal]]:
    """(reasons, unknown criteria, literals) from a cohort's evaluated literals.

    A criterion a trial states twice (parsed trials often do: "NSCLC" in the title-like
    first criterion and again in the histology one) is reported once, with its first words;
    the literals, and so the score, keep both."""
    reasons, unknown, seen = [], [], set()
    for lit in lits:
        criterion = describe(lit.node)
        if (criterion, lit.value) in seen:
            continue
        seen.add((criterion, lit.value))
        if lit.value == 2 or (with_failures and lit.value == 0):
            reasons.append(reason(lit, p, ont))
        elif lit.value == 1:
            unknown.append(criterion)
    reasons.sort(key=lambda r: r["result"] != "met")
    return reasons, unknown, lits
