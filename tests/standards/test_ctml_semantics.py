"""Where trialmatch (three-valued) and MatchMiner (two-valued) read a CTML criterion
differently: one case per row of docs/ctml-semantics.md (the ids are the same).

Each case reads a CTML node, evaluates it for a patient with the reference evaluator and
checks trialmatch's value; `matchminer` records what MatchMiner V2 does, for the reader."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from trialmatch.ingest.ctml import _Reader, read_ctml
from trialmatch.ontology import default_ontology
from trialmatch.patients import normalize_records
from trialmatch.patients.read import RawRecord
from trialmatch.rules.evaluate import evaluate

ONT = default_ontology()
MET, UNKNOWN, NOT_MET, REVIEW = 2, 1, 0, None


def _tree(node: dict):
    reader = _Reader(Path("case.json"), ONT)
    tree = reader.node(node, "", None)
    assert tree is not None and not reader.problems
    return tree


def _facts(profile: dict):
    loaded = normalize_records([RawRecord({"id": "P", **profile}, "p", "")], ONT,
                               today=date(2026, 1, 1))
    assert not loaded.problems
    return loaded.patients[0]


EGFR_MUT = {"genomic": {"hugo_symbol": "EGFR", "variant_category": "Mutation"}}
EGFR_L858R = {"genomic": {"hugo_symbol": "EGFR", "variant_category": "Mutation",
                          "protein_change": "p.L858R"}}
CASES = [
    # id, CTML node, patient, trialmatch, MatchMiner (True = matched)
    ("gene-off-panel", EGFR_MUT, {"tested_genes": ["KRAS"]}, UNKNOWN, False),
    ("negated-gene-off-panel",
     {"genomic": {"hugo_symbol": "EGFR", "variant_category": "!Mutation"}},
     {"tested_genes": ["KRAS"]}, UNKNOWN, True),
    ("variant-not-reported", EGFR_L858R,
     {"alterations": [{"gene": "EGFR", "type": "mutation"}]}, UNKNOWN, False),
    ("negated-variant-not-reported",
     {"genomic": {"hugo_symbol": "EGFR", "variant_category": "Mutation",
                  "protein_change": "!p.T790M"}},
     {"alterations": [{"gene": "EGFR", "type": "mutation"}]}, UNKNOWN, True),
    ("age-not-known", {"clinical": {"age_numerical": ">=18"}}, {}, UNKNOWN, False),
    ("diagnosis-not-known", {"clinical": {"oncotree_primary_diagnosis": "_SOLID_"}}, {},
     UNKNOWN, False),
    ("negated-diagnosis-not-known",
     {"clinical": {"oncotree_primary_diagnosis": "!Melanoma"}}, {}, UNKNOWN, True),
    ("sex-not-known", {"clinical": {"gender": "Male"}}, {}, UNKNOWN, False),
    ("tmb-not-measured", {"clinical": {"tmb_numerical": ">=10"}}, {}, UNKNOWN, False),
    ("msi-not-measured", {"genomic": {"ms_status": "MSI-H"}}, {}, UNKNOWN, False),
    ("negated-msi-not-measured", {"genomic": {"ms_status": "!MSI-H"}}, {}, UNKNOWN, True),
    ("msi-and-mmr-are-two-facts", {"genomic": {"ms_status": "MSI-H"}},
     {"biomarkers": {"mmr": "dMMR"}}, UNKNOWN, True),
    ("unknown-inside-or",
     {"or": [EGFR_L858R, {"clinical": {"age_numerical": ">=18"}}]},
     {"age": 12, "alterations": [{"gene": "EGFR", "type": "mutation"}]}, UNKNOWN, False),
    ("wildtype-without-a-wildtype-record",
     {"genomic": {"hugo_symbol": "KRAS", "wildtype": True}}, {"tested_genes": ["KRAS"]},
     MET, False),
    ("wildtype-gene-off-panel", {"genomic": {"hugo_symbol": "KRAS", "wildtype": True}},
     {"tested_genes": ["EGFR"]}, UNKNOWN, False),
    ("wildcard-is-any-change-at-the-codon",
     {"genomic": {"hugo_symbol": "BRAF", "variant_category": "Mutation",
                  "wildcard_protein_change": "p.V600"}},
     {"alterations": [{"gene": "BRAF", "type": "mutation", "protein": "p.V600_K601delinsE"}]},
     MET, False),
    ("exon-with-a-protein-change",
     {"genomic": {"hugo_symbol": "EGFR", "variant_category": "Mutation",
                  "protein_change": "p.L858R", "exon": 19}},
     {"alterations": [{"gene": "EGFR", "type": "mutation", "protein": "p.L858R", "exon": 21}]},
     MET, False),
    ("field-kept-for-review-in-and",
     {"genomic": {"hugo_symbol": "EGFR", "variant_category": "Mutation",
                  "variant_classification": "In_Frame_Del"}},
     {"alterations": [{"gene": "EGFR", "type": "mutation", "protein": "p.L858R"}]}, MET, False),
    ("field-kept-for-review-under-negation",
     {"genomic": {"hugo_symbol": "EGFR", "variant_category": "!Mutation",
                  "variant_classification": "In_Frame_Del"}},
     {"alterations": [{"gene": "EGFR", "type": "mutation", "protein": "p.L858R"}]},
     NOT_MET, True),
    ("node-not-evaluated",
     {"genomic": {"hugo_symbol": "None", "tobacco_signature": "Yes"}}, {}, REVIEW, False),
    ("receptor-status-evaluated", {"clinical": {"her2_status": "Positive"}},
     {"biomarkers": {"her2": "negative"}}, NOT_MET, True),
    ("low-level-copy-number",
     {"genomic": {"hugo_symbol": "ERBB2", "cnv_call": "Low Amplification"}},
     {"alterations": [{"gene": "ERBB2", "type": "amplification"}]}, REVIEW, False),
]


@pytest.mark.parametrize("node, patient, ours, matchminer",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_trialmatch_value(node, patient, ours, matchminer):
    value = evaluate(_tree(node), _facts(patient), ONT)
    assert value == ours
    # where both are decided (met / not met) the two engines differ, or the case would not
    # be listed: an agreeing case is not a difference
    assert value is None or value == UNKNOWN or (value == MET) != matchminer


def test_every_case_is_documented():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "ctml-semantics.md").read_text()
    for case in CASES:
        assert f"`{case[0]}`" in doc, case[0]
    assert "`suspended-arm-closes-its-dose-levels`" in doc
    assert "`top-level-match-is-its-own-cohort`" in doc


def test_suspended_arm_closes_its_dose_levels(tmp_path):
    path = tmp_path / "t.yml"
    path.write_text("protocol_no: T-1\ntreatment_list:\n  step:\n  - step_code: '1'\n"
                    "    arm:\n    - arm_code: A\n      arm_suspended: Y\n      dose_level:\n"
                    "      - level_code: L1\n        level_suspended: N\n        match:\n"
                    "        - clinical: {gender: Female}\n")
    trial, _ = read_ctml(path, ONT)
    assert [(c.id, c.status) for c in trial.cohorts] == [("1/A/L1", "SUSPENDED")]


def test_top_level_match_is_its_own_cohort(tmp_path):
    path = tmp_path / "t.yml"
    path.write_text("protocol_no: T-1\nmatch:\n- clinical: {gender: Female}\n"
                    "treatment_list:\n  step:\n  - step_code: '1'\n    match:\n"
                    "    - clinical: {age_numerical: '>=18'}\n")
    trial, _ = read_ctml(path, ONT)
    assert [c.id for c in trial.cohorts] == ["main", "1"]
