"""Oncology vocabulary of the embedded ontology read from criteria text: drugs named by INN,
brand or research code, drug classes, and tumour types below the tissue level.

The criteria are written for these tests; they name the new words the way eligibility text
does, and the expected trees are what the parser makes of them with the embedded ontology."""

from __future__ import annotations

import pytest
from ontology_helpers import make_patient, statuses, trial

from trialmatch.nlp import parse_eligibility
from trialmatch.ontology import load_ontology
from trialmatch.rules import to_text


@pytest.fixture(scope="module")
def embedded():
    return load_ontology()


def tree(text: str, ont) -> str:
    parsed = parse_eligibility(text, ontology=ont)
    assert [c.id for c in parsed.cohorts] == ["main"]
    return to_text(parsed.cohorts[0].rule)


@pytest.mark.parametrize(("text", "expected"), [
    # a class and an example of it, the example by research code
    ("- No earlier treatment with an HSP90 inhibitor such as luminespib",
     "all(not(any(prior(hsp90_inhibitor), prior(luminespib))))"),
    ("- Prior AUY922 is not allowed", "all(not(prior(luminespib)))"),
    ("- Disease progressed on ganetespib", "all(prior(ganetespib))"),
    ("- No previous IGF-1R inhibitor", "all(not(prior(igf1r_inhibitor)))"),
    ("- No prior IDO1 inhibitor", "all(not(prior(ido1_inhibitor)))"),
    ("- No prior epothilone", "all(not(prior(epothilone)))"),
    ("- Previously treated with tivantinib", "all(prior(tivantinib))"),
    ("- No prior estramustine", "all(not(prior(estramustine)))"),
])
def test_new_drugs_and_classes_are_read(text, expected, embedded):
    assert tree(text, embedded) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("- Histologically confirmed inflammatory breast carcinoma", "all(diagnosis(IBC))"),
    ("- Confirmed diagnosis of AL amyloidosis", "all(diagnosis(MIDDA))"),
    ("- Nodular sclerosis Hodgkin lymphoma", "all(diagnosis(NSCHL))"),
    ("- Diagnosis of double-hit lymphoma", "all(diagnosis(HGBCLMYCBCL2))"),
    ("- Germinal center B-cell DLBCL", "all(diagnosis(GCB))"),
    ("- Epithelioid haemangioendothelioma", "all(diagnosis(EHAE))"),
    ("- Group 3 medulloblastoma", "all(diagnosis(MBLG3))"),
    ("- Rectal carcinoid", "all(diagnosis(RWDNET))"),
])
def test_new_tumour_types_are_read(text, expected, embedded):
    assert tree(text, embedded) == expected


def test_bare_name_of_an_antibody_drug_conjugate_is_the_conjugate(embedded):
    assert embedded.drug_concept("brentuximab") == "brentuximab vedotin"
    assert embedded.drug_concept("AUY922") == "luminespib"
    assert embedded.drug_concept("17-AAG") == "tanespimycin"


def test_hsp90_exclusion_excludes_a_patient_treated_under_a_research_code(embedded):
    people = [make_patient(embedded, id=f"P-{d}", prior_therapies=[d])
              for d in ("AUY922", "onalespib", "carboplatin")]
    got = statuses(embedded, [trial("T-NO-HSP90", "not(prior(hsp90_inhibitor))")], people)
    assert got[("P-AUY922", "T-NO-HSP90")] == "ineligible"
    assert got[("P-onalespib", "T-NO-HSP90")] == "ineligible"
    assert got[("P-carboplatin", "T-NO-HSP90")] == "eligible"


def test_inflammatory_breast_cancer_is_a_breast_tumour_but_not_every_breast_carcinoma(embedded):
    ibc = make_patient(embedded, id="P-IBC", diagnosis={"oncotree": "IBC"})
    brca = make_patient(embedded, id="P-BRCA", diagnosis={"oncotree": "BRCA"})
    got = statuses(embedded, [trial("T-BREAST", "diagnosis(BREAST)"),
                              trial("T-NO-IBC", "not(diagnosis(IBC))")], [ibc, brca])
    assert got[("P-IBC", "T-BREAST")] == "eligible"
    assert got[("P-IBC", "T-NO-IBC")] == "ineligible"
    assert got[("P-BRCA", "T-NO-IBC")] == "eligible"
