"""Items that name only a histology narrow the cancer the cohort studies (nlp.histology)."""

from __future__ import annotations

import pytest

from trialmatch.ingest.record import Record
from trialmatch.nlp.parse import parse_record
from trialmatch.ontology import default_ontology
from trialmatch.rules import to_text
from trialmatch.rules.evaluate import evaluate, status_of
from trialmatch.rules.facts import PatientFacts


def _rule(text: str, conditions: tuple[str, ...] = ()) -> str:
    record = Record(nct_id="NCT99990011", eligibility=text, conditions=conditions)
    return to_text(parse_record(record, default_ontology()).cohorts[0].rule)


@pytest.mark.parametrize(("text", "conditions", "expected"), [
    # the subtype of the type the inclusion names
    ("Inclusion Criteria:\n- Metastatic non-small cell lung cancer\nExclusion Criteria:\n"
     "- Mostly squamous-cell histology", (),
     "all(diagnosis(NSCLC), not(diagnosis(LUSC)))"),
    # the type may come from the record's conditions only
    ("Inclusion Criteria:\n- Measurable disease\nExclusion Criteria:\n"
     "- Patients with squamous cell histology are excluded", ("Esophageal Cancer",),
     "not(diagnosis(ESCC))"),
    # as an inclusion item it is required
    ("Inclusion Criteria:\n- Stage IV lung cancer\n- Squamous histology", (),
     "diagnosis(LUSC)"),
])
def test_a_histology_item_is_the_subtype_of_the_required_type(text, conditions, expected):
    assert expected in _rule(text, conditions)


@pytest.mark.parametrize("text", [
    # a word that names no subtype of the required type stays for manual review
    "Inclusion Criteria:\n- Advanced colorectal cancer\nExclusion Criteria:\n- Small cell histology",
    # a cohort that requires no cancer type gives the histology nothing to narrow
    "Inclusion Criteria:\n- Adults\nExclusion Criteria:\n- Squamous cell histology",
    # a longer sentence is not a bare histology item
    "Inclusion Criteria:\n- Metastatic NSCLC\nExclusion Criteria:\n"
    "- Squamous histology unless the tumour was tested and found to carry no EGFR change",
])
def test_other_items_stay_for_manual_review(text):
    assert "unparsed(" in _rule(text)


def test_the_excluded_subtype_decides_the_status():
    record = Record(nct_id="NCT99990012", eligibility=(
        "Inclusion Criteria:\n- Advanced NSCLC\nExclusion Criteria:\n- Squamous cell histology"))
    rule = parse_record(record, default_ontology()).cohorts[0].rule
    ontology = default_ontology()

    def status(code: str) -> str:
        return status_of(evaluate(rule, PatientFacts("P", oncotree=code), ontology))

    assert status("LUSC") == "ineligible"
    assert status("LUAD") == "eligible"
    assert status("NSCLC") == "possible"  # histology not reported
