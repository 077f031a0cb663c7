"""Expression markers are leaves of their own, and a stated status is a field of the `not`:
meaning lives in the tree, never in provenance or reason strings (issue 9, point 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialmatch.errors import RuleError
from trialmatch.nlp import parse_eligibility
from trialmatch.nlp.output import biomarkers
from trialmatch.ontology import default_ontology
from trialmatch.patients import load_patients
from trialmatch.rules import dump, load, parse_text, to_text
from trialmatch.rules.english import describe
from trialmatch.rules.evaluate import evaluate
from trialmatch.rules.nodes import Expression, Fusion, Not, Provenance
from trialmatch.rules.trial import Cohort, Trial


def _patient(tmp_path: Path, expression: dict | None):
    doc = {"id": "PX", "age": 61, "diagnosis": {"oncotree": "STAD"}}
    if expression is not None:
        doc["biomarkers"] = {"expression": expression}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    loaded = load_patients(path, default_ontology())
    assert not loaded.problems
    return loaded.patients[0]


def test_an_expression_marker_is_an_expression_leaf():
    rule = parse_eligibility("- claudin 18.2 positive gastric adenocarcinoma",
                             ontology=default_ontology()).cohorts[0].rule
    leaves = [n for n in rule.children[0].children if isinstance(n, Expression)]
    assert leaves == [Expression("CLDN18", "positive")]


@pytest.mark.parametrize("reported,value", [(None, None), ({"claudin 18.2": "high"}, 2),
                                            ({"CLDN18": "negative"}, 0),
                                            ({"CD20": "high"}, None)])
def test_expression_is_met_from_the_profile_and_manual_without_it(tmp_path, reported, value):
    """patient.json has no field for such markers: one the profile does not report is left
    to manual review (None), not unknown, so it neither blocks nor downgrades a match."""
    p = _patient(tmp_path, reported)
    assert evaluate(Expression("CLDN18", "positive"), p, default_ontology()) == value


def test_an_unknown_expression_level_is_rejected_by_pointer(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"id": "PX", "biomarkers": {"expression": {"CD20": "lots"}}}))
    loaded = load_patients(path, default_ontology())
    assert not loaded.patients
    assert any("/biomarkers/expression/CD20" in p for p in loaded.problems)
    assert not any("lots" in p for p in loaded.problems)


def test_stated_status_round_trips_and_keeps_the_trials_word():
    node = parse_text("not(fusion(ALK), stated=negative)")
    assert node == Not(Fusion("ALK"), stated="negative")
    assert to_text(node) == "not(fusion(ALK), stated=negative)"
    assert load(dump(node)) == node
    assert describe(node) == "ALK fusion: negative"
    with pytest.raises(RuleError):
        parse_text("not(fusion(ALK), stated=maybe)")


def test_the_biomarker_list_reads_the_tree_not_provenance():
    """The same tree with and without provenance gives the same biomarker entries."""
    bare = Not(Fusion("ALK"), stated="negative")
    worded = Not(Fusion("ALK", prov=Provenance("inclusion", 0, 12, "ALK-negative",
                                               "anything")), stated="negative",
                 prov=Provenance(source="unrelated.source"))
    got = []
    for node in (bare, worded):
        entries = biomarkers(Trial("T", (Cohort("main", node),)))
        got.append([(e["gene"], e["alteration"], e["polarity"]) for e in entries])
    assert got[0] == got[1] == [("ALK", "negative", "require")]
