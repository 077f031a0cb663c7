"""Properties of the ranking, on random trials and patients (hypothesis, mini ontology).

- the ranking does not depend on the order in which trials were loaded or patients given;
- it is deterministic (same input, same output, reasons and score parts included);
- a strictly more specific matched criterion never ranks below a less specific one when
  everything else about the two trials is equal (the trial ids are random, so the tie-break
  cannot help).
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

try:
    from tests.strategies import CODES, DRUGS, cohort_trees, patients
    from tests.thoroughness import sized
except ImportError:  # tests/ is not a package
    from strategies import CODES, DRUGS, cohort_trees, patients
    from thoroughness import sized

from trialmatch.app.catalog import replace_trials
from trialmatch.app.find import match_patients
from trialmatch.rules.dsl import parse_text
from trialmatch.rules.facts import Finding, PatientFacts
from trialmatch.rules.nodes import All, Node
from trialmatch.rules.trial import Cohort, Trial
from trialmatch.store.db import Store

# each example loads trials into new stores (~1 s): 30 in CI, 12 by default
SETTINGS = settings(max_examples=sized(30, 12), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
STATUSES = [None, "RECRUITING", "NOT_YET_RECRUITING", "ACTIVE_NOT_RECRUITING", "COMPLETED"]
PHASES = [None, "PHASE1", "PHASE1_PHASE2", "PHASE2", "PHASE3"]
trial_ids = st.text("ABCDEFGHJK0123456789-", min_size=3, max_size=8)


def ranked(ont, trials: list[Trial], people: list[PatientFacts]) -> str:
    """Every patient's ranked matches (ineligible included), as canonical JSON."""
    with Store(memory=True) as store:
        replace_trials(store, ont, trials, "test")
        got = match_patients(store, ont, people, include_ineligible=True)
    return json.dumps(got, sort_keys=True)


@st.composite
def trial_lists(draw):
    ids = draw(st.lists(trial_ids, min_size=1, max_size=6, unique=True))
    out = []
    for tid in ids:
        n = draw(st.integers(1, 2))
        cohorts = tuple(Cohort(f"c{i}", draw(cohort_trees)) for i in range(n))
        out.append(Trial(tid, cohorts, phase=draw(st.sampled_from(PHASES)),
                         status=draw(st.sampled_from(STATUSES))))
    if len(out) > 1 and draw(st.booleans()):  # an exact twin: only the tie-break differs
        out[1] = Trial(out[1].trial_id, out[0].cohorts, phase=out[0].phase,
                       status=out[0].status)
    return out


@SETTINGS
@given(trials=trial_lists(), data=st.data())
def test_ranking_is_independent_of_input_order(mini_ontology, trials, data):
    people = data.draw(st.lists(st.integers(0, 999), min_size=1, max_size=3, unique=True)
                       .flatmap(lambda ids: st.tuples(*(patients(f"P{i}") for i in ids))))
    shuffled = data.draw(st.permutations(trials))
    assert ranked(mini_ontology, trials, list(people)) == ranked(
        mini_ontology, list(shuffled), list(reversed(people)))


@SETTINGS
@given(trials=trial_lists(), person=patients("P1"))
def test_ranking_is_deterministic(mini_ontology, trials, person):
    first = ranked(mini_ontology, trials, [person])
    assert ranked(mini_ontology, trials, [person]) == first
    for matches in json.loads(first).values():
        keys = [({"eligible": 0, "possible": 1, "ineligible": 2}[m["status"]], -m["score"],
                 m["trial_id"], m["cohort"]) for m in matches]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
        for m in matches:  # the score decomposes into its parts
            parts = m["score_parts"]
            assert abs(sum(p["contribution"] for p in parts) - m["score"]) < 1e-3


