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
    # (NET, an umbrella name, also covers the neuroendocrine tumours of named sites)
    assert real.cancer_code(word) in codes(f"- Patients with {word} in first relapse", real)


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


def test_close_spellings_of_cancer_names(real):
    assert codes("- Acute myeloid leukaemia", real) == ["AML"]
    assert codes("- Hepatocellular carcinomas", real) == [real.cancer_code("hepatocellular carcinoma")]
    assert codes("- basal or squamous cell carcinoma", real) != [real.cancer_code("anal squamous cell carcinoma")]
    assert real.cancer_code("oral squamous cell carcinoma") not in codes(
        "- or squamous cell carcinoma", real)


def _markers(text, ont):
    from trialmatch.nlp import biomarkers

    return [(b["gene"], b["alteration"], b["polarity"])
            for b in biomarkers(parse_eligibility(text, ontology=ont))]


def test_a_cancer_name_keeps_the_biomarker_inside_it(real):
    assert codes("- Ph+ ALL", real) == ["BLL", "TLL"]  # (B- or T-lymphoblastic: umbrellas.yaml)
    assert _markers("- Ph+ ALL", real) == [("ABL1", "fusion", "require")]
    assert _markers("- ALK-positive anaplastic large cell lymphoma", real) == \
        [("ALK", "fusion", "require")]
    assert codes("- ALK-positive anaplastic large cell lymphoma", real) == \
        [real.cancer_code("ALK-positive anaplastic large cell lymphoma")]


def test_a_sign_is_not_dropped_from_a_cancer_name(real):
    """"ph+ b-all" is a synonym; "Ph- B-ALL" must not read as it."""
    assert real.cancer_code("Ph+ B-ALL") not in codes("- CD19+ Ph- B-ALL", real)
    assert _markers("- CD19+ Ph- B-ALL", real)[-1] == ("ABL1", "negative", "require")


def test_a_slash_list_names_the_member_genes(real):
    """"RAD51C/D" is also a family synonym; the text names two genes."""
    assert [g for g, _, _ in _markers("- mutations in BRCA1/2, PALB2 or RAD51C/D", real)] == \
        ["BRCA1", "BRCA2", "PALB2", "RAD51C", "RAD51D"]


def test_origin_alone_means_a_variant(real):
    assert _markers("- gBRCA1/2", real) == [("BRCA1", "mutation", "require"),
                                            ("BRCA2", "mutation", "require")]
    assert _markers("- Patients must have had germline BRCA testing", real) == []


def test_code_names_are_read_however_they_are_written():
    """A sponsor's code name with or without its hyphen, with a leading zero dropped or
    added, names the same drug; words that are no code name get no other forms."""
    from trialmatch.nlp.lexicon import code_name_forms

    assert set(code_name_forms("azd 1775")) >= {"azd1775", "azd01775"}
    assert set(code_name_forms("su11248")) >= {"su 11248", "su011248"}
    assert "pf 299804" in code_name_forms("pf 00299804")
    assert code_name_forms("cisplatin") == [] and code_name_forms("t 12") == []
    drugs = leaves("Exclusion Criteria:\n- Earlier AZD-1775, SU011248 or MK3475",
                   default_ontology(), PriorTherapy)
    assert [d.concept for d in drugs] == ["adavosertib", "sunitinib", "pembrolizumab"], drugs
