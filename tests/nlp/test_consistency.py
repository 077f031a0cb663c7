"""Criteria of one cohort that no patient can meet together are left for manual review
(`trialmatch.nlp.consistency`): such a cohort is a misreading, and it would reject everyone."""

from __future__ import annotations

from trialmatch.ingest.record import Record
from trialmatch.nlp.consistency import CONFLICT, conflicts, shared_sparing, without_conflicts
from trialmatch.nlp.parse import parse_record
from trialmatch.ontology import default_ontology
from trialmatch.rules import parse_text as parse_rule
from trialmatch.rules import to_text
from trialmatch.rules.nodes import All, Diagnosis, Not, PriorTherapy, Unparsed, leaves


def _record(text: str, conditions: tuple[str, ...] = ("Colorectal Cancer",)) -> Record:
    return Record(nct_id="NCT99990003", eligibility=text, conditions=conditions)


def _rule(text: str, conditions: tuple[str, ...] = ("Colorectal Cancer",)):
    trial = parse_record(_record(text, conditions), default_ontology())
    assert len(trial.cohorts) == 1
    return trial.cohorts[0].rule


def _left_for_review(rule) -> list[str]:
    return [leaf.prov.text for leaf in leaves(rule)
            if isinstance(leaf, Unparsed) and leaf.reason == CONFLICT]


def test_two_age_groups_in_one_list_are_left_for_review():
    rule = _rule("Inclusion Criteria:\n- Metastatic colorectal cancer\n"
                 "- Teenagers aged 13 to 17 years with a signed assent\n"
                 "- or adults 18 years and older\n- ECOG 0-1")
    assert "age <= 17" not in to_text(rule) and "age >= 18" not in to_text(rule)
    assert "age >= 13" in to_text(rule)  # (both groups are 13 or older)
    assert len(_left_for_review(rule)) == 2
    assert "ecog <= 1" in to_text(rule)  # what else the cohort requires still holds
    assert list(conflicts(rule, default_ontology())) == []


def test_both_sexes_required_are_left_for_review():
    ont = default_ontology()
    rule = parse_rule("all(diagnosis(COADREAD), sex = male, sex = female, ecog <= 1)")
    fixed = without_conflicts(rule, ont)
    assert to_text(fixed) == (f'all(diagnosis(COADREAD), unparsed("sex = male", reason="{CONFLICT}"), '
                              f'unparsed("sex = female", reason="{CONFLICT}"), ecog <= 1)')


def test_a_drug_required_and_ruled_out_is_left_for_review():
    ont = default_ontology()
    rule = parse_rule("all(diagnosis(COADREAD), prior(oxaliplatin), not(prior(platinum)), "
                      "ecog <= 1)")
    assert len(list(conflicts(rule, ont))) == 1
    fixed = without_conflicts(rule, ont)
    assert to_text(fixed) == ('all(diagnosis(COADREAD), unparsed("prior(oxaliplatin)", '
                              f'reason="{CONFLICT}"), not(unparsed("prior(platinum)", '
                              f'reason="{CONFLICT}")), ecog <= 1)')
    assert list(conflicts(fixed, ont)) == []


def test_a_required_choice_whose_options_are_all_ruled_out_is_left_for_review():
    ont = default_ontology()
    rule = parse_rule("all(any(prior(cetuximab), prior(panitumumab)), "
                      "not(prior(anti_egfr_antibody)), age >= 18)")
    fixed = without_conflicts(rule, ont)
    assert "age >= 18" in to_text(fixed)
    assert "prior_therapy" not in {leaf.kind for leaf in leaves(fixed)}
    assert to_text(fixed).startswith('all(unparsed("any(prior(cetuximab), prior(panitumumab))"')
    assert list(conflicts(fixed, ont)) == []


def test_criteria_that_can_hold_together_are_untouched():
    ont = default_ontology()
    for text in ("all(diagnosis(NSCLC), not(diagnosis(LUSC)), age >= 18, age <= 75)",
                 "all(prior(platinum), not(prior(cisplatin, excluding=carboplatin)))",
                 "all(sex = female, not(sex = male), ecog <= 2, ecog >= 0)",
                 "all(diagnosis(LUAD), diagnosis(NSCLC), alteration(EGFR, mutation), "
                 "not(alteration(EGFR, mutation, variant=T790M)))"):
        rule = parse_rule(text)
        assert without_conflicts(rule, ont) is rule, text


def test_a_gene_required_wild_type_outweighs_its_mutations_listed_beside_it():
    """A list of codons after "no mutation in any of the codons below is wild type" read as
    mutations required: the wild type stays, the mutations go to review."""
    ont = default_ontology()
    rule = parse_rule("all(alteration(NRAS, wildtype), any(alteration(NRAS, mutation, variant=G12), "
                      "alteration(NRAS, mutation, variant=Q61)), alteration(BRAF, wildtype), "
                      "alteration(BRAF, mutation, variant=V600))")
    out = without_conflicts(rule, ont)
    kept = [to_text(leaf) for leaf in leaves(out) if not isinstance(leaf, Unparsed)]
    assert kept == ["alteration(NRAS, wildtype)", "alteration(BRAF, wildtype)"]
    assert to_text(out).count(CONFLICT) == 2


def test_two_populations_that_cannot_hold_together_become_alternatives():
    rule = _rule("Inclusion Criteria:\n- Rectal adenocarcinoma after fluoropyrimidine therapy\n"
                 "- Anal squamous cell carcinoma, previously untreated", ("Rectal Cancer", "Anal Cancer"))
    text = to_text(rule)
    assert text.startswith("all(any(") and CONFLICT not in text
    assert list(conflicts(rule, default_ontology())) == []


def test_a_blanket_exclusion_spares_what_another_criterion_spares():
    # "untreated" (no anticancer therapy) beside "no treatment other than hydroxyurea": the
    # blanket one spares hydroxyurea too; another class's exclusion is left alone
    rule = All((Not(PriorTherapy("anticancer_therapy")), Diagnosis("AML"),
                Not(PriorTherapy("anticancer_therapy", ("hydroxyurea",))),
                Not(PriorTherapy("chemotherapy"))))
    assert to_text(shared_sparing(rule)) == (
        "all(not(prior(anticancer_therapy, excluding=hydroxyurea)), diagnosis(AML), "
        "not(prior(anticancer_therapy, excluding=hydroxyurea)), not(prior(chemotherapy)))")
    required = All((PriorTherapy("anticancer_therapy"),
                    Not(PriorTherapy("anticancer_therapy", ("hydroxyurea",)))))
    assert to_text(shared_sparing(required)).startswith("all(prior(anticancer_therapy), ")
