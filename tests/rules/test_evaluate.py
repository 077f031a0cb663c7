"""The reference evaluator's semantics, case by case, in the words of the domain."""

from __future__ import annotations

import pytest

from trialmatch.rules import parse_text
from trialmatch.rules.evaluate import compare, evaluate, status_of
from trialmatch.rules.facts import Finding, PatientFacts
from trialmatch.rules.variants import codon_of, event_of, normalize_protein

NOT_MET, UNKNOWN, MET = 0, 1, 2


def mutation(gene, protein=None, exon=None, origin=None):
    protein = normalize_protein(protein)
    event = event_of(protein, exon)
    return Finding(gene, "mutation", protein, codon_of(protein) if protein != event else None,
                   event, exon, origin)


def ev(rule, ont, **facts):
    return evaluate(parse_text(rule), PatientFacts("P", **facts), ont)


@pytest.mark.parametrize("given,expected", [
    ("p.Leu858Arg", "L858R"), ("L858R", "L858R"), ("p.E746_A750del", "E746_A750del"),
    ("p.Glu746_Ala750del", "E746_A750del"), ("p.S1982fs", "S1982fs"),
    ("p.Ser1982Argfs*22", "S1982fs"), ("p.Q37*", "Q37*"), ("p.Gln37Ter", "Q37*"),
    ("ITD", "ITD"), ("exon19del", "exon19del"), ("p.Gly12Cys", "G12C"),
    ("Exon 19 deletion", "exon19del"), ("exon-20 insertions", "exon20ins"),
    ("exon 14 skipping mutation", "exon14skip"), ("internal tandem duplication", "ITD"),
])
def test_protein_changes_normalise_to_one_letter(given, expected):
    assert normalize_protein(given) == expected


def test_in_frame_deletion_in_exon_19_is_an_exon_19_deletion(mini_ontology):
    f = mutation("EGFR", "p.E746_A750del", exon=19)
    assert f.event == "exon19del"
    assert ev("alteration(EGFR, mutation, variant=exon19del)", mini_ontology,
              findings=(f,)) == MET


def test_named_group_matches_its_members(mini_ontology):
    rule = "alteration(EGFR, mutation, variant=sensitizing)"
    assert ev(rule, mini_ontology, findings=(mutation("EGFR", "L858R"),)) == MET
    assert ev(rule, mini_ontology, findings=(mutation("EGFR", "G719S"),)) == MET
    assert ev(rule, mini_ontology, findings=(mutation("EGFR", "T790M"),)) == NOT_MET


def test_codon_and_family(mini_ontology):
    assert ev("alteration(BRAF, mutation, variant=V600)", mini_ontology,
              findings=(mutation("BRAF", "V600K"),)) == MET
    assert ev("alteration(RAS, mutation)", mini_ontology,
              findings=(mutation("NRAS", "Q61K"),)) == MET


def test_untested_gene_is_unknown_and_tested_gene_is_wild_type(mini_ontology):
    rule = "alteration(KRAS, mutation, variant=G12C)"
    assert ev(rule, mini_ontology, tested_genes=frozenset({"EGFR"})) == UNKNOWN
    assert ev(rule, mini_ontology, tested_genes=frozenset({"KRAS"})) == NOT_MET
    assert ev(rule, mini_ontology) == NOT_MET  # no panel: absence is not altered
    assert ev("alteration(KRAS, wildtype)", mini_ontology,
              tested_genes=frozenset({"EGFR"})) == UNKNOWN
    assert ev("alteration(KRAS, wildtype)", mini_ontology,
              tested_genes=frozenset({"KRAS"})) == MET


def test_less_specific_finding_is_unknown(mini_ontology):
    assert ev("alteration(EGFR, mutation, variant=L858R)", mini_ontology,
              findings=(mutation("EGFR"),)) == UNKNOWN
    assert ev("alteration(BRCA1, mutation, origin=germline)", mini_ontology,
              findings=(mutation("BRCA1", "Q37*"),)) == UNKNOWN


def test_cancer_type_through_the_graph(mini_ontology):
    assert ev("diagnosis(NSCLC)", mini_ontology, oncotree="LUAD") == MET
    assert ev("diagnosis(SOLID)", mini_ontology, oncotree="LUAD") == MET
    assert ev("diagnosis(LUAD)", mini_ontology, oncotree="LUNG") == UNKNOWN
    assert ev("diagnosis(NSCLC)", mini_ontology, oncotree="BRCA") == NOT_MET
    assert ev("diagnosis(NSCLC)", mini_ontology) == UNKNOWN


def test_drug_class_matches_its_drugs(mini_ontology):
    assert ev("prior(egfr_tki)", mini_ontology, prior_therapies=("osimertinib",)) == MET
    assert ev("prior(egfr_tki)", mini_ontology, prior_therapies=("carboplatin",)) == NOT_MET
    assert ev("prior(egfr_tki)", mini_ontology) == UNKNOWN


def test_kleene_logic_and_unparsed_is_ignored(mini_ontology):
    facts = {"numbers": {"age": (50.0, 50.0)}}
    assert ev("all(age >= 18, ecog <= 1)", mini_ontology, **facts) == UNKNOWN
    assert ev("all(age >= 60, ecog <= 1)", mini_ontology, **facts) == NOT_MET
    assert ev("any(age >= 60, ecog <= 1)", mini_ontology, **facts) == UNKNOWN
    assert ev("any(age >= 18, ecog <= 1)", mini_ontology, **facts) == MET
    assert ev("not(ecog <= 1)", mini_ontology, **facts) == UNKNOWN
    assert ev('all(age >= 18, unparsed("organ function"))', mini_ontology, **facts) == MET
    assert ev('unparsed("organ function")', mini_ontology) is None
    assert status_of(None) == "possible"


@pytest.mark.parametrize("interval,op,v,expected", [
    ((70, 80), ">=", 70, MET), ((70, 80), ">=", 80, UNKNOWN), ((70, 80), ">=", 90, NOT_MET),
    ((70, 80), "<", 70, NOT_MET), ((70, 80), "=", 75, UNKNOWN), ((75, 75), "!=", 75, NOT_MET),
    (None, ">=", 1, UNKNOWN),
])
def test_interval_comparison(interval, op, v, expected):
    assert compare(interval, op, v) == expected


def test_her2_low_counts_as_her2_negative(mini_ontology):
    assert ev("her2 = negative", mini_ontology, statuses={"her2": "low"}) == MET
    assert ev("her2 = low", mini_ontology, statuses={"her2": "negative"}) == UNKNOWN
    assert ev("her2 = positive", mini_ontology, statuses={"her2": "low"}) == NOT_MET
