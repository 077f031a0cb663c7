"""The SQL matcher agrees with the reference evaluator on random trees and patients.

The Python evaluator in `rules.evaluate` is the oracle. Each example loads a handful of
random cohort trees and patients, and checks every (patient, cohort) value under every plan:
the CNF read of small batches (`find`), the same with some trees left to the level-by-level
fold (as when a tree's CNF is too large to store), the two-pass fold of large batches, with
the gate optimisation (only pairs that can match) and with every pair evaluated; and every
node's value as `explain` reads it.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.strategies import cohort_trees, patients
from trialmatch.app.catalog import replace_trials
from trialmatch.match.engine import Matcher
from trialmatch.rules.cnf import storable
from trialmatch.rules.evaluate import evaluate
from trialmatch.rules.trial import Cohort, Trial
from trialmatch.store.db import Store


@pytest.fixture(scope="module")
def store():
    s = Store(memory=True)
    yield s
    s.close()


def _reset(store: Store) -> None:
    for table in ("trials", "cohorts", "nodes", "leaves", "clauses"):
        store.con.execute(f"DELETE FROM {table}")


# As many examples as the hypothesis profile says (tests/conftest.py), at most 300: 300 in CI
# (HYPOTHESIS_PROFILE=ci), 60 by default. Each example loads trees into DuckDB and runs every
# plan, ~0.55 s on a 2-core machine: 500 took 4.6 of the suite's 10.7 minutes in CI (session
# 37), over the suite's 10-minute budget.
_EXAMPLES = min(300, settings.default.max_examples)


@settings(max_examples=_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(trees=st.lists(cohort_trees, min_size=1, max_size=4),
       people=st.lists(st.integers(0, 10**6), min_size=1, max_size=3, unique=True).flatmap(
           lambda ids: st.tuples(*(patients(f"P{i}") for i in ids))))
def test_sql_equals_reference_evaluator(store, mini_ontology, trees, people):
    _reset(store)
    trials = [Trial(f"T{i}", (Cohort("main", tree),)) for i, tree in enumerate(trees)]
    replace_trials(store, mini_ontology, trials, "test")
    matcher = Matcher(store, mini_ontology)
    expected = {(p.id, t.trial_id): evaluate(t.cohorts[0].rule, p, mini_ontology)
                for p in people for t in trials}
    possible = {k: v for k, v in expected.items() if v != 0}
    # the leaves of a small batch by `LEAF_SQL` (0), and by the reference evaluator (a
    # one-patient `find` on few trials)
    for python_limit in (0, 10**6):
        matcher.python_leaf_limit = python_limit
        matcher.single_pass_limit = Matcher.single_pass_limit
        everything = {(v.patient_id, v.trial_id): v.value
                      for v in matcher.evaluate(list(people), every_cohort=True)}
        assert everything == expected
        for limit in (0, 10**9):  # two-pass (large batches) and single-pass (find) plans
            matcher.single_pass_limit = limit
            gated = {(v.patient_id, v.trial_id): v.value
                     for v in matcher.evaluate(list(people))}
            assert {k: v for k, v in gated.items() if v != 0} == possible
    matcher.python_leaf_limit = Matcher.python_leaf_limit
    # large batches read in SQL (bulk): the CNF folded over arrays (`match.vector`)
    matcher.single_pass_limit = 0
    for every, want in ((True, expected), (False, possible)):
        assert matcher.evaluate(list(people), every_cohort=every, fetch=False) == []
        assert _roots(store) == want

    # trees without a stored CNF (odd trials) are folded level by level, in the same call
    store.con.execute("UPDATE cohorts SET n_clauses = NULL WHERE cohort_key % 2 = 1")
    mixed = Matcher(store, mini_ontology)
    # (besides those whose tree holds a leaf a profile may leave unevaluated: never stored)
    assert mixed.n_folded == sum(1 for k, tid in store.con.execute(
        "SELECT cohort_key, trial_id FROM cohorts").fetchall()
        if k % 2 == 1 or not storable(trials[int(tid[1:])].cohorts[0].rule))
    values = mixed.evaluate(list(people), every_cohort=True)
    assert {(v.patient_id, v.trial_id): v.value for v in values} == expected
    mixed.single_pass_limit = 0  # as bulk reads them: two-pass, left in the table `roots`
    mixed.evaluate(list(people), every_cohort=True, fetch=False)
    assert _roots(store) == expected
    mixed.evaluate(list(people), fetch=False)
    assert _roots(store) == possible
    mixed.single_pass_limit = Matcher.single_pass_limit

    # node by node, as `explain` reads them
    trace_of = {}
    for p in people:
        for t in trials:
            trace: dict[int, int | None] = {}
            evaluate(t.cohorts[0].rule, p, mini_ontology, trace)
            trace_of[(p.id, t.trial_id)] = trace
    nodes = mixed.node_values([(v.patient_id, v.cohort_key) for v in values])
    for v in values:
        rule = trials[int(v.trial_id[1:])].cohorts[0].rule
        trace = trace_of[(v.patient_id, v.trial_id)]
        expected_nodes = {path: trace[id(node)] for path, node in _paths(rule)
                          if trace[id(node)] is not None}
        assert nodes.get((v.patient_id, v.cohort_key), {}) == expected_nodes


def _roots(store: Store) -> dict[tuple[str, str], int | None]:
    rows = store.con.execute("SELECT patient_id, trial_id, v FROM roots").fetchall()
    assert len(rows) == len({(pid, tid) for pid, tid, _ in rows})  # one row per pair
    return {(pid, tid): v for pid, tid, v in rows}


def _paths(node, path=""):
    yield path, node
    for i, child in enumerate(getattr(node, "children", ())):
        if node.kind in ("all", "any", "not"):
            yield from _paths(child, f"{path}/{i}")


def test_statements_run_directly_once_then_prepared(mini_ontology):
    """A one-patient `find` runs each statement once, unprepared; a second evaluation on
    the same connection prepares them, with the same values."""
    from datetime import date

    from trialmatch.patients import normalize_records
    from trialmatch.patients.read import RawRecord
    from trialmatch.rules.dsl import parse_text

    with Store(memory=True) as s:
        replace_trials(s, mini_ontology, [
            Trial("T1", (Cohort("main", parse_text("alteration(EGFR, mutation)")),)),
            Trial("T2", (Cohort("main", parse_text("not(alteration(KRAS, mutation))")),)),
        ], "test")
        (p,) = normalize_records([RawRecord({"id": "P1", "alterations": [
            {"gene": "EGFR", "type": "mutation", "protein": "L858R"}]}, "p.json", "")],
            mini_ontology, date(2026, 1, 1)).patients
        matcher = Matcher(s, mini_ontology)
        first = matcher.evaluate([p], every_cohort=True)
        assert not s.prepared
        second = matcher.evaluate([p], every_cohort=True)
        assert s.prepared
        assert second == first and {v.trial_id: v.value for v in first} == {"T1": 2, "T2": 2}
