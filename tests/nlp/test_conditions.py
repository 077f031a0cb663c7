"""A record's conditions stand in for a cancer-type criterion its eligibility text lacks."""

from __future__ import annotations

from trialmatch.ingest.record import Record
from trialmatch.nlp.parse import condition_leaf, parse_record
from trialmatch.ontology import default_ontology
from trialmatch.rules import to_text


def _record(text: str, conditions: tuple[str, ...]) -> Record:
    return Record(nct_id="NCT99990002", eligibility=text, conditions=conditions,
                  min_age=18, min_age_text="18 Years")


def test_conditions_name_cancer_types_with_their_words(ont):
    leaf = condition_leaf(("Non-small Cell Lung Cancer", "Fatigue", "Cancer, Colorectal"), ont)
    assert to_text(leaf) == "any(diagnosis(NSCLC), diagnosis(COADREAD))"
    assert [c.prov.text for c in leaf.children] == ["Non-small Cell Lung Cancer",
                                                     "Cancer, Colorectal"]
    assert {c.prov.source for c in leaf.children} == {"ctgov.conditions"}
    assert condition_leaf(("Hypertension", "Healthy"), ont) is None
    assert condition_leaf((), ont) is None


def test_a_condition_that_is_an_umbrella_name_covers_every_branch():
    # "Melanoma" in the conditions: the skin's, the eye's and the mucosal melanomas
    ont = default_ontology()
    codes = [c.code for c in condition_leaf(("Melanoma",), ont).children]
    assert {"MEL", "OM", "HNMUCM", "ARMM", "VMM"} <= set(codes)
    assert to_text(condition_leaf(("Cutaneous Melanoma",), ont)) == "diagnosis(SKCM)"


def test_mesh_headings_with_two_qualifiers_are_read_in_reverse():
    # "Leukemia, Myelocytic, Acute" names acute myeloid leukaemia, not any leukaemia
    ont = default_ontology()  # the embedded OncoTree (the stub has no leukaemia subtypes)
    leaf = condition_leaf(("Leukemia, Myelocytic, Acute", "Lymphoma, Large B-Cell, Diffuse"), ont)
    assert to_text(leaf) == "any(diagnosis(AML), diagnosis(DLBCLNOS))"
    assert to_text(condition_leaf(("Leukemia, Lymphocytic, Chronic, B-Cell",), ont)) == (
        "diagnosis(CLLSLL)")


def test_mesh_headings_with_one_qualifier_after_a_one_word_head_are_read_in_reverse():
    # "Melanoma, Uveal" is uveal melanoma (not below melanoma in OncoTree), not any melanoma;
    # a heading whose first part is more than a head reads as written
    ont = default_ontology()
    assert to_text(condition_leaf(("Melanoma, Uveal",), ont)) == "diagnosis(UM)"
    assert to_text(condition_leaf(("Lymphoma, Follicular",), ont)) == "diagnosis(FL)"
    assert to_text(condition_leaf(("Neoplasms, Thyroid",), ont)) == "diagnosis(THYROID)"
    assert to_text(condition_leaf(("Breast Cancer, Lung Cancer",), ont)) == (
        "any(diagnosis(BRCA), diagnosis(LUNG))")


def test_mesh_neoplasms_of_sites_metastases_reach_name_no_primary_type():
    # a trial of brain, liver or peritoneal metastases lists these headings: requiring a
    # primary tumour of the site would turn away the patients it studies
    ont = default_ontology()
    for heading in ("Brain Neoplasms", "Central Nervous System Neoplasms", "Liver Neoplasms",
                    "Peritoneal Neoplasms", "Bone Neoplasms", "Pleural Neoplasms"):
        assert condition_leaf((heading,), ont) is None, heading
    assert to_text(condition_leaf(("Kidney Neoplasms",), ont)) == "diagnosis(KIDNEY)"


def test_a_two_letter_abbreviation_is_read_in_a_condition_only_with_a_disease_word():
    ont = default_ontology()
    assert to_text(condition_leaf(("Smouldering MM",), ont)) == "diagnosis(PCM)"
    assert to_text(condition_leaf(("Advanced UM",), ont)) == "diagnosis(UM)"
    assert condition_leaf(("MM",), ont) is None


def test_a_condition_that_is_only_a_lower_case_abbreviation_names_its_cancer():
    ont = default_ontology()
    assert to_text(condition_leaf(("mds", "aml"), ont)) == "any(diagnosis(MDS), diagnosis(AML))"
    assert to_text(condition_leaf(("nsclc",), ont)) == "diagnosis(NSCLC)"
    assert condition_leaf(("mm",), ont) is None  # as in upper case: too short to tell
    assert condition_leaf(("pain", "fatigue"), ont) is None


def test_a_trial_without_a_cancer_type_in_its_text_requires_its_conditions(ont):
    trial = parse_record(_record("Inclusion Criteria:\n- EGFR L858R mutation\n",
                                 ("Non-small Cell Lung Cancer",)), ont)
    rule = trial.cohorts[0].rule
    assert to_text(rule.children[0]) == "age >= 18"
    assert to_text(rule.children[1]) == "diagnosis(NSCLC)"
    assert rule.children[1].prov.section == "structured"


