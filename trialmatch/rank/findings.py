"""The patient's side of a criterion, in words: what the profile says about it.

`explain` shows, beside each criterion, the finding it was checked against ("EGFR L858R
(exon 21, somatic)", "ECOG 1", "prior: carboplatin, pemetrexed"), or why there is none
("EGFR not on the tested panel", "PD-L1 TPS not reported").
"""

from __future__ import annotations

from trialmatch.ontology import Ontology
from trialmatch.rules.evaluate import SIGNATURE_FACTS
from trialmatch.rules.facts import FLAG_FIELDS, Finding, PatientFacts, expression_field
from trialmatch.rules.nodes import (
    Age,
    Alteration,
    Diagnosis,
    Expression,
    Fusion,
    Measurement,
    Node,
    Performance,
    Population,
    PriorTherapy,
    Sex,
    Signature,
    Stage,
    Unparsed,
)
from trialmatch.rules.stages import FIELD as STAGE_FIELD
from trialmatch.rules.stages import stage_label

_MARKERS = {"tmb": ("TMB", " mut/Mb"), "pdl1_tps": ("PD-L1 TPS", "%"),
            "pdl1_cps": ("PD-L1 CPS", ""), "her2_ihc": ("HER2 IHC", "+")}
_STATUS = {"her2": "HER2", "er": "ER", "pr": "PR", "msi": "MSI", "mmr": "MMR"}


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _interval(lo: float, hi: float, unit: str = "") -> str:
    return f"{_num(lo)}{unit}" if lo == hi else f"{_num(lo)}–{_num(hi)}{unit}"


def finding_label(f: Finding) -> str:
    """One finding as a coordinator writes it: "EGFR L858R (exon 21, somatic)"."""
    if f.type == "fusion":
        head = f"{f.gene}-{f.partner} fusion" if f.partner else f"{f.gene} fusion"
    elif f.type == "mutation":
        head = f"{f.gene} {f.protein}" if f.protein else f"{f.gene} mutation"
    elif f.type == "wildtype":
        head = f"{f.gene} wild-type"
    else:
        head = f"{f.gene} {f.type}"
    extra = [x for x in (f"exon {f.exon}" if f.exon else None, f.origin) if x]
    return f"{head} ({', '.join(extra)})" if extra else head


def _genes_finding(genes: tuple[str, ...], p: PatientFacts, fusion: bool) -> str:
    mine = [f for f in p.findings if (f.gene in genes or f.partner in genes)
            and (not fusion or f.type == "fusion")]
    if mine:
        return "; ".join(finding_label(f) for f in mine)
    names = ", ".join(genes) if len(genes) <= 4 else f"{', '.join(genes[:4])}, ..."
    what = "fusion" if fusion else "alteration"
    if p.tested_genes is None:
        return f"no {names} {what} reported (no tested panel given)"
    tested = [g for g in genes if p.tested(g)]
    if not tested:
        return f"{names} not on the tested panel"
    if len(tested) == len(genes):
        return f"no {names} {what} reported; tested"
    return f"no {what} reported; tested: {', '.join(tested)}; not tested: " + ", ".join(
        g for g in genes if g not in tested)


def _measurement(marker: str, p: PatientFacts) -> str:
    if marker in _MARKERS:
        label, unit = _MARKERS[marker]
        got = p.numbers.get(marker)
        return f"{label} {_interval(*got, unit)}" if got else f"{label} not reported"
    label = _STATUS.get(marker, marker)
    status = p.statuses.get(marker)
    return f"{label} {status}" if status else f"{label} status not reported"


def _signature(name: str, p: PatientFacts) -> str:
    if name == "TMB-H":
        return _measurement("tmb", p)
    fact = SIGNATURE_FACTS[name][0]
    if fact == "codel_1p19q":
        got = p.flags.get(fact)
        return "1p/19q status not reported" if got is None else \
            f"1p/19q {'codeleted' if got else 'intact'}"
    if fact in FLAG_FIELDS:
        got = p.flags.get(fact)
        word = fact.upper()
        return f"{word} {'positive' if got else 'negative'}" if got is not None \
            else f"{word} not reported"
    return _measurement(fact, p)


def _priors(leaf: PriorTherapy, p: PatientFacts, ont: Ontology) -> str:
    if p.prior_therapies is None:
        return "prior therapies not reported"
    if not p.prior_therapies:
        return "no prior therapy"
    hits = [d for d in p.prior_therapies if leaf.concept in (c := ont.drug_concepts(d))
            and c.isdisjoint(leaf.excluding)]
    return "prior: " + ", ".join(hits or p.prior_therapies)


def _performance(scale: str, p: PatientFacts) -> str:
    label = "ECOG" if scale == "ecog" else "Karnofsky"
    got = p.numbers.get(scale)
    return f"{label} {_interval(*got)}" if got else f"{label} not reported"


def finding_text(leaf: Node, p: PatientFacts, ont: Ontology) -> str | None:
    """What the patient's profile says about one leaf (None for unparsed text)."""
    match leaf:
        case Alteration():
            return _genes_finding(ont.gene_members(leaf.gene), p, fusion=False)
        case Fusion():
            return _genes_finding(ont.gene_members(leaf.gene), p, fusion=True)
        case Signature():
            return _signature(leaf.name, p)
        case Measurement():
            return _measurement(leaf.marker, p)
        case Diagnosis():
            if p.oncotree is None:
                return "cancer type not given"
            return f"{p.oncotree} ({ont.cancer_name(p.oncotree)})"
        case Age():
            got = p.numbers.get("age")
            return f"age {_interval(*got)}" if got else "age not given"
        case Sex():
            return p.sex or "sex not given"
        case Performance():
            return _performance(leaf.scale, p)
        case Stage():
            got = p.numbers.get(STAGE_FIELD)
            return f"stage {stage_label(got)}" if got else "stage not given"
        case PriorTherapy():
            return _priors(leaf, p, ont)
        case Expression():
            have = p.statuses.get(expression_field(leaf.gene))
            return f"{leaf.gene} {have}" if have else f"{leaf.gene} expression not reported"
        case Population():
            if p.oncotree is None:
                return "cancer type not given"
            return f"{p.oncotree} ({ont.cancer_name(p.oncotree)})"
        case Unparsed():
            return None
    raise TypeError(f"no patient finding for node kind {leaf.kind!r}")
