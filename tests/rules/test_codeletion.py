"""1p/19q codeletion (issue 10): a signature leaf, stated in a profile as
`biomarkers.codel_1p19q`, unknown when not stated; the SQL matcher agrees with the evaluator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialmatch.app.catalog import replace_trials
from trialmatch.match.engine import Matcher
from trialmatch.ontology import default_ontology
from trialmatch.patients import load_patients
from trialmatch.rank.findings import finding_text
from trialmatch.rules import dump, load, parse_text, to_text
from trialmatch.rules.english import describe
from trialmatch.rules.evaluate import evaluate
from trialmatch.rules.nodes import Not, Signature
from trialmatch.rules.trial import Cohort, Trial
from trialmatch.store.db import Store

CODEL = Signature("1p19q-codel")


def _patient(tmp_path: Path, codel: object):
    doc: dict = {"id": "PG", "age": 44, "diagnosis": {"oncotree": "ODG"}}
    if codel is not None:
        doc["biomarkers"] = {"codel_1p19q": codel}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    loaded = load_patients(path, default_ontology())
    assert not loaded.problems
    return loaded.patients[0]


@pytest.mark.parametrize(
    "stated,value",
    [
        (None, 1),
        (True, 2),
        (False, 0),
        ("codeleted", 2),
        ("intact", 0),
        ("non-codeleted", 0),
        ("Co-deleted", 2),
    ],
)
def test_codeletion_is_met_from_the_profile_and_unknown_without_it(tmp_path, stated, value):
    p = _patient(tmp_path, stated)
    ont = default_ontology()
    assert evaluate(CODEL, p, ont) == value
    assert evaluate(Not(CODEL, stated="negative"), p, ont) == 2 - value


@pytest.mark.parametrize("stated", [None, True, False])
def test_the_sql_matcher_agrees_with_the_evaluator(tmp_path, stated):
    ont = default_ontology()
    p = _patient(tmp_path, stated)
    trees = [
        CODEL,
        Not(CODEL, stated="negative"),
        parse_text("all(diagnosis(ODG), signature(1p19q-codel))"),
    ]
    trials = [Trial(f"T{i}", (Cohort("main", t),)) for i, t in enumerate(trees)]
    store = Store(memory=True)
    try:
        replace_trials(store, ont, trials, "test")
        got = {v.trial_id: v.value for v in Matcher(store, ont).evaluate([p], every_cohort=True)}
    finally:
        store.close()
    assert got == {t.trial_id: evaluate(t.cohorts[0].rule, p, ont) for t in trials}


def test_an_unreadable_codeletion_status_is_rejected_by_pointer(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"id": "PG", "biomarkers": {"codel_1p19q": "partly"}}))
    loaded = load_patients(path, default_ontology())
    assert not loaded.patients
    assert any("/biomarkers/codel_1p19q" in m for m in loaded.problems)
    assert not any("partly" in m for m in loaded.problems)


def test_every_reader_handles_the_codeletion_leaf(tmp_path):
    node = Not(CODEL, stated="negative")
    assert to_text(node) == "not(signature(1p19q-codel), stated=negative)"
    assert parse_text(to_text(node)) == node
    assert load(dump(node)) == node
    assert describe(CODEL) == "1p/19q-codeleted"
    assert describe(node) == "1p/19q-codeleted: negative"
    ont = default_ontology()
    assert finding_text(CODEL, _patient(tmp_path, None), ont) == "1p/19q status not reported"
    assert finding_text(CODEL, _patient(tmp_path, False), ont) == "1p/19q intact"
