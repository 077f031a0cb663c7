"""Every example in trialmatch/nlp/data is a test: patterns, cues and headings match."""

import re

import pytest

from trialmatch.nlp import parse_eligibility
from trialmatch.nlp.assemble import announces_alternatives
from trialmatch.nlp.resources import (
    ContextRule,
    context_rules,
    cues,
    gene_data,
    headings,
    list_headers,
    patterns,
    places,
    short_names,
    sites,
    umbrellas,
)
from trialmatch.nlp.sections import classify
from trialmatch.nlp.treatment_state import state_entries, state_examples

PATTERNS = [(p, rx, ex) for p, rx in patterns() for ex in p.examples]
CUES = [(c, ex) for c in cues()[0] for ex in c.examples]
HEADS = [(h, ex, True) for h, _ in headings() for ex in h.examples] + \
        [(h, ex, False) for h, _ in headings() for ex in h.counter_examples]


@pytest.mark.parametrize("p,rx,ex", PATTERNS, ids=[f"{p.id}:{ex.text}" for p, _, ex in PATTERNS])
def test_pattern_example(p, rx, ex):
    m = rx.search(ex.text)
    assert m, f"{p.id} does not match {ex.text!r}"
    for k, v in ex.groups.items():
        assert m.group(k) == v


@pytest.mark.parametrize("c,ex", CUES, ids=[f"{c.id}:{ex}" for c, ex in CUES])
def test_cue_example(c, ex):
    words = [re.escape(p).replace(r"\ ", r"[\s\-]+") for p in c.phrases]
    assert re.search("|".join(words), ex, re.IGNORECASE)


@pytest.mark.parametrize("h,ex,ok", HEADS, ids=[f"{h.id}:{ex}" for h, ex, _ in HEADS])
def test_heading_example(h, ex, ok):
    got = classify(ex)
    if ok:
        assert got is not None and got.kind == h.kind
    else:
        assert got is None or got.kind != h.kind

LISTS = [(h, ex, True) for h, _ in list_headers() for ex in h.examples] + \
        [(h, ex, False) for h, _ in list_headers() for ex in h.counter_examples]


@pytest.mark.parametrize("h,ex,ok", LISTS, ids=[f"{h.id}:{ex}" for h, ex, _ in LISTS])
def test_list_header_example(h, ex, ok):
    rx = dict((x.id, r) for x, r in list_headers())[h.id]
    assert bool(rx.search(ex)) is ok
    if not ok:  # a counter-example announces its connective through no rule
        assert not any(x.connective == h.connective and r.search(ex)
                       for x, r in list_headers())
        if h.connective == "any":
            assert not announces_alternatives(ex)


def test_context_grid_spells_every_combination():
    rule = ContextRule.model_validate({
        "id": "t", "category": "conditional", "direction": "forward", "max_scope": 3,
        "applies_to": ["drug"], "phrases": ["only if"], "grid": [["amplified", "fused"],
                                                                 ["cases"], ["must", "need to"]],
        "examples": [{"text": "fused cases must have had drug X"}]})
    assert rule.phrases == ["only if", "amplified cases must", "amplified cases need to",
                            "fused cases must", "fused cases need to"]
    by_id = {r.id: r for r in context_rules()}  # the data file's grid, shared by two rules
    assert "mutant tumours need to" in by_id["conditional.subgroup"].phrases
    assert by_id["conditional.subgroup"].phrases == by_id["conditional.subgroup.marker"].phrases


@pytest.mark.parametrize("grid", [[], [[]], [["a", 3]], "a b", [["a", " "]]])
def test_context_grid_malformed(grid):
    with pytest.raises(ValueError, match="grid"):
        ContextRule.model_validate({
            "id": "t", "category": "conditional", "direction": "forward", "max_scope": 3,
            "applies_to": ["drug"], "grid": grid, "examples": [{"text": "x"}]})


def test_gene_data_loads():
    data = gene_data()
    assert data.aliases and data.codons["KRAS"]["12"] == "G"


def test_traits_are_known_genes_and_read_as_no_tumour_finding():
    """data/genes.yaml `traits`: each is a gene of the ontology; a criterion naming only a
    trait is left for review, where a tumour gene with the same words is a finding."""
    from trialmatch.nlp.parse import _default_ontology
    from trialmatch.rules.nodes import Alteration, walk

    ontology = _default_ontology()
    assert gene_data().traits and all(ontology.has_gene(g) for g in gene_data().traits)

    def genes(line):
        trial = parse_eligibility(f"Exclusion Criteria:\n- {line}", ontology=ontology)
        return {n.gene for c in trial.cohorts for n in walk(c.rule) if isinstance(n, Alteration)}
    assert genes("A documented thiopurine methyltransferase (TPMT) deficiency") == set()
    assert genes("A documented ATM deficiency") == {"ATM"}


def test_arm_losses_name_known_genes_and_read_as_their_deletion():
    """data/genes.yaml `arm_losses`: each gene is a gene of the ontology, and the arm's loss
    written in the text reads as that gene's deletion; an arm not listed is no finding."""
    from trialmatch.nlp.parse import _default_ontology
    from trialmatch.rules.nodes import Alteration, walk

    ontology = _default_ontology()
    losses = gene_data().arm_losses
    assert losses and all(ontology.has_gene(g) for g in losses.values())

    def deletions(line):
        trial = parse_eligibility(f"Inclusion Criteria:\n- {line}", ontology=ontology)
        return {(n.gene, n.alteration) for c in trial.cohorts for n in walk(c.rule)
                if isinstance(n, Alteration)}
    for arm, gene in losses.items():
        assert deletions(f"Leukaemia with del({arm}) on FISH") == {(gene, "deletion")}
    assert deletions("Leukaemia with del(13q) on FISH") == set()


