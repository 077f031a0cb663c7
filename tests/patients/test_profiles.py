"""Patient profiles: validation by JSON pointer, normalisation, no patient values echoed."""

from __future__ import annotations

import json
from datetime import date

import pytest

from trialmatch.errors import InputError
from trialmatch.patients import load_patients, normalize_records
from trialmatch.patients.read import RawRecord

TODAY = date(2026, 11, 21)


def norm(data, ont):
    return normalize_records([RawRecord(data, "p.json", "")], ont, TODAY)


def test_aliases_and_hgvs_are_normalised(mini_ontology):
    out = norm({"id": "P-1", "alterations": [
        {"gene": "HER2", "type": "amplification"},
        {"gene": "egfr", "type": "mutation", "protein": "p.Glu746_Ala750del", "exon": 19},
        {"gene": "KRAS", "type": "mutation", "protein": "p.Gly12Cys"}]}, mini_ontology)
    (p,) = out.patients
    assert [(f.gene, f.protein, f.event) for f in p.findings] == [
        ("ERBB2", None, None), ("EGFR", "E746_A750del", "exon19del"), ("KRAS", "G12C", None)]
    assert p.findings[2].codon == "G12"


def test_age_from_birth_date_and_ecog_karnofsky(mini_ontology):
    (p,) = norm({"id": "P-1", "birth_date": "1961-12-02", "ecog": 1}, mini_ontology).patients
    assert p.numbers["age"] == (64.0, 64.0)
    assert p.numbers["karnofsky"] == (70.0, 80.0)
    (q,) = norm({"id": "P-2", "karnofsky": 60}, mini_ontology).patients
    assert q.numbers["ecog"] == (2.0, 2.0)


def test_her2_status_from_ihc_and_amplification(mini_ontology):
    cases = [({"her2_ihc": "3+"}, [], None, "positive"), ({"her2_ihc": "2+"}, [], None, None),
             ({"her2_ihc": "2+"}, [{"gene": "ERBB2", "type": "amplification"}], None,
              "positive"),
             ({"her2_ihc": "1+"}, [], None, "low"), ({"her2_ihc": "0"}, [], None, "zero"),
             # IHC 2+ and a panel that tested ERBB2 and found it not amplified: HER2-low; a
             # panel without ERBB2 tells nothing
             ({"her2_ihc": "2+"}, [], ["ERBB2", "PIK3CA"], "low"),
             ({"her2_ihc": "2+"}, [], ["PIK3CA"], None),
             ({"her2_ihc": "2+"}, [{"gene": "ERBB2", "type": "amplification"}], ["ERBB2"],
              "positive")]
    for biomarkers, alts, tested, expected in cases:
        patient = {"id": "P", "biomarkers": biomarkers, "alterations": alts}
        if tested is not None:
            patient["tested_genes"] = tested
        (p,) = norm(patient, mini_ontology).patients
        assert p.statuses.get("her2") == expected, (biomarkers, tested)


def test_errors_name_the_pointer_and_echo_no_patient_values(mini_ontology):
    out = norm({"id": "P-9", "birth_date": "1961-13-45", "sex": "Zq7",
                "alterations": [{"gene": "EGFR", "type": "mutaton"},
                                {"gene": "KRAS", "type": "mutation", "protein": "c.35G>T"}],
                "biomarkers": {"tmb": "lots"}, "alteration": []}, mini_ontology)
    assert not out.patients
    text = "\n".join(out.problems)
    assert "/alterations/0/type: unknown alteration type (expected" in text
    assert "/sex: unknown sex (expected" in text
    assert "mutaton" not in text and "Zq7" not in text  # not even a mistyped code
    assert "/birth_date: not a valid date" in text
    assert "/biomarkers/tmb: wrong type" in text
    assert "/alteration: unknown field" in text
    assert "1961-13-45" not in text and "lots" not in text


def test_unreadable_protein_change_is_a_warning_at_gene_level(mini_ontology):
    out = norm({"id": "P-9", "alterations": [{"gene": "KRAS", "type": "mutation",
                                              "protein": "G12-ish"}]}, mini_ontology)
    assert not out.problems
    assert out.patients[0].findings[0].protein is None
    assert out.warnings == ["p.json: /alterations/0/protein: not a protein change (expected "
                            "HGVS such as p.L858R, p.Leu858Arg, p.E746_A750del, or ITD, "
                            "exon19del); kept at gene level, variant unknown"]
    assert "G12" not in out.warnings[0]


def test_unknown_gene_and_code_are_warnings_kept_as_given(mini_ontology):
    out = norm({"id": "P", "diagnosis": {"oncotree": "ZZZ"},
                "alterations": [{"gene": "NOTAGENE1", "type": "mutation"}]}, mini_ontology)
    (p,) = out.patients
    assert p.oncotree == "ZZZ" and p.findings[0].gene == "NOTAGENE1"
    assert any("unknown gene symbol" in w for w in out.warnings)
    assert any("unknown OncoTree code" in w for w in out.warnings)


