"""Cancer and drug names with the embedded ontology: abbreviations match only as written,
organ names are not diagnoses."""

import pytest

from trialmatch.nlp import parse_eligibility
from trialmatch.nlp.lexicon import is_abbreviation
from trialmatch.ontology import default_ontology
from trialmatch.rules import Diagnosis, PriorTherapy, walk


@pytest.fixture(scope="module")
def real():
    return default_ontology()


def leaves(text, ont, kind):
    trial = parse_eligibility(text, ontology=ont)
    return [n for c in trial.cohorts for n in walk(c.rule) if isinstance(n, kind)]


def codes(text, ont):
    return sorted({n.code for n in leaves(text, ont, Diagnosis)})


@pytest.mark.parametrize("word", ["ALL", "CUP", "NET"])
def test_capital_abbreviations_are_cancers(real, word):
    assert codes(f"- Patients with {word} in first relapse", real) == [real.cancer_code(word)]


@pytest.mark.parametrize("text", [
    "- All patients must sign informed consent",
    "- all patients with measurable disease",
    "- Tumour tissue from a cup biopsy",
    "- Net weight loss of less than 10%",
    "- Patients with other malignancies are excluded",
    "- EGFR L858R mutation in tumour tissue",
    "- No brain or lung metastases",
    "- Able to read and write",
])
def test_lower_case_words_are_not_cancers(real, text):
    assert codes(text, real) == []


def test_names_still_match_in_any_case(real):
    assert codes("- NON-SMALL CELL LUNG CANCER", real) == codes("- non-small cell lung cancer",
                                                                 real) == ["NSCLC"]
    assert codes("- Patients with B-ALL", real) == [real.cancer_code("B-ALL")]


def test_drug_abbreviations(real):
    assert [n.concept for n in leaves("- Progression on a prior AIs regimen", real, PriorTherapy)] \
        == [real.drug_concept("AIs")]
    assert leaves("- prior treatment: ais", real, PriorTherapy) == []


def test_is_abbreviation():
    assert all(map(is_abbreviation, ["ALL", "NETs", "B-ALL", "mCRPC", "LUAD"]))
    assert not any(map(is_abbreviation, ["All", "Hodgkin", "soft tissue", "AI therapy", "Ph"]))
