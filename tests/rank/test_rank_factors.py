"""Each ranking factor orders matches as documented, and explains itself.

cancer type: same node > ancestor by distance > tissue > solid / haematologic > any;
fewer unknown criteria first; recruiting first; later phase first. Runs on the embedded
ontology (the mini one while its files are absent).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trialmatch.app.catalog import replace_trials
from trialmatch.app.find import match_patients
from trialmatch.ontology import Ontology, load_ontology
from trialmatch.resources import data_dir
from trialmatch.rules.dsl import parse_text
from trialmatch.rules.facts import Finding, PatientFacts
from trialmatch.rules.trial import Cohort, Trial
from trialmatch.store.db import Store

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_ontology"


@pytest.fixture(scope="module")
def ont() -> Ontology:
    if (data_dir("ontologies") / "cancer_types.tsv").exists():
        return load_ontology()
    return load_ontology(MINI)


def rank(ont, rules: dict[str, str], person: PatientFacts, **meta) -> list[dict]:
    trials = [Trial(tid, (Cohort("main", parse_text(rule)),), **meta.get(tid, {}))
              for tid, rule in rules.items()]
    with Store(memory=True) as store:
        replace_trials(store, ont, trials, "test")
        return match_patients(store, ont, [person], include_ineligible=True)[person.id]


def part(match: dict, factor: str) -> dict:
    return next(p for p in match["score_parts"] if p["factor"] == factor)


def test_cancer_type_closeness_orders_trials(ont):
    code = "HGSOC" if "HGSOC" in ont.cancers else "LUAD"
    chain = sorted(ont.cancer_ancestors(code).items(), key=lambda kv: kv[1])
    tissue = ont.tissue_of(code)
    upper = [c for c, d in chain if d > 0 and c != tissue and c not in ("SOLID", "TISSUE")]
    rules = {"A-same": f"diagnosis({code})", "B-parent": f"diagnosis({upper[0]})",
             "E-tissue": f"diagnosis({tissue})", "F-solid": "diagnosis(SOLID)",
             "G-any": "age >= 18"}
    if len(upper) > 1:
        rules["C-grandparent"] = f"diagnosis({upper[1]})"
    person = PatientFacts("P1", oncotree=code, numbers={"age": (50.0, 50.0)})
    matches = rank(ont, rules, person)
    assert [m["trial_id"] for m in matches] == sorted(rules)
    scores = [m["score"] for m in matches]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)
    same, parent = matches[0], matches[1]
    assert part(same, "cancer_type")["via"] == [code]
    assert part(parent, "cancer_type")["via"] == [code, upper[0]]
    assert part(parent, "cancer_type")["criterion"] is None  # no words in a built tree
    assert "level(s) up" in part(parent, "cancer_type")["why"]


def test_a_coarser_patient_code_is_possible_and_explained(ont):
    person = PatientFacts("P1", oncotree="LUNG")
    (m,) = rank(ont, {"T": "diagnosis(LUAD)"}, person)
    assert m["status"] == "possible"
    cancer = part(m, "cancer_type")
    assert "coarser" in cancer["why"] and cancer["via"][0] == "LUAD" and cancer["via"][-1] == \
        "LUNG"


def test_unknown_criteria_recruitment_and_phase_break_ties(ont):
    person = PatientFacts("P1", oncotree="LUAD", numbers={"age": (50.0, 50.0)})
    rules = {"T1": "all(diagnosis(NSCLC), age >= 18)",
             "T2": "all(diagnosis(NSCLC), age >= 18, pdl1_tps >= 50)",
             "T3": "all(diagnosis(NSCLC), age >= 18, pdl1_tps >= 50, tmb >= 10)"}
    assert [m["trial_id"] for m in rank(ont, rules, person)] == ["T1", "T2", "T3"]
    same = {t: "all(diagnosis(NSCLC), age >= 18)" for t in ("A", "B", "C")}
    meta = {"A": {"status": "ACTIVE_NOT_RECRUITING", "phase": "PHASE3"},
            "B": {"status": "RECRUITING", "phase": "PHASE1"},
            "C": {"status": "RECRUITING", "phase": "PHASE3"}}
    assert [m["trial_id"] for m in rank(ont, same, person, **meta)] == ["C", "B", "A"]


def test_specificity_part_names_the_criterion_and_the_path(ont):
    person = PatientFacts("P1", findings=(Finding("EGFR", "mutation", "L858R", "L858", None,
                                                   21),))
    matches = rank(ont, {"EXACT": "alteration(EGFR, mutation, variant=L858R)",
                         "GROUP": "alteration(EGFR, mutation, variant=sensitizing)",
                         "GENE": "alteration(EGFR, mutation)"}, person)
    assert [m["trial_id"] for m in matches] == ["EXACT", "GROUP", "GENE"]
    group = part(matches[1], "specificity")
    assert group["why"] == "named variant group"
    assert group["via"] == ["EGFR", "L858R", "EGFR sensitizing"]


def test_a_criterion_stated_twice_is_reported_once(ont):
    person = PatientFacts("P", oncotree="LUAD", findings=(Finding("EGFR", "mutation",
                                                                  protein="L858R"),))
    rule = ("all(diagnosis(NSCLC), alteration(EGFR, mutation, variant=L858R), "
            "diagnosis(NSCLC), pdl1_tps >= 50, pdl1_tps >= 50)")
    match = rank(ont, {"T1": rule}, person)[0]
    criteria = [r["criterion"] for r in match["reasons"]]
    assert len(criteria) == len(set(criteria)) == 2
    assert len(match["unknown"]) == 1