def test_list_with_one_bad_entry_keeps_the_good_ones(tmp_path, mini_ontology):
    f = tmp_path / "cohort.json"
    f.write_text(json.dumps([{"id": "A"}, {"id": "B", "ecog": 9}, {"id": "C"}]))
    out = load_patients(f, mini_ontology, TODAY)
    assert [p.id for p in out.patients] == ["A", "C"]
    assert out.problems == [f"{f}: /1/ecog: out of range (must be at most 5)"]


@pytest.mark.parametrize("content,message", [
    (None, "no such file"), ("", "empty file"), ("{not json", "malformed JSON"),
    ("[]", "list of patients is empty"),
])
def test_file_level_errors(tmp_path, mini_ontology, content, message):
    f = tmp_path / "p.json"
    if content is not None:
        f.write_text(content)
    with pytest.raises(InputError, match=message):
        load_patients(f, mini_ontology)


def test_directory_is_rejected(tmp_path, mini_ontology):
    with pytest.raises(InputError, match="is a directory"):
        load_patients(tmp_path, mini_ontology)


def test_comment_keys_are_ignored(mini_ontology):
    out = norm({"id": "P", "_expected": {"X": "eligible"}}, mini_ontology)
    assert out.patients and not out.problems


def test_a_record_with_no_genomic_result_has_every_gene_untested(mini_ontology):
    # as a missing `prior_therapies` is no treatment history: no `alterations` and no
    # `tested_genes` say nothing of any gene; an empty list with no panel is "none found"
    from trialmatch.rules import parse_text
    from trialmatch.rules.evaluate import evaluate
    (silent,) = norm({"id": "P-1", "diagnosis": {"oncotree": "COAD"}}, mini_ontology).patients
    (empty,) = norm({"id": "P-2", "alterations": []}, mini_ontology).patients
    (panel,) = norm({"id": "P-3", "tested_genes": ["KRAS"]}, mini_ontology).patients
    assert silent.tested_genes == frozenset() and empty.tested_genes is None
    for rule, values in (("alteration(KRAS, mutation)", (1, 0, 0)),
                         ("alteration(KRAS, wildtype)", (1, 2, 2))):
        got = tuple(evaluate(parse_text(rule), p, mini_ontology) for p in (silent, empty, panel))
        assert got == values, rule


def test_a_history_listing_every_drug_of_a_combination_product_had_the_product():
    """The drugs of a product named "A and B" listed one by one mean the product was given;
    one of them alone does not."""
    from trialmatch.ontology import default_ontology

    ont = default_ontology()
    both, one = norm({"id": "P-1", "prior_therapies": ["Trifluridine", "tipiracil"]}, ont), \
        norm({"id": "P-2", "prior_therapies": ["trifluridine", "oxaliplatin"]}, ont)
    assert "trifluridine and tipiracil" in both.patients[0].prior_therapies
    assert "trifluridine and tipiracil" not in one.patients[0].prior_therapies
    assert ont.with_combinations(("nivolumab", "relatlimab")) == (
        "nivolumab", "relatlimab", "nivolumab and relatlimab")


@pytest.mark.parametrize(("entry", "drugs"), [
    ("carboplatin/pemetrexed", {"carboplatin", "pemetrexed"}),
    ("Gemcitabine + nab-paclitaxel", {"gemcitabine", "nab-paclitaxel"}),
    ("bendamustine-rituximab", {"bendamustine", "rituximab"}),
    ("cisplatin and etoposide", {"cisplatin", "etoposide"}),
    ("AC followed by weekly paclitaxel", {"doxorubicin", "cyclophosphamide", "paclitaxel"}),
    ("maintenance pemetrexed", {"pemetrexed"}),
    ("R-CHOP x 6 cycles", {"rituximab", "doxorubicin", "vincristine"}),
    ("FOLFIRI (8 cycles) with bevacizumab", {"irinotecan", "fluorouracil", "bevacizumab"}),
    ("Keytruda (pembrolizumab)", {"pembrolizumab"}),
    ("VRd", {"bortezomib", "lenalidomide", "dexamethasone"}),
    ("EP", {"etoposide", "cisplatin"}),
])
def test_a_history_entry_naming_several_drugs_or_a_regimen_gives_each_drug(entry, drugs):
    """Records list regimens as written at the clinic: drugs joined by "/", "+", "and" or a
    hyphen, a regimen's short name, a count of cycles, a brand beside the generic name."""
    from trialmatch.ontology import default_ontology

    out = norm({"id": "P-1", "prior_therapies": [entry]}, default_ontology())
    assert drugs <= set(out.patients[0].prior_therapies)
    assert not out.warnings


def test_an_entry_with_no_known_drug_is_kept_as_given_with_a_warning():
    from trialmatch.ontology import default_ontology

    ont = default_ontology()
    out = norm({"id": "P-1", "prior_therapies": ["herbal tea/acupuncture", "carboplatin/xyz"]},
               ont)
    assert out.patients[0].prior_therapies == ("herbal tea/acupuncture", "carboplatin", "xyz")
    first, second = out.warnings
    assert "prior_therapies/0: unknown drug" in first
    assert "prior_therapies/1: 1 part(s)" in second and "xyz" not in second
    from trialmatch.patients.treatments import treatment_concepts

    assert treatment_concepts(ont, "x6") == ((), ("x6",))
