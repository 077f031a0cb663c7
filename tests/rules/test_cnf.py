"""The CNF reader: the same value as the tree for every patient, or a clear refusal."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings

from tests.strategies import patients, trees
from trialmatch.rules import parse_text, to_text
from trialmatch.rules.cnf import TooLarge, clause_rows, clauses, evaluate_clauses, storable
from trialmatch.rules.evaluate import evaluate, evaluate_leaf


def _text(found):
    return [[("not " if neg else "") + to_text(leaf) for leaf, neg in c] for c in found]


@settings(max_examples=300, deadline=None)
@given(tree=trees, patient=patients("P"))
def test_cnf_has_the_value_of_the_tree(mini_ontology, tree, patient):
    assume(storable(tree))
    try:
        found = clauses(tree)
    except TooLarge:
        return
    value = evaluate_clauses(found, lambda leaf: evaluate_leaf(leaf, patient, mini_ontology))
    assert value == evaluate(tree, patient, mini_ontology)


def test_a_tree_with_a_leaf_a_profile_may_leave_unevaluated_is_not_stored(mini_ontology):
    """Dropping an unreported marker per patient is exact in the tree, not in its CNF."""
    from trialmatch.rules.facts import PatientFacts

    tree = parse_text("any(sex = male, all(expression(MS4A1, positive), age >= 18))")
    assert clause_rows(tree, 1, lambda leaf: 0) == (None, [])
    assert clause_rows(parse_text("all(sex = male, age >= 18)"), 1, lambda leaf: 0)[0] == 2
    adult_woman = PatientFacts("P", sex="female", numbers={"age": (40.0, 40.0)})
    # the tree ignores the marker inside its `all`: met through the age
    assert evaluate(tree, adult_woman, mini_ontology) == 2
    # distribution would pair the marker with the sex, and drop the age with it
    assert evaluate_clauses(clauses(tree), lambda leaf: evaluate_leaf(
        leaf, adult_woman, mini_ontology)) == 0


def test_negation_is_pushed_to_the_leaves():
    tree = parse_text("not(any(sex = male, all(age >= 18, not(prior(egfr_tki)))))")
    assert _text(clauses(tree)) == [["not sex = male"],
                                    ["not age >= 18", "prior(egfr_tki)"]]


def test_an_any_of_alls_distributes():
    tree = parse_text("any(all(sex = male, age >= 18), diagnosis(NSCLC))")
    assert _text(clauses(tree)) == [["sex = male", "diagnosis(NSCLC)"],
                                    ["age >= 18", "diagnosis(NSCLC)"]]


def test_unparsed_criteria_are_dropped_with_connectives_left_empty():
    tree = parse_text('any(all(unparsed("a"), sex = male), not(unparsed("b")), age >= 18)')
    assert _text(clauses(tree)) == [["sex = male", "age >= 18"]]
    assert clauses(parse_text('all(unparsed("a"), not(unparsed("b")))')) is None


def test_duplicates_are_removed_but_not_tautologies():
    tree = parse_text("all(any(sex = male, sex = male, not(sex = male)), any(sex = male, "
                      "not(sex = male)))")
    assert _text(clauses(tree)) == [["sex = male", "not sex = male"]]


def test_blow_up_is_refused():
    pairs = ", ".join(f"all(age >= {i}, ecog <= {i % 5})" for i in range(9))
    with pytest.raises(TooLarge):
        clauses(parse_text(f"any({pairs})"))  # 2 ** 9 clauses
    assert len(clauses(parse_text(f"any({pairs})"), limit=512)) == 512
