"""Protein changes as real cohort files write them: read, or kept at gene level; never rejected.

A splice site, a start loss, a `c.` change or a consequence keyword is a mutation of the gene
without a protein position. Against such a gene-level finding a criterion on the gene is met,
and a criterion on a particular variant, codon, exon or event is unknown (the change may be
that variant; Kleene logic keeps `not` of it unknown too), unless another finding decides it.
"""

from __future__ import annotations

from datetime import date

import pytest

from trialmatch.patients import normalize_records
from trialmatch.patients.read import RawRecord
from trialmatch.rules import parse_text
from trialmatch.rules.evaluate import evaluate
from trialmatch.rules.variants import read_patient_protein

TODAY = date(2026, 11, 21)
NOT_MET, UNKNOWN, MET = 0, 1, 2


def norm(alterations, ont):
    return normalize_records([RawRecord({"id": "P-1", "alterations": alterations}, "p.json",
                                        "")], ont, TODAY)


@pytest.mark.parametrize("written", [
    "p.X755_splice", "X206_splice", "p.M1?", "p.Met1?", "c.2573T>G", "c.6453-1G>C",
    "splice", "splice_site", "Splice_Region", "splice_donor_variant", "p.?", "p.(Met1?)",
    "p.0", "g.55259515T>G", "Promoter",
])
def test_notations_without_a_protein_position_are_gene_level_mutations(written,
                                                                        mini_ontology):
    out = norm([{"gene": "EGFR", "type": "mutation", "protein": written}], mini_ontology)
    assert not out.problems and not out.warnings, written
    (p,) = out.patients
    (f,) = p.findings
    assert (f.gene, f.type, f.protein, f.codon, f.event) == ("EGFR", "mutation", None, None,
                                                             None)


@pytest.mark.parametrize("written,protein,codon", [
    ("p.*757Qext*45", "*757Q", "*757"), ("p.Ter757GlnextTer45", "*757Q", "*757"),
    ("p.P123=", "P123=", None), ("p.Pro123=", "P123=", None), ("p.L858R", "L858R", "L858"),
    ("p.M345_Q346delinsI*", "M345_Q346delinsI*", "M345"), ("p.L307_I308ins*", "L307_I308ins*", "L307"),
    ("p.S472_*473delinsFL", "S472_*473delinsFL", "S472"),
])
def test_extensions_and_synonymous_changes(written, protein, codon, mini_ontology):
    out = norm([{"gene": "EGFR", "type": "mutation", "protein": written}], mini_ontology)
    assert not out.problems and not out.warnings
    (f,) = out.patients[0].findings
    assert (f.protein, f.codon) == (protein, codon)


def test_an_unreadable_notation_is_a_warning_by_pointer_and_the_patient_is_kept(
        mini_ontology):
    out = norm([{"gene": "KRAS", "type": "mutation", "protein": "G12C"},
                {"gene": "EGFR", "type": "mutation", "protein": "Secret-Value 77"}],
               mini_ontology)
    assert not out.problems
    (p,) = out.patients
    assert [(f.gene, f.protein) for f in p.findings] == [("KRAS", "G12C"), ("EGFR", None)]
    (warning,) = out.warnings
    assert warning.startswith("p.json: /alterations/1/protein: not a protein change")
    assert "gene level" in warning and "Secret" not in warning and "77" not in warning


def test_a_structurally_invalid_record_is_still_rejected(mini_ontology):
    out = norm([{"gene": "EGFR", "type": "mutaton", "protein": "p.X755_splice"}],
               mini_ontology)
    assert not out.patients
    assert out.problems == ["p.json: /alterations/0/type: unknown alteration type "
                            "(expected 'mutation', 'amplification', 'deletion', 'fusion' or "
                            "'wildtype')"]  # the pointer and the kind, never the value


def test_read_patient_protein_never_raises():
    for text in ("", "   ", "???", "p.", "c.", "_splice", "p.(", "L858R" * 50, "\u00e9"):
        protein, readable = read_patient_protein(text)
        assert protein is None or isinstance(protein, str)
        assert isinstance(readable, bool)


GENE_LEVEL = [  # (criterion, value against one EGFR mutation of unknown variant)
    ("alteration(EGFR, mutation)", MET),
    ("alteration(EGFR, any)", MET),
    ("alteration(EGFR, mutation, variant=L858R)", UNKNOWN),
    ("alteration(EGFR, mutation, variant=G719)", UNKNOWN),
    ("alteration(EGFR, mutation, variant=exon19del)", UNKNOWN),
    ("alteration(EGFR, mutation, exon=21)", UNKNOWN),
    ("alteration(EGFR, mutation, variant=sensitizing)", UNKNOWN),
    ("not(alteration(EGFR, mutation, variant=T790M))", UNKNOWN),
    ("alteration(EGFR, amplification)", NOT_MET),
    ("alteration(EGFR, wildtype)", NOT_MET),
    ("alteration(KRAS, mutation, variant=G12C)", NOT_MET),
]


@pytest.mark.parametrize("rule,expected", GENE_LEVEL)
def test_variant_criteria_against_a_gene_level_finding(rule, expected, mini_ontology):
    out = norm([{"gene": "EGFR", "type": "mutation", "protein": "p.X755_splice"}],
               mini_ontology)
    (p,) = out.patients
    assert evaluate(parse_text(rule), p, mini_ontology) == expected


def test_another_finding_of_the_gene_still_decides(mini_ontology):
    out = norm([{"gene": "EGFR", "type": "mutation", "protein": "p.X755_splice"},
                {"gene": "EGFR", "type": "mutation", "protein": "p.L858R"}], mini_ontology)
    (p,) = out.patients
    assert evaluate(parse_text("alteration(EGFR, mutation, variant=L858R)"), p,
                    mini_ontology) == MET
    assert evaluate(parse_text("not(alteration(EGFR, mutation, variant=L858R))"), p,
                    mini_ontology) == NOT_MET