SITES = [(s, ex) for s in sites() for ex in s.examples]


@pytest.mark.parametrize("s,ex", SITES, ids=[f"{s.id}:{ex.text}" for s, ex in SITES])
def test_site_example(s, ex):
    """Each example of data/sites.yaml is read as its cancer type (or a subtype of it)."""
    from trialmatch.nlp.parse import _default_ontology
    from trialmatch.rules.nodes import Diagnosis, walk

    ontology = _default_ontology()
    trial = parse_eligibility(f"Inclusion Criteria:\n- {ex.text}.", ontology=ontology)
    codes = [n.code for c in trial.cohorts for n in walk(c.rule) if isinstance(n, Diagnosis)]
    assert codes, f"{ex.text!r}: no cancer type read"
    assert all(ex.code in ontology.cancer_ancestors(c) for c in codes), (ex.text, codes)


UMBRELLAS = [(u, ex) for u in umbrellas() for ex in u.examples]


@pytest.mark.parametrize("u,ex", UMBRELLAS, ids=[f"{u.id}:{ex.text}" for u, ex in UMBRELLAS])
def test_umbrella_example(u, ex):
    """Each example of data/umbrellas.yaml reads as types covering every code it lists."""
    from trialmatch.nlp.parse import _default_ontology
    from trialmatch.rules.nodes import Diagnosis, walk

    ontology = _default_ontology()
    trial = parse_eligibility(f"Inclusion Criteria:\n- {ex.text}.", ontology=ontology)
    codes = {n.code for c in trial.cohorts for n in walk(c.rule) if isinstance(n, Diagnosis)}
    for want in ex.codes:
        assert any(c in ontology.cancer_ancestors(want) for c in codes), (ex.text, want, codes)


@pytest.mark.parametrize("u", umbrellas(), ids=[u.id for u in umbrellas()])
def test_umbrella_names_and_codes(u):
    """Every name of an umbrella, as a criterion of its own, reads as exactly its codes (the
    parser's lexicon must give the first code, or the umbrella never applies)."""
    from trialmatch.nlp.parse import _default_ontology
    from trialmatch.rules.nodes import Diagnosis, walk

    ontology = _default_ontology()
    assert all(code in ontology.cancers for code in u.codes), u.codes
    for name in u.names:
        trial = parse_eligibility(f"Inclusion Criteria:\n- {name}", ontology=ontology)
        codes = [n.code for c in trial.cohorts for n in walk(c.rule) if isinstance(n, Diagnosis)]
        assert codes == u.codes, (name, codes)


SHORT = [(s, ex, True) for s in short_names() for ex in s.examples] + \
        [(s, ex, False) for s in short_names() for ex in s.counter_examples]


@pytest.mark.parametrize("s,ex,names", SHORT, ids=[f"{s.id}:{ex}" for s, ex, _ in SHORT])
def test_short_name_example(s, ex, names):
    """data/short_names.yaml: an example reads the abbreviation as its cancer type; a
    counter-example does not read it as that type."""
    from trialmatch.nlp.parse import _default_ontology
    from trialmatch.nlp.pipeline import analyse

    ontology = _default_ontology()
    start = ex.index(s.form) if s.form in ex else -1
    read = [m for m in analyse(ex, ontology)[1] if m.label == "cancer" and m.source == "short_names"]
    if names:
        assert [(m.start, m.data["code"]) for m in read][:1] == [(ex.index(s.form), s.code)], ex
    else:
        assert not read and start >= 0, ex


STATES = [(e, ex) for e in state_entries() for ex in state_examples(e.id)]


@pytest.mark.parametrize("e,ex", STATES, ids=[f"{e.id}:{ex}" for e, ex in STATES])
def test_treatment_state_example(e, ex):
    assert e.regex.search(ex), f"{e.id} does not match {ex!r}"


def test_treatment_state_words_of_another_disease_are_not_cancer():
    # data/treatment_state.yaml other_disease: a state beside them is not the cancer's
    trial = parse_eligibility("Inclusion Criteria:\n- Metastatic renal cell carcinoma\n"
                              "- Antiretroviral treatment-naive")
    assert "anticancer_therapy" not in str(trial.cohorts[0].rule)
    trial = parse_eligibility("Inclusion Criteria:\n- Metastatic renal cell carcinoma\n"
                              "- Treatment-naive")
    assert "anticancer_therapy" in str(trial.cohorts[0].rule)


@pytest.mark.parametrize("ex", places()[1])
def test_place_example_is_a_rule_for_one_country(ex):
    """Each example of data/sections.yaml `places` reads as a rule for one country's sites."""
    from trialmatch.rules.nodes import Unparsed, walk

    trial = parse_eligibility(f"Inclusion Criteria:\n- Solid tumour\n- {ex}")
    reasons = [n.reason for c in trial.cohorts for n in walk(c.rule) if isinstance(n, Unparsed)]
    assert "a rule for the sites of one country" in reasons, (ex, reasons)
