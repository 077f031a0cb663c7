"""Assembly: criteria and their findings into one rule tree per cohort.

A criterion's findings are joined by the words between them ("A or B" -> any, otherwise
all); a criterion with no finding is kept whole as `unparsed`. Each cohort's rule is
`all(inclusion criteria..., not(exclusion criterion)...)`; criteria outside any cohort
heading apply to every cohort. A list introduced by "one of the following:" is an `any`.
"""

from __future__ import annotations

import re

from trialmatch.nlp.findings import Context, Unit, units
from trialmatch.nlp.mentions import Mention
from trialmatch.nlp.segment import Criterion, Layout
from trialmatch.rules.nodes import All, AnyOf, Node, Not, Provenance, Unparsed
from trialmatch.rules.trial import Cohort

_ASIDE = re.compile(r"\([^()]{0,120}\)")
_OR = re.compile(r"(?i)(?:^|[\s,(])(?:or|and/or|either)(?=[\s,)]|$)")


def join_units(found: list[Unit], text: str, prov: Provenance) -> Node:
    """Join findings: runs separated by "or" become `any`, the rest `all`."""
    runs: list[list[Unit]] = [[found[0]]]
    for prev, cur in zip(found, found[1:], strict=False):
        gap = _ASIDE.sub(" ", text[prev.end:cur.start])  # "(IHC 3+ or ISH+)" defines, not joins
        if _OR.search(gap) and len(gap) < 80 and ";" not in gap:
            runs[-1].append(cur)
        else:
            runs.append([cur])
    parts: list[Node] = []
    for run in runs:
        if len(run) == 1:
            parts.append(run[0].node)
        else:
            parts.append(AnyOf(tuple(u.node for u in run),
                               prov=_span(prov, text, run[0].start, run[-1].end, "assemble.or")))
    return parts[0] if len(parts) == 1 else All(tuple(parts), prov=prov)


def _span(prov: Provenance, text: str, start: int, end: int, source: str) -> Provenance:
    return Provenance(prov.section, start, end, text[start:end], source)


def criterion_node(c: Criterion, text: str, ms: list[Mention], inherited: list[str]) -> Node:
    """The node of one criterion (not yet negated for the exclusion section)."""
    prov = Provenance(c.section, c.start, c.end, text[c.start:c.end], "segment.criterion")
    ctx = Context(text, c.section, c.start, c.end, ms, inherited)
    found = units(ctx)
    if not found:
        return Unparsed(text[c.start:c.end], prov=prov)
    return join_units(found, text, prov)


def parent_cues(c: Criterion, layout: Layout, ms_of: dict[int, list[Mention]],
                cache: dict[int, list[str]] | None = None) -> list[str]:
    """Alteration cues of the list header above a short criterion ("Excluded genotypes
    (including co-occurring mutations):" over "- STK11")."""
    if c.parent is None or len(c.text) > 60:
        return []
    idx = c.parent
    if cache is not None and idx in cache:
        return cache[idx]
    vals = [m.data["value"] for m in ms_of.get(idx, []) if m.label == "cue"
            and m.data["role"] == "alteration" and m.data["value"] not in ("positive", "negative",
                                                                          "low")]
    if cache is not None:
        cache[idx] = vals[-1:]
    return vals[-1:]


def criteria_nodes(layout: Layout, text: str, ms: list[Mention]) -> list[tuple[Criterion, Node]]:
    """(criterion, node) for every criterion; children of an "any of" header are joined."""
    ms_of: dict[int, list[Mention]] = {i: [] for i in range(len(layout.criteria))}
    starts = [c.start for c in layout.criteria]
    ci = 0
    for m in ms:
        while ci + 1 < len(starts) and m.start >= starts[ci + 1]:
            ci += 1
        c = layout.criteria[ci]
        if c.start <= m.start and m.end <= c.end:
            ms_of[ci].append(m)
    nodes: dict[int, Node] = {}
    cache: dict[int, list[str]] = {}
    for i, c in enumerate(layout.criteria):
        nodes[i] = criterion_node(c, text, ms_of[i], parent_cues(c, layout, ms_of, cache))
    out: list[tuple[Criterion, Node]] = []
    absorbed: set[int] = set()
    for i, c in enumerate(layout.criteria):
        if i in absorbed:
            continue
        if c.any_of and c.children:
            kids = [k for k in c.children if k not in absorbed]
            absorbed.update(kids)
            prov = Provenance(c.section, c.start, layout.criteria[kids[-1]].end,
                              text[c.start:layout.criteria[kids[-1]].end], "segment.any_of")
            kid_nodes = tuple(nodes[k] for k in kids)
            head = nodes[i]
            items = kid_nodes if isinstance(head, Unparsed) else (head, AnyOf(kid_nodes, prov=prov))
            node = AnyOf(items, prov=prov) if isinstance(head, Unparsed) else All(items, prov=prov)
            out.append((c, node))
        else:
            out.append((c, nodes[i]))
    return out


def cohort_rules(layout: Layout, pairs: list[tuple[Criterion, Node]],
                 leading: tuple[Node, ...] = (), trailing: tuple[Node, ...] = ()
                 ) -> tuple[Cohort, ...]:
    """One `Cohort` per cohort heading (or "main"), each `all(incl..., not(excl)...)`;
    `leading` (structured fields) and `trailing` nodes go into every cohort."""
    ids = list(layout.cohorts) or ["main"]
    cohorts = []
    for cid in ids:
        items: list[Node] = list(leading)
        for c, node in pairs:
            if c.cohorts is not None and cid not in c.cohorts:
                continue
            if c.section == "exclusion":
                items.append(Not(node, prov=Provenance(c.section, c.start, c.end, c.text,
                                                       "section.exclusion")))
            else:
                items.append(node)
        items.extend(trailing)
        label = layout.cohorts.get(cid)
        cohorts.append(Cohort(cid, All(tuple(items)), label))
    return tuple(cohorts)
