"""Hypothesis strategies: random rule trees and random patients over the mini ontology."""

from __future__ import annotations

from hypothesis import strategies as st

from trialmatch.rules.facts import Finding, PatientFacts
from trialmatch.rules.nodes import (
    Age,
    All,
    Alteration,
    AnyOf,
    Diagnosis,
    Expression,
    Fusion,
    Measurement,
    Not,
    Performance,
    Population,
    PriorTherapy,
    Sex,
    Signature,
    Stage,
    Unparsed,
)
from trialmatch.rules.stages import FIELD as STAGE_FIELD
from trialmatch.rules.stages import stage_interval
from trialmatch.rules.variants import codon_of, event_of

GENES = ["EGFR", "KRAS", "NRAS", "BRAF", "ALK", "BRCA1", "EML4", "FLT3"]
FAMILIES = ["RAS", "BRCA", "NTRK"]
VARIANTS = [None, "L858R", "T790M", "V600", "V600E", "G719X", "G719S", "exon19del",
            "exon20ins", "ITD", "sensitizing", "v600", "E746_A750del", "G12C", "G12"]
PROTEINS = [None, "L858R", "T790M", "V600E", "V600K", "G719S", "E746_A750del", "G12C",
            "G12D", "exon19del", "exon20ins", "ITD", "A767_V769dup", "S1982fs",
            "D770_N771insSVD", "L747_P753delinsS"]
CODES = ["NSCLC", "LUAD", "LUSC", "LUNG", "SOLID", "HEME", "BRCA", "BREAST", "AML", "XYZ",
         "BRCANOS", "ILC", "GNOS", "EPM"]
DRUGS = ["osimertinib", "erlotinib", "carboplatin", "alectinib", "mysterymab"]
CONCEPTS = ["osimertinib", "egfr_tki", "tki", "platinum", "mysterymab", "alectinib"]
OPS = [">=", ">", "<=", "<", "=", "!="]
# evidence tags never change a truth value: drawn on biomarker leaves so the SQL, the
# evaluator and every reader see them
EVIDENCE = st.sampled_from([(), (), ("documented",), ("ngs", "plasma", "tissue"), ("p190",)])


@st.composite
def alterations(draw):
    kind = draw(st.sampled_from(["mutation", "mutation", "amplification", "deletion",
                                 "wildtype", "any"]))
    gene = draw(st.sampled_from(GENES + FAMILIES))
    variant = exon = None
    if kind == "mutation":
        variant = draw(st.sampled_from(VARIANTS))
        if variant is None:
            exon = draw(st.sampled_from([None, 19, 20, 21]))
    origin = draw(st.sampled_from([None, None, "germline", "somatic"]))
    return Alteration(gene, kind, variant, exon, origin, evidence=draw(EVIDENCE))


def _numbers(marker: str, lo: float, hi: float):
    return st.builds(Measurement, st.just(marker), st.sampled_from(OPS),
                     st.integers(int(lo), int(hi)).map(float))


STAGES = ["0", "I", "IA", "IB", "II", "IIB", "III", "IIIA", "IIIB", "IIIC", "IV", "IVA", "IVC"]

leaf_nodes = st.one_of(
    alterations(), alterations(),
    st.builds(Fusion, st.sampled_from(["ALK", "NTRK", "EML4", "NTRK1"]),
              st.sampled_from([None, "EML4", "ALK", "NTRK"]), evidence=EVIDENCE),
    st.builds(Signature, st.sampled_from(["MSI-H", "dMMR", "MSS", "pMMR", "TMB-H", "HRD",
                                          "LOH", "1p19q-codel"]), evidence=EVIDENCE),
    _numbers("tmb", 0, 30), _numbers("pdl1_tps", 0, 100), _numbers("her2_ihc", 0, 3),
    st.builds(Measurement, st.sampled_from(["her2"]), st.sampled_from(["=", "!="]),
              st.sampled_from(["positive", "negative", "low"])),
    st.builds(Measurement, st.sampled_from(["er", "pr"]), st.sampled_from(["=", "!="]),
              st.sampled_from(["positive", "negative"])),
    st.builds(Diagnosis, st.sampled_from(CODES)),
    st.builds(Age, st.sampled_from(OPS), st.integers(10, 90).map(float)),
    st.builds(Sex, st.sampled_from(["female", "male"])),
    st.builds(Performance, st.just("ecog"), st.sampled_from(OPS),
              st.integers(0, 4).map(float)),
    st.builds(Performance, st.just("karnofsky"), st.sampled_from(OPS),
              st.sampled_from([50.0, 60.0, 70.0, 75.0, 80.0, 90.0])),
    st.builds(Stage, st.sampled_from([">=", ">", "<=", "<"]), st.sampled_from(STAGES)),
    st.builds(PriorTherapy, st.sampled_from(CONCEPTS)),
    st.builds(PriorTherapy, st.sampled_from(CONCEPTS),
              st.lists(st.sampled_from(DRUGS + CONCEPTS), min_size=1, max_size=2).map(tuple)),
    st.builds(Expression, st.sampled_from(["MS4A1", "CLDN18", "TACSTD2"]),
              st.sampled_from(["positive", "negative", "high", "low"]), evidence=EVIDENCE),
    st.builds(Population, st.sampled_from(["non_oncology", "unrecognised"]),
              st.sampled_from(["type 2 diabetes", "healthy volunteers"])),
    st.builds(Unparsed, st.sampled_from(["Adequate organ function", "Measurable disease"])),
)

