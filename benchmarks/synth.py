"""Synthetic trials and patients with realistic shapes, for benchmarks (seeded, reproducible).

Trials: a cancer type at some level of the tree, most with one biomarker clause (a variant,
an exon event, a variant group, a fusion, a family, a signature, a level), age, ECOG,
prior-therapy requirements and exclusions, exclusion biomarkers, and several unparsed
criteria; about one in six has two or three cohorts.

Patients: cancer types and alteration frequencies roughly as in large sequencing cohorts
(TP53 in ~40 %, KRAS ~15 %, EGFR ~8 % of lung adenocarcinomas...), passenger mutations,
a gene panel for most, biomarkers for some.
"""

from __future__ import annotations

import random
from datetime import date

from trialmatch.rules.nodes import (
    Age,
    All,
    Alteration,
    AnyOf,
    Diagnosis,
    Fusion,
    Measurement,
    Node,
    Not,
    Performance,
    PriorTherapy,
    Signature,
    Unparsed,
)
from trialmatch.rules.trial import Cohort, Trial

CANCER_WEIGHTS = {
    "LUAD": 14, "NSCLC": 6, "LUSC": 4, "SCLC": 2, "IDC": 10, "BRCA": 4, "COADREAD": 6,
    "COAD": 6, "READ": 2, "PRAD": 8, "PAAD": 4, "MEL": 4, "SKCM": 2, "GBM": 3, "HGSOC": 3,
    "UCEC": 3, "BLCA": 3, "STAD": 2, "ESCA": 1, "HCC": 2, "CHOL": 1, "THPA": 1, "CCRCC": 2,
    "HNSC": 2, "AML": 3, "MDS": 1, "DLBCLNOS": 1, "MM": 1, "GIST": 1,
}
TRIAL_CODES = ["LUAD", "NSCLC", "LUNG", "BRCA", "BREAST", "COADREAD", "BOWEL", "PRAD",
               "PAAD", "MEL", "GBM", "HGSOC", "OVARY", "UCEC", "BLCA", "STAD", "HCC", "CHOL",
               "THPA", "CCRCC", "HNSC", "AML", "MYELOID", "MM", "SOLID", "SOLID", "SOLID",
               "HEME"]
DRIVERS = [  # gene, kind, variant (or None), exon, weight in trials
    ("EGFR", "mutation", "L858R", None, 5), ("EGFR", "mutation", "exon19del", None, 5),
    ("EGFR", "mutation", "exon20ins", None, 2), ("EGFR", "mutation", "sensitizing", None, 3),
    ("KRAS", "mutation", "G12C", None, 5), ("KRAS", "mutation", "G12D", None, 2),
    ("KRAS", "mutation", None, None, 2), ("RAS", "mutation", None, None, 1),
    ("BRAF", "mutation", "V600E", None, 4), ("BRAF", "mutation", "V600", None, 2),
    ("ERBB2", "amplification", None, None, 4), ("ERBB2", "mutation", None, 20, 1),
    ("MET", "mutation", "exon14skip", None, 2), ("MET", "amplification", None, None, 2),
    ("PIK3CA", "mutation", None, None, 4), ("PIK3CA", "mutation", "H1047R", None, 1),
    ("BRCA1", "mutation", None, None, 2), ("BRCA2", "mutation", None, None, 2),
    ("BRCA", "mutation", None, None, 2), ("IDH1", "mutation", "R132", None, 2),
    ("IDH2", "mutation", None, None, 1), ("FLT3", "mutation", "ITD", None, 2),
    ("NPM1", "mutation", None, None, 1), ("FGFR2", "amplification", None, None, 1),
    ("FGFR3", "mutation", None, None, 1), ("ESR1", "mutation", None, None, 1),
    ("CDKN2A", "deletion", None, None, 1), ("PTEN", "deletion", None, None, 1),
    ("AKT1", "mutation", "E17K", None, 1), ("KIT", "mutation", None, 11, 1),
    ("ATM", "mutation", None, None, 1), ("TP53", "mutation", None, None, 1),
]
FUSIONS = [("ALK", None, 4), ("ROS1", None, 3), ("RET", None, 3), ("NTRK", None, 3),
           ("ALK", "EML4", 1), ("FGFR2", None, 1), ("NRG1", None, 1)]
PRIOR_CLASSES = ["platinum", "egfr_tki", "alk_inhibitor", "kras_g12c_inhibitor",
                 "pd1_pdl1_inhibitor", "parp_inhibitor", "cdk46_inhibitor", "taxane",
                 "braf_inhibitor", "anti_egfr_antibody"]
