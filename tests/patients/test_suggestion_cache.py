"""The "closest known" suggestions of unknown names are cached per normalizer, by name and
kind, and still count against each patient's suggestion budget."""

from __future__ import annotations

import pytest

from trialmatch.ontology import load_ontology
from trialmatch.patients.normalize import MAX_SUGGESTIONS, Normalizer


@pytest.fixture(scope="module")
def ontology():
    return load_ontology()


def test_a_repeated_unknown_gene_gets_the_same_suggestion_from_the_cache(ontology, monkeypatch):
    import trialmatch.ontology.terms as terms

    calls: list[str] = []
    real = terms.closest

    def counted(ont, text, kinds, **kw):
        calls.append(text)
        return real(ont, text, kinds, **kw)

    monkeypatch.setattr(terms, "closest", counted)
    norm = Normalizer(ontology)
    first: list[str] = []
    second: list[str] = []
    norm.gene("EGRF", "/alterations/0/gene", first)
    norm.gene("EGRF", "/alterations/1/gene", second)
    other: list[str] = []
    norm.gene("BRAFF", "/alterations/2/gene", other)
    assert calls == ["EGRF", "BRAFF"]  # the second EGRF came from the cache
    assert "closest known: " in first[0] and "EGFR" in first[0]
    assert first[0].split(": ", 1)[1] == second[0].split(": ", 1)[1]
    assert "BRAF" in other[0] and "EGFR" not in other[0]


def test_cached_suggestions_still_respect_the_budget_per_patient(ontology):
    norm = Normalizer(ontology)
    warnings: list[str] = []
    for i in range(MAX_SUGGESTIONS + 2):
        norm.gene("EGRF", f"/alterations/{i}/gene", warnings)
    with_names = [w for w in warnings if "closest known" in w]
    assert len(with_names) == MAX_SUGGESTIONS
    assert len(warnings) == MAX_SUGGESTIONS + 2
