"""Curated trial files: the shipped ones load, and every mistake is named by file and line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from trialmatch.errors import InputError
from trialmatch.ingest.curated import load_curated_dir, load_curated_file
from trialmatch.rules import All, Not, Unparsed, parse_text, to_text, walk

ROOT = Path(__file__).resolve().parent.parent
TRIALS = ROOT / "criteria" / "trials"
PATIENTS = ROOT / "examples" / "patients"
OUTCOMES = {"eligible", "possible", "ineligible"}


@pytest.fixture(scope="module")
def shipped():
    return load_curated_dir(TRIALS)


# ----------------------------------------------------------------------------- shipped trials

def test_every_shipped_trial_loads(shipped):
    files = sorted(p for p in TRIALS.iterdir() if p.suffix in (".yaml", ".yml"))
    assert len(shipped) == len(files) >= 28
    for path in files:
        trial = load_curated_file(path)
        assert trial.source == f"criteria/trials/{path.name}"
        assert path.stem == trial.trial_id, "one trial per file, named by its id"


def test_trial_ids_are_unique(shipped):
    ids = [t.trial_id for t in shipped]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("TM-") for i in ids)


def test_every_rule_round_trips_through_the_text_form(shipped):
    for trial in shipped:
        for cohort in trial.cohorts:
            assert parse_text(to_text(cohort.rule)) == cohort.rule, (trial.trial_id, cohort.id)


def test_every_criterion_carries_its_words_and_line(shipped):
    for trial in shipped:
        for cohort in trial.cohorts:
            assert isinstance(cohort.rule, All)
            for item in cohort.rule.items:
                prov = item.prov
                assert prov is not None and prov.text, (trial.trial_id, to_text(item))
                assert prov.section in ("inclusion", "exclusion")
                assert prov.source.startswith(f"{trial.source}:")
                if prov.section == "exclusion":
                    assert isinstance(item, Not)


def test_shipped_trials_leave_work_for_manual_review(shipped):
    for trial in shipped:
        assert all(trial.manual_review(c) > 0 for c in trial.cohorts), trial.trial_id


def test_shipped_trials_cover_the_leaf_kinds(shipped):
    kinds = {n.kind for t in shipped for c in t.cohorts for n in walk(c.rule)}
    assert kinds >= {"all", "any", "not", "alteration", "fusion", "signature", "measurement",
                     "diagnosis", "age", "sex", "performance", "prior_therapy", "unparsed"}


def test_shipped_rules_use_names_the_embedded_ontology_knows(shipped):
    from trialmatch.ontology import load_ontology

    ont = load_ontology()
    unknown = set()
    for trial in shipped:
        for node in (n for c in trial.cohorts for n in walk(c.rule)):
            if node.kind == "diagnosis" and node.code not in ont.cancers:
                unknown.add(("cancer", node.code))
            if node.kind in ("alteration", "fusion") and node.gene not in ont.genes \
                    and node.gene not in ont.families:
                unknown.add(("gene", node.gene))
            if node.kind == "alteration" and node.variant and not any(
                    c.isdigit() for c in node.variant) and node.variant != "ITD" \
                    and ont.variant_group(node.gene, node.variant) is None:
                unknown.add(("variant group", f"{node.gene} {node.variant}"))
            if node.kind == "prior_therapy" and node.concept not in ont.drugs \
                    and node.concept not in ont.drug_classes:
                unknown.add(("drug", node.concept))
    assert not unknown


# ----------------------------------------------------------------------------- building trees

GOOD = """\
id: TM-TEST-001
title: A test trial
phase: PHASE2
status: RECRUITING
conditions: [Non-Small Cell Lung Cancer]
inclusion:
  - text: Stage IV NSCLC
    rule: diagnosis(NSCLC)
  - text: Adequate organ function
exclusion:
  - text: Known EGFR T790M
    rule: alteration(EGFR, mutation, variant=T790M)
cohorts:
  - id: A
    label: exon 19 deletion
    inclusion:
      - rule: alteration(EGFR, mutation, variant=exon19del)
    exclusion:
      - text: Prior EGFR TKI
        rule: prior(egfr_tki)
  - id: B
    status: SUSPENDED