PRIOR_DRUGS = ["osimertinib", "carboplatin", "pembrolizumab", "docetaxel", "sotorasib",
               "olaparib", "palbociclib", "alectinib", "trastuzumab", "cetuximab"]
UNPARSED = ["Adequate organ and bone marrow function", "Measurable disease per RECIST 1.1",
            "Life expectancy of at least 12 weeks", "Able to swallow oral medication",
            "No active uncontrolled infection", "No symptomatic brain metastases",
            "Negative pregnancy test in women of childbearing potential",
            "Signed informed consent", "No major surgery within 4 weeks",
            "QTc interval <= 470 ms"]
STATUSES = ["RECRUITING"] * 6 + ["NOT_YET_RECRUITING", "ACTIVE_NOT_RECRUITING"]
PHASES = ["PHASE1", "PHASE1", "PHASE1_PHASE2", "PHASE2", "PHASE2", "PHASE3"]


def _pick(rng: random.Random, weighted: list[tuple]) -> tuple:
    return rng.choices(weighted, weights=[w[-1] for w in weighted])[0]


def _biomarker(rng: random.Random) -> Node | None:
    r = rng.random()
    if r < 0.50:
        gene, kind, variant, exon, _ = _pick(rng, DRIVERS)
        node: Node = Alteration(gene, kind, variant, exon)
        if rng.random() < 0.2:
            g2, k2, v2, e2, _ = _pick(rng, DRIVERS)
            node = AnyOf((node, Alteration(g2, k2, v2, e2)))
        return node
    if r < 0.65:
        gene, partner, _ = _pick(rng, FUSIONS)
        return Fusion(gene, partner)
    if r < 0.72:
        return AnyOf((Signature("MSI-H"), Signature("dMMR")))
    if r < 0.76:
        return rng.choice([Signature("TMB-H"), Measurement("tmb", ">=", 10.0),
                           Signature("HRD")])
    if r < 0.80:
        return rng.choice([Measurement("pdl1_tps", ">=", 50.0),
                           Measurement("pdl1_cps", ">=", 10.0),
                           Measurement("her2", "=", "positive"),
                           Measurement("her2", "=", "low"),
                           All((Measurement("er", "=", "positive"),
                                Measurement("her2", "=", "negative")))])
    if r < 0.82:
        return Alteration(rng.choice(["KRAS", "RAS"]), "wildtype")
    return None


def _cohort_rule(rng: random.Random, code: str) -> Node:
    items: list[Node] = [Diagnosis(code)]
    bio = _biomarker(rng)
    if bio is not None:
        items.append(bio)
    items.append(Age(">=", float(rng.choice([18, 18, 18, 12, 21]))))
    if rng.random() < 0.15:
        items.append(Age("<=", float(rng.choice([70, 75, 80]))))
    items.append(rng.choice([Performance("ecog", "<=", 1.0), Performance("ecog", "<=", 2.0),
                             Performance("karnofsky", ">=", 70.0)]))
    if rng.random() < 0.3:
        items.append(PriorTherapy(rng.choice(PRIOR_CLASSES + PRIOR_DRUGS)))
    for _ in range(rng.choice([0, 1, 1, 2])):
        items.append(Not(PriorTherapy(rng.choice(PRIOR_CLASSES))))
    if rng.random() < 0.2:
        items.append(Not(Alteration("EGFR", "mutation", "T790M")))
    for text in rng.sample(UNPARSED, rng.randint(2, 6)):
        items.append(Unparsed(text))
    return All(tuple(items))


def trials(n: int, seed: int = 7) -> list[Trial]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        code = rng.choice(TRIAL_CODES)
        n_cohorts = rng.choices([1, 2, 3], weights=[84, 11, 5])[0]
        cohorts = tuple(Cohort(chr(65 + c), _cohort_rule(rng, code), f"Cohort {chr(65 + c)}")
                        for c in range(n_cohorts))
        out.append(Trial(f"SYN{i:06d}", cohorts, f"Synthetic trial {i}", rng.choice(PHASES),
                         rng.choice(STATUSES), (code,)))
    return out


PANEL = sorted({d[0] for d in DRIVERS if d[0] not in ("RAS", "BRCA")} |
               {"ALK", "ROS1", "RET", "NTRK1", "NTRK2", "NTRK3", "NRG1", "NRAS", "HRAS",
                "STK11", "KEAP1", "APC", "SMAD4", "ARID1A", "NF1", "RB1", "CTNNB1"})
