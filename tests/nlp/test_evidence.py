"""Evidence rules (data/evidence.yaml): every example is read, no counter-example is, and the
tags reach the criterion's biomarker leaves only (issue 10, point 4)."""

import pytest

from trialmatch.nlp.evidence import evidence_in, evidence_rules, with_evidence
from trialmatch.rules.nodes import Age, All, Alteration, Fusion

RULES = evidence_rules()
EXAMPLES = [(r.id, r.tag, ex, True) for r, _ in RULES for ex in r.examples] + [
    (r.id, r.tag, ex, False) for r, _ in RULES for ex in r.counter_examples
]


@pytest.mark.parametrize(
    "rule,tag,text,reads", EXAMPLES, ids=[f"{r}:{t}" for r, _, t, _ in EXAMPLES]
)
def test_evidence_rule_examples(rule, tag, text, reads):
    assert (tag in evidence_in(text)) == reads


def test_tags_go_on_biomarker_leaves_and_isoforms_only_on_bcr_abl1():
    tree = All((Alteration("KRAS"), Fusion("ABL1", "BCR"), Age(">=", 18)))
    got = with_evidence(tree, "p190 BCR-ABL1 or KRAS by NGS in plasma", "")
    assert got.items[0].evidence == ("ngs", "plasma")
    assert got.items[1].evidence == ("ngs", "p190", "plasma")
    assert got.items[2] == Age(">=", 18)


def test_text_without_evidence_leaves_the_tree_as_it_is():
    tree = All((Alteration("KRAS"),))
    assert with_evidence(tree, "KRAS mutation", "one of the following") is tree
