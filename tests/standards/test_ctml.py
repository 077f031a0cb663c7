"""MatchMiner CTML in and out: every shared fixture reads, bad files are refused with their
line, the round trip CTML -> tree -> CTML -> tree keeps the tree, loaded trials are matched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import ROOT, shared
from trialmatch.app.find import find
from trialmatch.app.load import load_files
from trialmatch.cli.app import main
from trialmatch.errors import InputError
from trialmatch.ingest.ctml import is_ctml_file, read_ctml
from trialmatch.ingest.ctml_export import export_trial
from trialmatch.ontology import default_ontology
from trialmatch.rules.dsl import to_text

ONT = default_ontology()
EXAMPLE = ROOT / "examples" / "standards" / "trial.ctml.yml"
SHARED_FILES = ["00-001.yml", "00-002.yml", "00-003.yml", "00-004.yml", "00-005.yml",
                "all_closed.json", "all_closed_trial_closed.json", "all_open.json",
                "closed_dose.json", "closed_step_arm.json", "massive_match_clause.json",
                "older_than_18.json", "run_log_arm_closed.json", "run_log_arm_open.json",
                "run_log_arm_open_criteria_change.json", "run_log_two_arms.json",
                "signatures.json", "structured_sv.json", "tmb.json", "unstructured_sv.json",
                "wildcard_protein_found.json", "wildcard_protein_not_found.json",
                "younger_than_18.json"]


def _shape(trial):
    return [(c.id, c.rule, c.status, c.label) for c in trial.cohorts]


def _round_trip(trial, tmp_path: Path):
    doc = export_trial(trial, ONT)
    assert doc.warnings == []
    out = tmp_path / "again.json"
    out.write_text(json.dumps(doc.document))
    again, _ = read_ctml(out, ONT)
    return again


@pytest.mark.parametrize("name", SHARED_FILES)
def test_every_shared_fixture_reads_and_round_trips(name, tmp_path):
    path = shared("ctml", name)
    assert is_ctml_file(path)
    trial, _ = read_ctml(path, ONT)
    assert trial.cohorts
    again = _round_trip(trial, tmp_path)
    assert _shape(again) == _shape(trial)
    assert (again.trial_id, again.status, again.phase) == (trial.trial_id, trial.status,
                                                           trial.phase)


def test_the_shared_folder_has_no_fixture_we_do_not_test():
    folder = shared("ctml")
    names = {p.name for p in folder.iterdir()}
    assert names == set(SHARED_FILES) | {"bad-schema.yml", "00-000.yml"}


def test_bad_schema_is_refused_with_file_and_line(capsys, tmp_path):
    path = shared("ctml", "bad-schema.yml")
    with pytest.raises(InputError) as exc:
        read_ctml(path, ONT)
    assert exc.value.problems[0].startswith(f"{path}:180: /treatment_list/step/1/arm/0/"
                                            "arm_internal_id: duplicate arm_internal_id")
    assert main(["load", str(path), "--db", str(tmp_path / "x.duckdb")]) == 2
    assert f"{path}:180:" in capsys.readouterr().err


def test_a_fixture_that_is_not_yaml_is_refused_with_its_line():
    path = shared("ctml", "00-000.yml")  # its first line is "age; Adults"
    with pytest.raises(InputError, match=r"00-000\.yml:2: invalid YAML"):
        read_ctml(path, ONT)


@pytest.mark.parametrize("suffix", [".yml", ".json"])
def test_an_unknown_field_names_file_line_and_pointer(tmp_path, suffix):
    doc = {"protocol_no": "T-1", "treatment_list": {"step": [{"step_code": "1", "match": [
        {"and": [{"genomic": {"hugo_symbol": "EGFR", "protien_change": "p.L858R"}}]}]}]}}
    path = tmp_path / f"t{suffix}"
    path.write_text(json.dumps(doc, indent=1))
    with pytest.raises(InputError) as exc:
        read_ctml(path, ONT)
    (line,) = exc.value.problems
    assert "/treatment_list/step/0/match/0/and/0/genomic/protien_change: unknown CTML " \
           "genomic field 'protien_change'" in line
    assert line.startswith(f"{path}:")
    assert line.split(":")[1].isdigit()


def test_an_unknown_node_kind_is_refused(tmp_path):
    path = tmp_path / "t.yml"
    path.write_text("protocol_no: T-2\ntreatment_list:\n  step:\n  - step_code: '1'\n"
                    "    match:\n    - xor:\n      - clinical: {gender: Male}\n")
    with pytest.raises(InputError, match=r"t\.yml:6: /treatment_list/step/0/match/0/xor: "
                                         "unknown CTML node 'xor'"):
        read_ctml(path, ONT)


def test_suspended_flags_become_cohort_status():
    statuses = {}
    for name in ("all_open.json", "closed_dose.json", "closed_step_arm.json"):
        trial, _ = read_ctml(shared("ctml", name), ONT)
        statuses[name] = {c.id: c.status for c in trial.cohorts}
    assert statuses["all_open.json"] == {"1": None, "1/ARM 1": None, "1/ARM 1/LEVEL 1": None}
    assert statuses["closed_dose.json"] == {"1": None, "1/ARM 1": None,
                                           "1/ARM 1/LEVEL 1": "SUSPENDED"}
    # every arm suspended closes the step; a suspended arm closes its dose levels
    assert set(statuses["closed_step_arm.json"].values()) == {"SUSPENDED"}


def test_our_example_reads_as_its_comments_say(tmp_path):
    trial, notes = read_ctml(EXAMPLE, ONT)
    assert notes == []
    rules = {c.id: to_text(c.rule) for c in trial.cohorts}
    assert rules["1/A"] == (
        "all(all(all(diagnosis(NSCLC), age >= 18), any(alteration(EGFR, mutation, "
        "variant=L858R), alteration(EGFR, mutation, variant=E746_A750del)), "
        "not(alteration(EGFR, mutation, variant=T790M))))")
    assert rules["1/B"] == ("all(all(all(diagnosis(SOLID), sex = female), "
                            "alteration(BRAF, mutation, variant=V600)))")
    assert "not(fusion(ALK))" in rules["1/C"] and "signature(dMMR)" in rules["1/C"]
    assert "not(alteration(ERBB2, amplification))" in rules["1/C"]
    assert 'unparsed("clinical: {\\"disease_status\\": [\\"Metastatic\\"]}"' in rules["1/C"]
    assert {c.id: c.status for c in trial.cohorts}["1/B"] == "SUSPENDED"
    assert _shape(_round_trip(trial, tmp_path)) == _shape(trial)


# -- the round trip over generated trees

GENOMIC = [{"hugo_symbol": "EGFR", "variant_category": "Mutation", "protein_change": "p.L858R"},
           {"hugo_symbol": "BRAF", "variant_category": "!Mutation",
            "wildcard_protein_change": "p.V600"},
           {"hugo_symbol": "ERBB2", "variant_category": "Copy Number Variation",
            "cnv_call": "High Amplification"},
           {"hugo_symbol": "CDKN2A", "cnv_call": "Homozygous Deletion"},
           {"hugo_symbol": "MET", "variant_category": "Copy Number Variation"},
           {"hugo_symbol": "KRAS", "variant_category": "Any Variation"},
           {"hugo_symbol": "ALK", "variant_category": "Structural Variation",
            "fusion_partner_hugo_symbol": "EML4"},
           {"hugo_symbol": "FH", "cnv_call": "Low Amplification"},
           {"hugo_symbol": "TP53", "variant_classification": "!Nonsense_Mutation",
            "variant_category": "Mutation"},
           {"ms_status": "!MSI-H"}, {"mmr_status": "MMR-Proficient"},
           {"hugo_symbol": "None", "pole_signature": "Yes"},
           {"hugo_symbol": "KRAS", "wildtype": True}, {"hugo_symbol": "NTRK1"}]
CLINICAL = [{"age_numerical": ">=18"}, {"age_numerical": "<65", "gender": "Female"},
            {"oncotree_primary_diagnosis": "!_LIQUID_"},
            {"oncotree_primary_diagnosis": "Melanoma", "tmb_numerical": ">10"},
            {"er_status": "Positive", "her2_status": "Negative"},
            {"disease_status": ["Metastatic"], "oncotree_primary_diagnosis": "Breast"},
            {"disease_status": ["Advanced"]}, {"molecular_marker_other": ["PD-L1"]}]
LEAVES = st.one_of(st.sampled_from(GENOMIC).map(lambda g: {"genomic": g}),
                   st.sampled_from(CLINICAL).map(lambda c: {"clinical": c}))
TREES = st.recursive(LEAVES, lambda kids: st.one_of(
    st.lists(kids, min_size=1, max_size=3).map(lambda xs: {"and": xs}),
    st.lists(kids, min_size=1, max_size=3).map(lambda xs: {"or": xs})), max_leaves=8)


@given(st.lists(TREES, min_size=1, max_size=2), st.booleans())
def test_round_trip_keeps_any_tree(match, suspended):
    import tempfile

    doc = {"protocol_no": "T-9", "treatment_list": {"step": [{"step_code": "1", "arm": [
        {"arm_code": "A", "arm_suspended": "Y" if suspended else "N", "match": match}]}]}}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "t.json"
        path.write_text(json.dumps(doc))
        trial, _ = read_ctml(path, ONT)
        assert _shape(_round_trip(trial, folder)) == _shape(trial)


def test_two_clinical_nodes_of_unevaluated_fields_stay_two(tmp_path):
    match = [{"and": [{"clinical": {"disease_status": ["Advanced"]}},
                      {"clinical": {"molecular_marker_other": ["PD-L1"]}}]}]
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"protocol_no": "T-4", "treatment_list": {"step": [
        {"step_code": "1", "match": match}]}}))
    trial, _ = read_ctml(path, ONT)
    assert _shape(_round_trip(trial, tmp_path)) == _shape(trial)


def test_an_unknown_diagnosis_name_is_kept_for_review_and_noted(tmp_path):
    path = tmp_path / "t.yml"
    path.write_text("protocol_no: T-3\ntreatment_list:\n  step:\n  - step_code: '1'\n"
                    "    match:\n    - clinical:\n        oncotree_primary_diagnosis: "
                    "Test Diagnosis\n        age_numerical: '>=18'\n")
    trial, notes = read_ctml(path, ONT)
    assert to_text(trial.cohorts[0].rule) == (
        'all(all(age >= 18, unparsed("clinical: {\\"oncotree_primary_diagnosis\\": '
        '\\"Test Diagnosis\\"}", reason="ctml: not evaluated by trialmatch")))')
    assert notes == [f"{path}:6: /treatment_list/step/0/match/0/clinical/"
                     "oncotree_primary_diagnosis: not an OncoTree name trialmatch knows; kept "
                     "for manual review"]


# -- stored and matched

def test_a_loaded_ctml_trial_is_matched_with_its_curated_rules(tmp_path):
    db = tmp_path / "ctml.duckdb"
    summary = load_files([EXAMPLE], db)
    assert (summary.trials, summary.problems) == (1, [])
    patient = tmp_path / "p.json"
    patient.write_text(json.dumps({
        "id": "P-CTML", "age": 61, "sex": "male", "diagnosis": {"oncotree": "LUAD"},
        "alterations": [{"gene": "EGFR", "type": "mutation", "protein": "p.L858R"}],
        "tested_genes": ["EGFR", "KRAS", "ALK", "ERBB2", "BRAF"]}))
    report = find(patient, db=db, include_ineligible=True)
    mine = [m for m in report.results[0]["matches"] if m["trial_id"] == "TM-CTML-0001"]
    assert [(m["cohort"], m["status"]) for m in mine] == [("1/A", "eligible")]


def test_export_cli_writes_ctml_that_reads_back_the_same(tmp_path, capsys):
    db = tmp_path / "ctml.duckdb"
    assert main(["load", str(EXAMPLE), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["export", "TM-CTML-0001", "--format", "ctml", "--db", str(db)]) == 0
    out = tmp_path / "out.json"
    out.write_text(capsys.readouterr().out)
    again, _ = read_ctml(out, ONT)
    trial, _ = read_ctml(EXAMPLE, ONT)
    assert _shape(again) == _shape(trial)
    assert main(["export", "NCT00000000", "--db", str(db)]) == 2


def test_export_of_a_parsed_trial_warns_for_what_ctml_cannot_say():
    from trialmatch.rules.dsl import parse_text
    from trialmatch.rules.trial import Cohort, Trial

    rule = parse_text("all(diagnosis(NSCLC), ecog <= 1, prior(platinum), "
                      "not(any(alteration(EGFR, mutation), fusion(ALK))))")
    doc = export_trial(Trial("NCT01234567", (Cohort("main", rule),)), ONT)
    assert doc.document["match"] == [
        {"clinical": {"oncotree_primary_diagnosis": "Non-Small Cell Lung Cancer"}},
        {"and": [{"genomic": {"hugo_symbol": "EGFR", "variant_category": "!Mutation"}},
                 {"genomic": {"hugo_symbol": "ALK",
                              "variant_category": "!Structural Variation"}}]}]
    assert len(doc.warnings) == 2
    assert doc.warnings[0].startswith("cohort main/1: performance criterion")
