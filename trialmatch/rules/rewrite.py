"""Bottom-up rewriting of a rule tree: the one traversal that tree passes share.

`rewrite(node, visit)` rebuilds the tree from the leaves up, calling `visit(node, negated,
depth)` on every node once its children are rewritten; `negated` says whether an odd number
of `not`s lies above the node, `depth` how far below the root it is. Nodes whose children
did not change are kept as they are (trees are immutable and shared).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from trialmatch.rules.nodes import All, AnyOf, Node, Not

Visit = Callable[[Node, bool, int], Node]


def rewrite(node: Node, visit: Visit, negated: bool = False, depth: int = 0) -> Node:
    """`node` rewritten by `visit` (see the module docstring)."""
    if isinstance(node, Not):
        item = rewrite(node.item, visit, not negated, depth + 1)
        if item is not node.item:
            node = replace(node, item=item)
    elif isinstance(node, (All, AnyOf)):
        items = tuple(rewrite(c, visit, negated, depth + 1) for c in node.items)
        if any(a is not b for a, b in zip(items, node.items, strict=True)):
            node = replace(node, items=items)
    return visit(node, negated, depth)
