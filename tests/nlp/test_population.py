"""Every trial has a target population (issue 9, class 8), and context rules are data whose
examples are tests."""

from __future__ import annotations

import pytest

from tests.nlp.stub_ontology import STUB
from trialmatch.ingest.record import Record
from trialmatch.nlp.mentions import Mention
from trialmatch.nlp.parse import parse_record
from trialmatch.nlp.resources import conditions, context_rules, spread_terms
from trialmatch.nlp.scope import apply_context
from trialmatch.nlp.tokens import Tokenizer, doc_tokens
from trialmatch.ontology import default_ontology
from trialmatch.rules import to_text
from trialmatch.rules.evaluate import evaluate, status_of
from trialmatch.rules.facts import PatientFacts
from trialmatch.rules.nodes import Population, leaves


def _record(text: str, conditions: tuple[str, ...], title: str | None = None) -> Record:
    return Record(nct_id="NCT99990003", eligibility=text, conditions=conditions, title=title,
                  min_age=18, min_age_text="18 Years")


def _cancer_patient() -> PatientFacts:
    return PatientFacts("P", oncotree="LUAD", numbers={"age": (60.0, 60.0)})


def test_a_non_cancer_trial_rules_out_a_cancer_patient():
    trial = parse_record(_record("Inclusion Criteria:\n- Adults aged 40 to 75 years\n",
                                 ("Type 2 Diabetes Mellitus",)), STUB)
    leaf = next(n for n in leaves(trial.cohorts[0].rule) if isinstance(n, Population))
    assert to_text(leaf) == 'population(non_oncology, "Type 2 Diabetes Mellitus")'
    value = evaluate(trial.cohorts[0].rule, _cancer_patient(), default_ontology())
    assert status_of(value) == "ineligible"
    # without a diagnosis the patient may still belong to it
    assert evaluate(leaf, PatientFacts("Q"), STUB) == 1


def test_inverted_condition_names_are_recognised():
    trial = parse_record(_record("- Adults\n", ("Kidney Disease, Chronic",)), STUB)
    assert "population(non_oncology" in to_text(trial.cohorts[0].rule)


def test_supportive_care_in_cancer_patients_is_oncology():
    trial = parse_record(_record("- Adults\n", ("Nausea",),
                                 "Antiemetic prophylaxis during chemotherapy"), STUB)
    assert "population(" not in to_text(trial.cohorts[0].rule)


def test_an_unrecognised_population_is_at_most_possible():
    trial = parse_record(_record("- Adults receiving chemotherapy\n", ("Widget syndrome",)),
                         STUB)
    rule = trial.cohorts[0].rule
    assert 'population(unrecognised, "Widget syndrome")' in to_text(rule)
    assert status_of(evaluate(rule, _cancer_patient(), default_ontology())) == "possible"
    bare = parse_record(_record("- Adults aged 18 or older\n", ()), STUB)
    assert 'population(unrecognised, "no condition given")' in to_text(bare.cohorts[0].rule)


def test_conditions_and_text_without_cancer_are_a_non_cancer_population():
    trial = parse_record(_record("- Adults aged 18 or older\n", ("Widget syndrome",)), STUB)
    assert 'population(non_oncology, "Widget syndrome")' in to_text(trial.cohorts[0].rule)


def test_a_cancer_trial_gets_no_population_leaf():
    trial = parse_record(_record("- Histologically confirmed melanoma\n", ("Melanoma",)), STUB)
    assert "population(" not in to_text(trial.cohorts[0].rule)


def test_provenance_never_changes_meaning():
    """Two parses that differ only in where the words sit (offsets, extra blank lines,
    another section heading style) give equal trees that print and evaluate the same."""
    a = parse_record(_record("Inclusion Criteria:\n- BRAF V600E mutation\n- ECOG 0-1\n",
                             ("Melanoma",)), STUB)
    b = parse_record(_record("\n\nINCLUSION CRITERIA:\n\n  * BRAF V600E mutation\n\n  * ECOG 0-1\n",
                             ("Melanoma",)), STUB)
    ra, rb = a.cohorts[0].rule, b.cohorts[0].rule
    assert [n.prov.start for n in leaves(ra)] != [n.prov.start for n in leaves(rb)]
    assert ra == rb and to_text(ra) == to_text(rb)
    p = _cancer_patient()
    ont = default_ontology()
    assert evaluate(ra, p, ont) == evaluate(rb, p, ont)


@pytest.mark.parametrize("group", conditions()[1], ids=lambda g: g[0])
def test_condition_groups_compile(group):
    assert group[1].pattern


def test_condition_examples_are_recognised():
    import yaml

    from trialmatch.nlp.resources import DATA

    data = yaml.safe_load((DATA / "conditions.yaml").read_text())
    oncology, groups = conditions()
    for text in data["oncology"]["examples"]:
        assert oncology.search(text), text
    by_site = dict(spread_terms())
    for entry in data["spread"]:
        for text in entry["examples"]:
            assert by_site[entry["tissue"]].search(text), text
    by_id = dict(groups)
    for g in data["groups"]:
        for text in g["examples"]:
            assert by_id[g["id"]].search(text), (g["id"], text)
            assert not oncology.search(text), text


RULE_EXAMPLES = [(r, ex) for r in context_rules() for ex in r.examples]


@pytest.mark.parametrize("rule,example", RULE_EXAMPLES,
                         ids=[f"{r.id}:{i}" for i, (r, _) in enumerate(RULE_EXAMPLES)])
def test_context_rule_examples(rule, example):
    """Each example holds a cue of its rule; `reaches` is inside that rule's scope."""
    from trialmatch.nlp.scope import cue_words, find_cues

    toks = _tokens(example.text)
    low = [w.lower() for w in toks.words if w not in ("-", "–")]
    cues = find_cues(low)
    assert any(c.rule.id == rule.id for c in cues), (rule.id, example.text)
    assert all(cue_words(p) for p in rule.phrases)
    if example.reaches:
        at = example.text.index(example.reaches)
        data = {"concept": rule.drug_class} if rule.drug_class else {}
        target = Mention(rule.applies_to[0], at, at + len(example.reaches), "test", data)
        apply_context(toks, [target], [0])
        assert rule.category in target.mods, (rule.id, example.text)
        if rule.drug_class:  # a rule of one drug class reaches no other treatment word
            other = Mention(rule.applies_to[0], at, at + len(example.reaches), "test",
                            {"concept": "chemotherapy"})
            apply_context(toks, [other], [0])
            assert rule.category not in other.mods, (rule.id, example.text)
    if example.stops_before:
        at = example.text.index(example.stops_before)
        beyond = Mention(rule.applies_to[0], at, at + len(example.stops_before), "test", {})
        apply_context(toks, [beyond], [0])
        assert rule.category not in beyond.mods, (rule.id, example.text)


def _tokens(text: str):
    import spacy

    return doc_tokens(Tokenizer(spacy.blank("en").vocab)(text))


def test_context_rules_of_one_drug_class_name_a_class():
    """A rule limited to one drug class (`drug_class`) names a class of the ontology and
    reaches treatment words: a misspelt id would make the rule reach nothing."""
    from trialmatch.ontology import default_ontology

    classes = default_ontology().drug_classes
    limited = [r for r in context_rules() if r.drug_class]
    assert limited  # (the site rules of radiotherapy and transplants)
    for rule in limited:
        assert rule.drug_class in classes, rule.id
        assert rule.applies_to == ["drug"], rule.id
