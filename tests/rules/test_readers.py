"""One tree, many readers: every node kind has a text form, JSON, English and an evaluator,
and the text form and JSON round-trip for any tree."""

from __future__ import annotations

import pytest
from hypothesis import given

from tests.strategies import trees
from trialmatch.errors import RuleError
from trialmatch.match.compile import leaf_row
from trialmatch.rules import NODE_TYPES, dump, load, parse_text, to_text
from trialmatch.rules.cnf import clauses, evaluate_clauses
from trialmatch.rules.english import describe, explain
from trialmatch.rules.evaluate import evaluate, evaluate_leaf
from trialmatch.rules.facts import PatientFacts
from trialmatch.rules.nodes import Provenance, with_prov

EXAMPLES = {
    "all": "all(age >= 18, sex = female)",
    "any": "any(signature(MSI-H), signature(dMMR))",
    "not": "not(prior(egfr_tki))",
    "alteration": "alteration(EGFR, mutation, variant=L858R)",
    "fusion": "fusion(ALK, partner=EML4)",
    "signature": "signature(TMB-H)",
    "measurement": "pdl1_tps >= 50",
    "diagnosis": "diagnosis(NSCLC)",
    "age": "age >= 18",
    "sex": "sex = male",
    "performance": "ecog <= 1",
    "stage": "stage >= IIIB",
    "prior_therapy": 'prior(alk_inhibitor, excluding="crizotinib")',
    "expression": "expression(MS4A1, positive, assay=IHC)",
    "population": 'population(non_oncology, "type 2 diabetes")',
    "unparsed": 'unparsed("Adequate organ function")',
}


def test_every_node_kind_has_an_example():
    assert set(EXAMPLES) == set(NODE_TYPES)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_every_reader_handles_every_kind(kind, mini_ontology):
    node = parse_text(EXAMPLES[kind])
    assert node.kind == kind
    assert parse_text(to_text(node)) == node
    assert load(dump(node)) == node
    assert describe(node) and explain(node)
    value = evaluate(node, PatientFacts("P"), mini_ontology)
    assert value in (0, 1, 2, None)
    cnf = clauses(node)
    assert (cnf is None) == (kind == "unparsed")
    assert evaluate_clauses(cnf, lambda leaf: evaluate_leaf(
        leaf, PatientFacts("P"), mini_ontology)) == value
    if kind not in ("all", "any", "not"):
        assert leaf_row(node)["kind"]


@given(trees)
def test_text_form_round_trips(tree):
    text = to_text(tree)
    assert "\n" not in text
    assert parse_text(text) == tree


@given(trees)
def test_json_round_trips(tree):
    assert load(dump(tree)) == tree


def test_provenance_survives_json_but_not_equality():
    prov = Provenance(section="inclusion", start=3, end=13, text="EGFR L858R", source="p1")
    node = with_prov(parse_text("alteration(EGFR, mutation, variant=L858R)"), prov)
    back = load(dump(node))
    assert back.prov == prov
    assert back == parse_text("alteration(EGFR, mutation, variant=L858R)")


@pytest.mark.parametrize("text,expected", [
    ("age >= 18 and ecog <= 1", "all(age >= 18, ecog <= 1)"),
    ("signature(MSI-H) or signature(dMMR)", "any(signature(MSI-H), signature(dMMR))"),
    ("not prior(egfr_tki)", "not(prior(egfr_tki))"),
    ("alteration(KRAS)", "alteration(KRAS, mutation)"),
    ("(age >= 18 or sex = female) and tmb >= 10",
     "all(any(age >= 18, sex = female), tmb >= 10)"),
])
def test_infix_sugar_reads_as_the_canonical_form(text, expected):
    assert to_text(parse_text(text)) == expected


@pytest.mark.parametrize("text,message", [
    ("", "empty rule"),
    ("alteration(EGFR, mutaton)", "unknown alteration kind"),
    ("signature(MSI-X)", "unknown signature"),
    ("tmb >= high", "needs a number"),
    ("all(age >= 18", "expected"),
    ("frobnicate(x)", "unknown rule"),
    ("not(age >= 1, age >= 2)", "expected \\)"),
    ("alteration(EGFR, amplification, variant=L858R)", "only with alteration kind"),
    ("age >= 18 )", "after the rule"),
    ("age >= old", "age needs a number at column 8"),
    ("ecog <= good", "ecog needs a number at column 9"),
])
def test_bad_rules_raise_a_clear_error(text, message):
    with pytest.raises(RuleError, match=message):
        parse_text(text)


@pytest.mark.parametrize("kind", [["age"], {"k": 1}, None, 3])
def test_a_kind_that_is_not_a_string_is_an_unknown_kind(kind):
    # a list or an object as "kind" was a TypeError (unhashable), not a RuleError
    with pytest.raises(RuleError, match="^/: unknown rule kind"):
        load({"kind": kind})


def test_bad_json_names_the_pointer():
    with pytest.raises(RuleError, match="/children/1: unknown rule kind"):
        load({"kind": "all", "children": [{"kind": "age", "op": ">=", "value": 18},
                                          {"kind": "bogus"}]})