def test_the_trials_own_cancer_type_wins(ont):
    trial = parse_record(_record("Inclusion Criteria:\n- Histologically confirmed melanoma\n",
                                 ("Non-small Cell Lung Cancer",)), ont)
    assert "NSCLC" not in to_text(trial.cohorts[0].rule)
    assert "diagnosis(MEL)" in to_text(trial.cohorts[0].rule)


def test_conditions_narrow_a_generic_solid_tumour():
    """"Any metastatic solid tumour" in the text, "Metastatic Colorectal Cancer" as the only
    condition: the trial studies colorectal cancer (a coordinator reads the conditions too);
    a generic condition beside it ("Cancer"), or a condition outside the type, leaves the
    text's type alone."""
    ont = default_ontology()
    text = "Inclusion Criteria:\n- Histologically confirmed metastatic solid tumour\n"
    narrowed = to_text(parse_record(_record(text, ("Metastatic Colorectal Cancer",)), ont)
                       .cohorts[0].rule)
    assert "diagnosis(COADREAD)" in narrowed and "diagnosis(SOLID)" in narrowed
    for conditions in (("Cancer", "Metastatic Colorectal Cancer"), ("Acute Myeloid Leukemia",)):
        rule = to_text(parse_record(_record(text, conditions), ont).cohorts[0].rule)
        assert "COADREAD" not in rule and "diagnosis(AML)" not in rule, conditions


def test_conditions_leave_a_generic_part_alone_when_another_part_names_them():
    """"Part 1: any advanced solid tumour. Part 2: papillary renal cell carcinoma" with that
    carcinoma as the only condition: the conditions name part 2, and part 1 takes any solid
    tumour as written (a trial of one generic part is still narrowed, as above)."""
    text = ("Inclusion Criteria:\n- Part 1: diagnosis of an advanced solid tumour without curative options\n"
            "- Part 2: diagnosis of advanced papillary renal cell carcinoma\n- Age 18 or older\n")
    trial = parse_record(_record(text, ("Papillary Renal Cell Carcinoma",)), default_ontology())
    rules = {c.id: to_text(c.rule) for c in trial.cohorts}
    assert len(rules) == 2, rules
    generic = [r for r in rules.values() if "diagnosis(SOLID)" in r]
    specific = [r for r in rules.values() if "diagnosis(SOLID)" not in r]
    assert len(generic) == 1 and "PRCC" not in generic[0], rules
    assert len(specific) == 1 and "diagnosis(PRCC)" in specific[0], rules


def test_an_excluded_cancer_type_is_not_a_requirement(ont):
    trial = parse_record(_record("Exclusion Criteria:\n- Lung adenocarcinoma\n",
                                 ("Breast Cancer",)), ont)
    text = to_text(trial.cohorts[0].rule)
    assert "diagnosis(BREAST)" in text and "not(diagnosis(LUAD))" in text


def test_metastases_named_by_their_site_are_any_solid_tumour_unless_their_cancer_is_named():
    # data/conditions.yaml `spread`: the site is where the metastases are, not what they are
    ont = default_ontology()
    assert to_text(condition_leaf(("Liver Metastases",), ont)) == "diagnosis(SOLID)"
    assert to_text(condition_leaf(("Metastatic Brain Tumour",), ont)) == "diagnosis(SOLID)"
    # primary tumours of the same organ beside metastases to it: two populations
    assert to_text(condition_leaf(("Meningioma", "Brain Metastases"), ont)) == (
        "any(diagnosis(MNGT), diagnosis(SOLID))")
    # a cancer of another organ names where the metastases came from
    assert to_text(condition_leaf(("Kidney Cancer", "Bone Metastases"), ont)) == (
        "diagnosis(KIDNEY)")
    assert to_text(condition_leaf(("Brain Tumour",), ont)) == "diagnosis(BRAIN)"


def test_a_generic_cancer_condition_requires_any_cancer(ont):
    # a supportive-care record ("Cancer", "Nausea") whose text names no cancer type: its
    # population is any cancer patient, not one trialmatch cannot recognise
    assert to_text(condition_leaf(("Cancer", "Nausea"), ont)) == "diagnosis(TISSUE)"
    assert to_text(condition_leaf(("Advanced Malignancies",), ont)) == "diagnosis(TISSUE)"
    assert condition_leaf(("Nausea",), ont) is None
    # a named cancer beside the generic word is the requirement
    named = to_text(condition_leaf(("Cancer", "Breast Cancer"), ont))
    assert "BREAST" in named and "TISSUE" not in named
    trial = parse_record(_record("Inclusion Criteria:\n- Nausea after chemotherapy\n",
                                 ("Cancer", "Nausea")), ont)
    assert "diagnosis(TISSUE)" in to_text(trial.cohorts[0].rule)
