"""The shared bottom-up rewrite: polarity, depth, and unchanged subtrees kept as they are."""

from trialmatch.rules import parse_text, to_text
from trialmatch.rules.nodes import Age, Not
from trialmatch.rules.rewrite import rewrite


def test_visit_sees_polarity_and_depth_and_keeps_unchanged_trees():
    tree = parse_text("all(age >= 18, not(any(age >= 70, ecog <= 1)))")
    seen = []

    def visit(node, negated, depth):
        seen.append((to_text(node), negated, depth))
        return node

    assert rewrite(tree, visit) is tree
    assert ("age >= 18", False, 1) in seen
    assert ("age >= 70", True, 3) in seen
    assert seen[-1] == (to_text(tree), False, 0)


def test_a_changed_leaf_rebuilds_only_its_ancestors():
    tree = parse_text("all(age >= 18, not(ecog <= 1))")
    out = rewrite(tree, lambda n, neg, d: Age(">=", 21) if n == Age(">=", 18) else n)
    assert to_text(out) == "all(age >= 21, not(ecog <= 1))"
    assert isinstance(out.items[1], Not) and out.items[1] is tree.items[1]
