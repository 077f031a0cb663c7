"""A marker the diagnosis proves (ontologies/implied_expression.tsv): a follicular lymphoma
is CD20-positive for a criterion asking CD20 expression, unless the profile says otherwise;
a type the table does not name implies nothing."""

from __future__ import annotations

from datetime import date

import pytest

from trialmatch.ontology import load_ontology
from trialmatch.patients import normalize_records
from trialmatch.patients.read import RawRecord
from trialmatch.rules import Expression
from trialmatch.rules.evaluate import MET, NOT_MET, UNKNOWN, evaluate_leaf


@pytest.fixture(scope="module")
def ontology():
    return load_ontology()


def facts(data, ont):
    (p,) = normalize_records([RawRecord(data, "p.json", "")], ont, date(2026, 12, 3)).patients
    return p


@pytest.mark.parametrize("code, expression, want", [
    ("MCL", None, MET),                      # mantle cell lymphoma: CD20 by definition
    ("GCB", None, MET),                      # below DLBCL, NOS: the row of its parent
    ("MCL", {"CD20": "negative"}, NOT_MET),  # the profile's own result wins
    ("PLBL", None, UNKNOWN),                 # plasmablastic lymphoma: CD20 not implied
    ("LUAD", None, UNKNOWN),
])
def test_cd20_implied_by_the_diagnosis(ontology, code, expression, want):
    data = {"id": "P-1", "diagnosis": {"oncotree": code}}
    if expression:
        data["biomarkers"] = {"expression": expression}
    p = facts(data, ontology)
    assert evaluate_leaf(Expression("MS4A1", "positive"), p, ontology) == want


def test_every_implied_marker_names_a_known_type_and_gene(ontology):
    assert ontology.implied_expression, "the table is read"
    for code, markers in ontology.implied_expression.items():
        assert code in ontology.cancers
        assert all(gene in ontology.genes for gene, _ in markers)