# A finding and criteria it meets, from the most specific to the least.
CHAINS: list[tuple[Finding, list[str]]] = [
    (Finding("EGFR", "mutation", "L858R", "L858", None, 21, "somatic"), [
        "alteration(EGFR, mutation, variant=L858R)", "alteration(EGFR, mutation, exon=21)",
        "alteration(EGFR, mutation, variant=sensitizing)", "alteration(EGFR, mutation)"]),
    (Finding("EGFR", "mutation", "E746_A750del", "E746", "exon19del", 19), [
        "alteration(EGFR, mutation, variant=E746_A750del)",
        "alteration(EGFR, mutation, variant=exon19del)", "alteration(EGFR, mutation, exon=19)",
        "alteration(EGFR, mutation)"]),
    (Finding("EGFR", "mutation", "E746_A750del", "E746", "exon19del", 19), [
        "alteration(EGFR, mutation, variant=exon19del)",
        "alteration(EGFR, mutation, variant=sensitizing)", "alteration(EGFR, mutation)"]),
    (Finding("KRAS", "mutation", "G12C", "G12"), [
        "alteration(KRAS, mutation, variant=G12C)", "alteration(KRAS, mutation, variant=G12)",
        "alteration(KRAS, mutation)", "alteration(RAS, mutation)"]),
    (Finding("KRAS", "mutation", "G12C", "G12"), [
        "alteration(KRAS, mutation, variant=G12C)", "alteration(RAS, mutation, variant=G12C)",
        "alteration(RAS, mutation, variant=G12)", "alteration(RAS, mutation)"]),
    (Finding("ALK", "fusion", partner="EML4"), ["fusion(ALK, partner=EML4)", "fusion(ALK)"]),
    (Finding("NTRK1", "fusion", partner="EML4"), ["fusion(NTRK1)", "fusion(NTRK)"]),
]
CONTEXT = [  # criteria that are not biomarkers, so they cannot outrank the pair's
    "diagnosis(NSCLC)", "diagnosis(SOLID)", "diagnosis(LUNG)", "diagnosis(LUAD)", "age >= 18",
    "age <= 70", "sex = female", "ecog <= 1", "prior(platinum)", "not(prior(egfr_tki))",
    "not(alteration(EGFR, mutation, variant=T790M))", "not(fusion(ROS1))",
    'unparsed("Adequate organ function")']


@st.composite
def specificity_cases(draw):
    finding, chain = draw(st.sampled_from(CHAINS))
    i = draw(st.integers(0, len(chain) - 2))
    j = draw(st.integers(i + 1, len(chain) - 1))
    context = draw(st.lists(st.sampled_from(CONTEXT), max_size=4, unique=True))
    ids = draw(st.lists(trial_ids, min_size=2, max_size=2, unique=True))
    meta = {"phase": draw(st.sampled_from(PHASES)), "status": draw(st.sampled_from(STATUSES))}

    def tree(criterion: str) -> Node:
        return All((parse_text(criterion), *(parse_text(c) for c in context)))

    more = Trial(ids[0], (Cohort("main", tree(chain[i])),), **meta)
    less = Trial(ids[1], (Cohort("main", tree(chain[j])),), **meta)
    person = PatientFacts(
        "P1", sex=draw(st.sampled_from([None, "female", "male"])),
        oncotree=draw(st.sampled_from([None, *CODES])),
        numbers={k: (v, v) for k, v in (("age", draw(st.sampled_from([None, 40.0, 80.0]))),
                                         ("ecog", draw(st.sampled_from([None, 0.0, 2.0]))))
                 if v is not None},
        findings=(finding,), tested_genes=draw(st.sampled_from([None, frozenset(
            {finding.gene, "EGFR", "ROS1"})])),
        prior_therapies=draw(st.one_of(st.none(), st.lists(st.sampled_from(DRUGS),
                                                          max_size=2).map(tuple))))
    return more, less, person


@SETTINGS
@given(case=specificity_cases(), order=st.booleans())
def test_a_more_specific_match_never_ranks_below_a_less_specific_one(mini_ontology, case,
                                                                     order):
    more, less, person = case
    trials = [more, less] if order else [less, more]
    matches = json.loads(ranked(mini_ontology, trials, [person]))["P1"]
    ids = [m["trial_id"] for m in matches]
    assert ids.index(more.trial_id) < ids.index(less.trial_id), matches
    by_id = {m["trial_id"]: m for m in matches}
    assert by_id[more.trial_id]["score"] > by_id[less.trial_id]["score"]