trees = st.recursive(
    leaf_nodes,
    lambda children: st.one_of(
        st.lists(children, min_size=0, max_size=4).map(lambda xs: All(tuple(xs))),
        st.lists(children, min_size=0, max_size=4).map(lambda xs: AnyOf(tuple(xs))),
        children.map(Not),
    ),
    max_leaves=10,
)
# realistic roots: a conjunction, so the gate optimisation is exercised
cohort_trees = st.one_of(trees, st.lists(trees, min_size=1, max_size=5).map(
    lambda xs: All(tuple(xs))))


@st.composite
def findings(draw):
    typ = draw(st.sampled_from(["mutation", "mutation", "amplification", "deletion", "fusion",
                                "wildtype"]))
    gene = draw(st.sampled_from(GENES + ["NTRK1", "NTRK2"]))
    protein = exon = partner = None
    if typ == "mutation":
        protein = draw(st.sampled_from(PROTEINS))
        exon = draw(st.sampled_from([None, 19, 20, 21]))
    if typ == "fusion":
        partner = draw(st.sampled_from([None, "EML4", "ALK", "NTRK1"]))
    event = event_of(protein, exon) if typ == "mutation" else None
    codon = codon_of(protein) if protein and protein != event else None
    origin = draw(st.sampled_from([None, "germline", "somatic"]))
    return Finding(gene, typ, protein, codon, event, exon, origin, partner)


def _interval(lo: int, hi: int):
    return st.one_of(st.integers(lo, hi).map(lambda v: (float(v), float(v))),
                     st.tuples(st.integers(lo, hi), st.integers(0, 20)).map(
                         lambda t: (float(t[0]), float(t[0] + t[1]))))


@st.composite
def patients(draw, pid: str):
    numbers = {}
    for name, lo, hi in (("age", 5, 95), ("ecog", 0, 4), ("karnofsky", 40, 100),
                         ("tmb", 0, 30), ("pdl1_tps", 0, 100), ("her2_ihc", 0, 3)):
        if draw(st.booleans()):
            numbers[name] = draw(_interval(lo, hi))
    if draw(st.booleans()):
        numbers[STAGE_FIELD] = stage_interval(draw(st.sampled_from(STAGES)))
    statuses = {}
    for name, values in (("her2", ["positive", "negative", "low", "zero"]),
                         ("er", ["positive", "negative"]), ("pr", ["positive", "negative"]),
                         ("msi", ["MSI-H", "MSI-L", "MSS"]), ("mmr", ["dMMR", "pMMR"]),
                         ("expression:MS4A1", ["positive", "negative", "high", "low"]),
                         ("expression:CLDN18", ["positive", "negative", "high", "low"])):
        if draw(st.booleans()):
            statuses[name] = draw(st.sampled_from(values))
    flags = {k: draw(st.booleans()) for k in ("hrd", "loh", "codel_1p19q")
             if draw(st.booleans())}
    tested = draw(st.one_of(st.none(), st.sets(st.sampled_from(GENES + ["NTRK1"])).map(
        frozenset)))
    priors = draw(st.one_of(st.none(), st.lists(st.sampled_from(DRUGS), max_size=3).map(
        tuple)))
    return PatientFacts(
        id=pid, sex=draw(st.sampled_from([None, "female", "male"])),
        oncotree=draw(st.sampled_from([None, *CODES])), numbers=numbers, statuses=statuses,
        flags=flags, findings=tuple(draw(st.lists(findings(), max_size=4))),
        tested_genes=tested, prior_therapies=priors)
