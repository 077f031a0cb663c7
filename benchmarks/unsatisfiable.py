"""Cohorts no patient can meet: a corpus-wide count of misreadings that needs no annotation.

    python benchmarks/unsatisfiable.py [--show N] [--hide-sets ae,af,...]

Parses every record of ../shared/data/ctgov/trials_2000_2020.ndjson and looks, in each cohort,
at the leaves the cohort requires (the conjunction at its top, with the items of a ruled-out
`any` ruled out one by one) for two that no one patient can satisfy together: two unrelated
cancer types required, a cancer type required and ruled out, an age or performance range that
is empty, two sexes, a drug (or a drug of a class) both required and ruled out, an alteration
required and the same one ruled out; or a required `any` all of whose options are ruled out so.
A trial none of whose cohorts can be met rejects every patient: each such trial is a misreading
of its text (or, rarely, a trial whose text contradicts itself). The figure is the number of
trials with no satisfiable cohort, by the kind of the first conflict found.

`--hide-sets` leaves out the trials of the named sets of tests/realtrials (the sets held out
from reading), so that the listing never shows them; the count then covers the rest of the
corpus.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "ctgov" / "trials_2000_2020.ndjson"
SETS = ROOT / "tests" / "realtrials"

_INTERVAL = {">=": lambda v: (v, float("inf")), ">": lambda v: (v + 1e-6, float("inf")),
             "<=": lambda v: (float("-inf"), v), "<": lambda v: (float("-inf"), v - 1e-6),
             "=": lambda v: (v, v)}


def units(node, nodes) -> list[tuple[object, bool]]:
    """The leaves a cohort requires (True) or rules out (False), and its required `any`s."""
    out: list[tuple[object, bool]] = []
    if isinstance(node, nodes.All):
        for item in node.items:
            out += units(item, nodes)
    elif isinstance(node, nodes.Not):
        inner = node.item
        if isinstance(inner, nodes.AnyOf):
            for item in inner.items:
                out += units(nodes.Not(item), nodes)
        elif isinstance(inner, nodes.Not):
            out += units(inner.item, nodes)
        elif not isinstance(inner, nodes.All):
            out.append((inner, False))
    else:
        out.append((node, True))
    return out


def conflict(a, pa: bool, b, pb: bool, ont, nodes) -> bool:
    """Whether leaf `a` holding `pa` and leaf `b` holding `pb` cannot both be true of a patient."""
    if type(a) is not type(b) or isinstance(a, (nodes.AnyOf, nodes.All, nodes.Unparsed,
                                                nodes.Population)):
        return False  # (an unread criterion is no fact about the patient)
    if isinstance(a, nodes.Diagnosis):
        def related(x: str, y: str) -> bool:
            return x == y or x in ont.cancer_ancestors(y) or y in ont.cancer_ancestors(x)
        if pa and pb:
            return not related(a.code, b.code)
        req, out = (a, b) if pa else (b, a)
        return pa != pb and (req.code == out.code or out.code in ont.cancer_ancestors(req.code))
    if isinstance(a, (nodes.Age, nodes.Performance)):
        if not (pa and pb) or getattr(a, "scale", None) != getattr(b, "scale", None):
            return False
        lo_a, hi_a = _INTERVAL.get(a.op, lambda v: (float("-inf"), float("inf")))(a.value)
        lo_b, hi_b = _INTERVAL.get(b.op, lambda v: (float("-inf"), float("inf")))(b.value)
        return max(lo_a, lo_b) > min(hi_a, hi_b)
    if isinstance(a, nodes.Sex):
        return a.value != b.value if pa and pb else pa != pb and a.value == b.value
    if pa == pb:
        return pa and isinstance(a, nodes.Measurement) and a.marker == b.marker \
            and a.op == b.op == "=" and a.value != b.value
    req, out = (a, b) if pa else (b, a)
    if isinstance(a, nodes.PriorTherapy):
        return (req.concept == out.concept or out.concept in ont.drug_concepts(req.concept)) \
            and req.concept not in out.excluding
    if isinstance(a, nodes.Alteration):
        return req.gene == out.gene and req.alteration == out.alteration and (
            (out.variant is None and out.exon is None)
            or (req.variant, req.exon) == (out.variant, out.exon))
    return a == b  # fusion, signature, expression, measurement: the same leaf both ways


def first_conflict(rule, ont, nodes) -> str | None:
    """The kind of the first conflict that makes a cohort's rule unsatisfiable, or None."""
    found = units(rule, nodes)
    leaves = [(n, p) for n, p in found if not isinstance(n, nodes.AnyOf)]
    for (a, pa), (b, pb) in itertools.combinations(leaves, 2):
        if conflict(a, pa, b, pb, ont, nodes):
            return a.kind
    for node, _p in found:
        if not isinstance(node, nodes.AnyOf) or not node.items:
            continue
        options = []
        for option in node.items:
            if isinstance(option, nodes.Not) and not isinstance(
                    option.item, (nodes.All, nodes.AnyOf, nodes.Not)):
                options.append((option.item, False))
            elif isinstance(option, (nodes.All, nodes.AnyOf, nodes.Not)):
                options = []
                break
            else:
                options.append((option, True))
        if options and all(any(conflict(o, po, leaf, pl, ont, nodes) for leaf, pl in leaves)
                           for o, po in options):
            return options[0][0].kind
    return None


def hidden_trials(names: list[str]) -> set[str]:
    """The NCT ids of the trials of the named sets."""
    ids: set[str] = set()
    for name in names:
        path = SETS / f"expected_{name}.json"
        if path.exists():
            ids |= set(re.findall(r"NCT\d{8}", path.read_text()))
    return ids


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show", type=int, default=0, help="list the first N trials found")
    ap.add_argument("--hide-sets", default="",
                    help="comma-separated set names whose trials are left out (held-out sets)")
    args = ap.parse_args()
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} not found (the shared data sits beside the repo)")
        return 0
    sys.path.insert(0, str(ROOT))
    from trialmatch.ingest.ctgov import study_record
    from trialmatch.nlp.parse import parse_record
    from trialmatch.ontology import default_ontology
    from trialmatch.rules import nodes

    ont = default_ontology()
    hidden = hidden_trials([s for s in args.hide_sets.split(",") if s])
    kinds: collections.Counter[str] = collections.Counter()
    shown = 0
    read = 0
    with CORPUS.open(encoding="utf-8") as fh:
        for line in fh:
            rec, _warnings = study_record(json.loads(line))
            if rec is None or rec.nct_id in hidden:
                continue
            read += 1
            trial = parse_record(rec, ont)
            found = [first_conflict(c.rule, ont, nodes) for c in trial.cohorts]
            if trial.cohorts and all(found):
                kinds[found[0]] += 1
                if shown < args.show:
                    shown += 1
                    print(f"  {rec.nct_id}: {', '.join(sorted(set(found)))}")
    total = sum(kinds.values())
    by_kind = ", ".join(f"{k} {n}" for k, n in kinds.most_common())
    print(f"{read} trials read ({len(hidden)} hidden): {total} with no cohort a patient can "
          f"meet ({by_kind or 'none'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