"""


def write(tmp_path: Path, text: str, name: str = "trial.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_cohort_tree_is_shared_then_own_inclusion_then_exclusions(tmp_path):
    trial = load_curated_file(write(tmp_path, GOOD))
    assert [c.id for c in trial.cohorts] == ["A", "B"]
    assert trial.cohorts[1].status == "SUSPENDED"
    assert to_text(trial.cohorts[0].rule) == (
        'all(diagnosis(NSCLC), unparsed("Adequate organ function"), '
        "alteration(EGFR, mutation, variant=exon19del), "
        "not(alteration(EGFR, mutation, variant=T790M)), not(prior(egfr_tki)))")
    items = trial.cohorts[0].rule.items
    assert items[0].prov.source.endswith("trial.yaml:7")
    assert items[1] == Unparsed("Adequate organ function")
    assert items[1].prov.section == "inclusion"
    assert items[2].prov.text == "alteration(EGFR, mutation, variant=exon19del)"
    assert items[3].prov.section == "exclusion" and items[3].item.prov.text == "Known EGFR T790M"


def test_no_cohorts_means_one_main_cohort(tmp_path):
    text = GOOD.split("cohorts:")[0]
    trial = load_curated_file(write(tmp_path, text))
    assert [c.id for c in trial.cohorts] == ["main"]


# ----------------------------------------------------------------------------- errors

def problems_of(path: Path) -> str:
    with pytest.raises(InputError) as info:
        load_curated_file(path)
    return str(info.value)


def test_bad_yaml_syntax_names_the_line(tmp_path):
    path = write(tmp_path, """\
        id: TM-TEST-001
        title: A test trial
        inclusion:
          - text: Stage IV NSCLC
           rule: diagnosis(NSCLC)
        """)
    msg = problems_of(path)
    assert f"{path}:5: invalid YAML" in msg
    assert "Traceback" not in msg


def test_unknown_field_names_the_line(tmp_path):
    path = write(tmp_path, GOOD.replace("status: RECRUITING\n", "status: RECRUITING\nsponsor: X\n"))
    assert f"{path}:5: unknown field 'sponsor' in trial" in problems_of(path)


def test_misspelt_field_gets_a_suggestion(tmp_path):
    path = write(tmp_path, GOOD.replace("    rule: diagnosis(NSCLC)", "    rul: diagnosis(NSCLC)"))
    assert f"{path}:8: unknown field 'rul' in inclusion criterion (did you mean 'rule'?)" \
        in problems_of(path)


def test_bad_rule_names_the_line_and_the_rule_error(tmp_path):
    path = write(tmp_path, GOOD.replace("rule: prior(egfr_tki)", "rule: prior(egfr_tki"))
    msg = problems_of(path)
    assert f"{path}:20: rule does not parse: " in msg
    assert "of rule: prior(egfr_tki" in msg


def test_empty_file(tmp_path):
    path = write(tmp_path, "# nothing here yet\n")
    assert f"{path}:1: empty file" in problems_of(path)


def test_duplicate_cohort_id_names_the_second(tmp_path):
    path = write(tmp_path, GOOD.replace("  - id: B\n", "  - id: A\n"))
    assert f"{path}:21: duplicate cohort id 'A' (first at line 14)" in problems_of(path)


def test_unknown_phase_and_status_and_missing_title(tmp_path):
    text = GOOD.replace("phase: PHASE2", "phase: Phase 2").replace(
        "status: RECRUITING", "status: OPEN").replace("title: A test trial\n", "")
    path = write(tmp_path, text)
    msg = problems_of(path)
    assert f"{path}:1: trial has no 'title' (required)" in msg
    assert f"{path}:2: unknown phase 'Phase 2'" in msg
    assert f"{path}:3: unknown status 'OPEN'" in msg


def test_all_problems_of_a_file_are_listed(tmp_path):
    text = GOOD.replace("phase: PHASE2", "phase: 2").replace(
        "rule: diagnosis(NSCLC)", "rule: diagnosis(NSCLC) and").replace("  - id: B\n", "  - id: A\n")
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_curated_file(path)
    lines = [p.split(": ", 1)[0] for p in info.value.problems]
    assert lines == [f"{path}:3", f"{path}:8", f"{path}:21"]


def test_wrongly_typed_fields(tmp_path):
    text = GOOD.replace("conditions: [Non-Small Cell Lung Cancer]", "conditions: {a: 1}").replace(
        "  - text: Adequate organ function", "  - Adequate organ function")
    path = write(tmp_path, text)
    msg = problems_of(path)
    assert f"{path}:5: trial field 'conditions' must be a list, found a mapping" in msg
    assert f"{path}:9: each inclusion criterion is a mapping" in msg


def test_duplicate_trial_ids_across_a_folder(tmp_path):
    write(tmp_path, GOOD, "a.yaml")
    b = write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(InputError) as info:
        load_curated_dir(tmp_path)
    assert f"{b}:1: duplicate trial id 'TM-TEST-001'" in str(info.value)


def test_a_folder_reports_every_bad_file(tmp_path):
    a = write(tmp_path, "", "a.yaml")
    b = write(tmp_path, "id: [\n", "b.yml")
    write(tmp_path, GOOD, "c.yaml")
    (tmp_path / "notes.txt").write_text("not a trial")
    with pytest.raises(InputError) as info:
        load_curated_dir(tmp_path)
    assert [p.split(":")[0] for p in info.value.problems] == [str(a), str(b)]


# ----------------------------------------------------------------------------- example patients

def test_example_patients_name_existing_trials(shipped):
    ids = {t.trial_id for t in shipped}
    seen: dict[str, int] = {}
    files = sorted(PATIENTS.glob("*.json"))
    assert len(files) >= 12
    for path in files:
        patient = json.loads(path.read_text(encoding="utf-8"))
        expected = patient["_expected"]
        assert len(expected) >= 3, path.name
        assert set(expected) <= ids, (path.name, set(expected) - ids)
        assert set(expected.values()) <= OUTCOMES, path.name
        for outcome in expected.values():
            seen[outcome] = seen.get(outcome, 0) + 1
    assert all(seen.get(o, 0) >= 10 for o in OUTCOMES), seen


def test_example_cohort_holds_every_example_patient():
    lines = (ROOT / "examples" / "cohort.jsonl").read_text(encoding="utf-8").splitlines()
    cohort = [json.loads(line) for line in lines if line.strip()]
    files = {json.loads(p.read_text(encoding="utf-8"))["id"]: p
             for p in PATIENTS.glob("*.json")}
    assert [p["id"] for p in cohort] == sorted(files)
    for record in cohort:
        original = json.loads(files[record["id"]].read_text(encoding="utf-8"))
        assert record == {k: v for k, v in original.items() if not k.startswith("_")}
