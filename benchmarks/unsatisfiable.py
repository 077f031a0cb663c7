"""Cohorts no patient can meet: a corpus-wide count of misreadings that needs no annotation.

    python benchmarks/unsatisfiable.py [--show N] [--hide-sets ae,af,...]

Parses every record of ../shared/data/ctgov/trials_2000_2020.ndjson and looks, in each cohort,
at the leaves the cohort requires (the conjunction at its top, with the items of a ruled-out
`any` ruled out one by one) for two that no one patient can satisfy together: two unrelated
cancer types required, a cancer type required and ruled out, an age or performance range that
is empty, two sexes, a drug (or a drug of a class) both required and ruled out, an alteration
required and the same one ruled out; or a required `any` all of whose options are ruled out so.
A trial none of whose cohorts can be met rejects every patient: each such trial is a misreading
of its text (or, rarely, a trial whose text contradicts itself). The first figure is the number
of trials with no satisfiable cohort, by the kind of the first conflict found. The parser leaves
the criteria of such a conflict for manual review (trialmatch/nlp/consistency.py, the same test),
so that figure counts what escapes it; the second figure, the trials where it did so, counts
the misreadings themselves.

`--hide-sets` leaves out the trials of the named sets of tests/realtrials (the sets held out
from reading), so that the listing never shows them; the count then covers the rest of the
corpus.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "ctgov" / "trials_2000_2020.ndjson"
SETS = ROOT / "tests" / "realtrials"

def first_conflict(rule, ont) -> str | None:
    """The kind of the first conflict that makes a cohort's rule unsatisfiable, or None."""
    from trialmatch.nlp.consistency import conflicts

    for group in conflicts(rule, ont):
        return group[-1].kind
    return None


def repaired(rule, nodes) -> bool:
    """Whether the parser left criteria of this rule for review as contradicting each other."""
    from trialmatch.nlp.consistency import CONFLICT

    return any(isinstance(leaf, nodes.Unparsed) and leaf.reason == CONFLICT
               for leaf in nodes.leaves(rule))


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
    read = fixed = 0
    with CORPUS.open(encoding="utf-8") as fh:
        for line in fh:
            rec, _warnings = study_record(json.loads(line))
            if rec is None or rec.nct_id in hidden:
                continue
            read += 1
            trial = parse_record(rec, ont)
            fixed += any(repaired(c.rule, nodes) for c in trial.cohorts)
            found = [first_conflict(c.rule, ont) for c in trial.cohorts]
            if trial.cohorts and all(found):
                kinds[found[0]] += 1
                if shown < args.show:
                    shown += 1
                    print(f"  {rec.nct_id}: {', '.join(sorted(set(found)))}")
    total = sum(kinds.values())
    by_kind = ", ".join(f"{k} {n}" for k, n in kinds.most_common())
    print(f"{read} trials read ({len(hidden)} hidden): {total} with no cohort a patient can "
          f"meet ({by_kind or 'none'}); {fixed} with criteria left for review because they "
          "contradict each other")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
