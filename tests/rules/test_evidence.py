"""Evidence words on biomarker leaves (issue 10, point 4): how a trial wants a finding
shown ("documented", "by NGS", "tissue or plasma") is part of the leaf and of every reader,
and never of its truth value."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings

from tests.strategies import leaf_nodes, patients
from trialmatch.errors import RuleError
from trialmatch.rules import dump, load, parse_text, to_text
from trialmatch.rules.cnf import clauses
from trialmatch.rules.english import describe
from trialmatch.rules.evaluate import evaluate
from trialmatch.rules.nodes import Alteration, Fusion, Signature

TAGGED = [
    (
        'alteration(EGFR, mutation, variant=L858R, evidence="documented|plasma|tissue")',
        "EGFR L858R mutation (documented; tissue or plasma)",
    ),
    ("fusion(ABL1, partner=BCR, evidence=p190)", "BCR-ABL1 fusion (p190 isoform)"),
    ('signature(MSI-H, evidence="central|ihc")', "MSI-H (central laboratory; by IHC)"),
    (
        "expression(CLDN18, positive, evidence=approved_test)",
        "CLDN18 expression (by an approved test)",
    ),
]


@pytest.mark.parametrize("text,english", TAGGED)
def test_every_reader_keeps_the_evidence(text, english):
    node = parse_text(text)
    assert node.evidence
    assert to_text(node) == text
    assert load(dump(node)) == node
    assert dump(node)["evidence"] == list(node.evidence)
    assert describe(node) == english
    assert node != replace(node, evidence=())  # part of the leaf's identity (and its CNF)
    assert clauses(node) == [((node, False),)]


def test_tags_are_sorted_and_deduplicated_and_json_without_evidence_reads_as_before():
    assert Alteration("KRAS", evidence=("tissue", "ngs", "tissue")).evidence == ("ngs", "tissue")
    assert "evidence" not in dump(Fusion("ALK"))
    assert load({"kind": "fusion", "gene": "ALK"}) == Fusion("ALK")


@pytest.mark.parametrize(
    "bad",
    [
        "signature(MSI-H, evidence=hearsay)",
        'alteration(EGFR, mutation, evidence="ngs|rumour")',
    ],
)
def test_an_unknown_tag_is_a_clear_error(bad):
    with pytest.raises(RuleError, match="unknown evidence tag"):
        parse_text(bad)
    with pytest.raises(RuleError, match="unknown evidence tag"):
        load({"kind": "signature", "name": "MSI-H", "evidence": ["hearsay"]})


@settings(max_examples=200)
@given(leaf=leaf_nodes, p=patients("P"))
def test_evidence_never_changes_a_truth_value(mini_ontology, leaf, p):
    if isinstance(leaf, (Alteration, Fusion, Signature)):
        bare = replace(leaf, evidence=())
        tagged = replace(leaf, evidence=("documented", "central", "plasma"))
        assert evaluate(bare, p, mini_ontology) == evaluate(tagged, p, mini_ontology)