PATIENT_DRIVERS = [  # gene, type, protein, exon, frequency
    ("TP53", "mutation", "p.R273H", None, 0.40), ("KRAS", "mutation", "p.G12C", 2, 0.04),
    ("KRAS", "mutation", "p.G12D", 2, 0.06), ("KRAS", "mutation", "p.G12V", 2, 0.05),
    ("EGFR", "mutation", "p.L858R", 21, 0.04), ("EGFR", "mutation", "p.E746_A750del", 19, 0.04),
    ("EGFR", "mutation", "p.A767_V769dup", 20, 0.01), ("BRAF", "mutation", "p.V600E", 15, 0.04),
    ("PIK3CA", "mutation", "p.H1047R", 20, 0.06), ("PIK3CA", "mutation", "p.E545K", 9, 0.04),
    ("ERBB2", "amplification", None, None, 0.04), ("MET", "amplification", None, None, 0.02),
    ("MET", "mutation", "exon14skip", 14, 0.015), ("CDKN2A", "deletion", None, None, 0.10),
    ("PTEN", "deletion", None, None, 0.04), ("BRCA2", "mutation", "p.S1982fs", 11, 0.03),
    ("BRCA1", "mutation", "p.Q1756fs", 20, 0.02), ("IDH1", "mutation", "p.R132H", 4, 0.02),
    ("FLT3", "mutation", "ITD", 14, 0.01), ("NPM1", "mutation", "p.W288fs", 12, 0.01),
    ("APC", "mutation", "p.R1450*", 16, 0.08), ("STK11", "mutation", "p.Q37*", 1, 0.04),
    ("ARID1A", "mutation", "p.Q586*", 3, 0.05), ("NF1", "mutation", "p.R1362*", 30, 0.03),
    ("AKT1", "mutation", "p.E17K", 3, 0.01), ("FGFR3", "mutation", "p.S249C", 7, 0.01),
]
PATIENT_FUSIONS = [("ALK", "EML4", 0.01), ("ROS1", "CD74", 0.005), ("RET", "KIF5B", 0.005),
                   ("NTRK1", "TPM3", 0.002)]


def patients(n: int, seed: int = 11, start: int = 0) -> list[dict]:
    """Patient profiles in the JSON shape of DESIGN 2.1."""
    rng = random.Random(seed + start)
    codes = list(CANCER_WEIGHTS)
    weights = list(CANCER_WEIGHTS.values())
    out = []
    for i in range(start, start + n):
        alts = []
        for gene, typ, protein, exon, freq in PATIENT_DRIVERS:
            if rng.random() < freq:
                a = {"gene": gene, "type": typ}
                if protein:
                    a["protein"] = protein
                if exon:
                    a["exon"] = exon
                alts.append(a)
        for gene, partner, freq in PATIENT_FUSIONS:
            if rng.random() < freq:
                alts.append({"gene": gene, "type": "fusion", "partner": partner})
        p: dict = {"id": f"SP{i:07d}", "age": rng.randint(19, 88),
                   "sex": rng.choice(["female", "male"]),
                   "diagnosis": {"oncotree": rng.choices(codes, weights)[0]},
                   "alterations": alts}
        if rng.random() < 0.8:
            p["ecog"] = rng.choice([0, 0, 1, 1, 1, 2, 3])
        if rng.random() < 0.7:
            p["tested_genes"] = PANEL
        bio: dict = {}
        if rng.random() < 0.6:
            bio["tmb"] = round(rng.lognormvariate(1.3, 0.9), 1)
        if rng.random() < 0.5:
            bio["msi"] = "MSI-H" if rng.random() < 0.04 else "MSS"
        if rng.random() < 0.4:
            bio["pdl1_tps"] = rng.choice([0, 1, 5, 20, 50, 80])
        p["biomarkers"] = bio
        if rng.random() < 0.6:
            p["prior_therapies"] = rng.sample(PRIOR_DRUGS, rng.randint(0, 3))
        out.append(p)
    return out


def today() -> date:
    return date(2026, 11, 1)


def write_cohort(path, n: int, seed: int = 11, chunk: int = 10_000) -> int:
    """Write n patients as JSON Lines, generated chunk by chunk (memory stays small)."""
    import json

    with open(path, "w", encoding="utf-8") as fh:
        for start in range(0, n, chunk):
            for p in patients(min(chunk, n - start), seed=seed, start=start):
                fh.write(json.dumps(p) + "\n")
    return n
