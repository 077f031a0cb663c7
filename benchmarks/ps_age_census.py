"""Census of performance-status and age limits the parser leaves unread on the corpus.

    python benchmarks/ps_age_census.py                 # counts, and a seeded sample on stderr
    python benchmarks/ps_age_census.py --sample 30     # a larger sample
    python benchmarks/ps_age_census.py --limit 500     # the first 500 trials only (quicker)

Parses every record of ../shared/data/ctgov/trials_2000_2020.ndjson with `parse_record` and,
cohort by cohort, counts:

* performance: unparsed leaves that name a performance scale (ECOG, Eastern Cooperative,
  Zubrod, WHO, Karnofsky, KPS, Lansky, "performance status", "PS") and a number, in cohorts
  with no `performance` leaf: the parser likely missed a limit every patient can be tested on;
* age: unparsed leaves with an age word ("age", "aged", "years old") and a number, in cohorts
  lacking a minimum or a maximum age. Many of these are rightly unparsed (a lab limit by age
  band, "ULN for age", "childbearing age"), so those with such a lab/age-band wording are
  counted apart ("of them, lab or other use of age").

Prints the counts on stdout and a sample (random.Random(10)) of the leaves on stderr, for the
engineer: nothing is written to a file (the corpus text stays out of the repository). Skips
with a message when ../shared is absent.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from parse_diff import corpus  # noqa: E402

PS_SCALE = re.compile(r"(?i)\b(?:ECOG|eastern\s+co-?operative|easter\s+co-?operative|zubrod|"
                      r"karnofsky|KPS|lansky|performance\s+(?:status|score|scale)|"
                      r"WHO\s+(?:PS|scale|criteria|grade)|PS)\b")
AGE_WORD = re.compile(r"(?i)\b(?:age[sd]?|years?\s+old|yrs?\s+old)\b")
NUMBER = re.compile(r"\d")
# uses of "age" that are no age limit of the patient: lab limits by age, reproductive age, ...
OTHER_AGE = re.compile(r"(?i)\bULN\b|upper\s+limit|normal\s+(?:range\s+)?for\s+age|for\s+age\b|"
                       r"child[\s-]?bearing|reproductive\s+age|age[\s-]adjusted|"
                       r"creatinine|clearance|mg/dl|µmol|umol|bilirubin|"
                       r"(?:diagnosed|diagnosis)\s+(?:before|after|at)|at\s+diagnosis|"
                       r"menopaus|gestational|\bage\s+at\b|bone\s+age")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="first N trials only")
    ap.add_argument("--sample", type=int, default=15, help="leaves of each kind shown on stderr")
    args = ap.parse_args()
    loaded = corpus(args.limit)
    if loaded is None:
        return 0
    records, ont = loaded
    from trialmatch.nlp import parse_record
    from trialmatch.rules.nodes import Age, Performance, Unparsed, leaves

    cpu = time.process_time()
    ps_hits: list[tuple[str, str]] = []
    age_hits: list[tuple[str, str, bool]] = []
    counts = {"cohorts": 0, "with_perf": 0, "with_min_age": 0, "with_max_age": 0}
    for r in records:
        trial = parse_record(r, ont)
        for cohort in trial.cohorts:
            counts["cohorts"] += 1
            ls = leaves(cohort.rule)
            has_perf = any(isinstance(x, Performance) for x in ls)
            ages = [x for x in ls if isinstance(x, Age)]
            has_min = any(a.op in (">", ">=") for a in ages)
            has_max = any(a.op in ("<", "<=") for a in ages)
            counts["with_perf"] += has_perf
            counts["with_min_age"] += has_min
            counts["with_max_age"] += has_max
            for x in ls:
                if not isinstance(x, Unparsed) or not NUMBER.search(x.text):
                    continue
                if not has_perf and PS_SCALE.search(x.text):
                    ps_hits.append((r.nct_id, x.text))
                if not (has_min and has_max) and AGE_WORD.search(x.text):
                    age_hits.append((r.nct_id, x.text, bool(OTHER_AGE.search(x.text))))
    cpu = time.process_time() - cpu
    n = counts["cohorts"]
    print(f"{len(records)} trials, {n} cohorts ({cpu:.0f} CPU s)")
    print(f"cohorts with a performance leaf: {counts['with_perf']} ({100 * counts['with_perf'] / n:.1f} %); "
          f"with a minimum age: {counts['with_min_age']}; with a maximum age: {counts['with_max_age']}")
    print(f"performance: {len(ps_hits)} unparsed leaves naming a scale and a number in cohorts "
          f"with no performance leaf, in {len({t for t, _ in ps_hits})} trials")
    other = sum(1 for *_, o in age_hits if o)
    print(f"age: {len(age_hits)} unparsed leaves with an age word and a number in cohorts lacking "
          f"a min or max age, in {len({t for t, *_ in age_hits})} trials; of them, lab or other use "
          f"of age: {other}; the rest: {len(age_hits) - other}")
    rng = random.Random(10)
    for title, rows in (("performance", [(t, x) for t, x in ps_hits]),
                        ("age (the rest)", [(t, x) for t, x, o in age_hits if not o])):
        print(f"--- sample, {title}", file=sys.stderr)
        for t, x in rng.sample(rows, min(args.sample, len(rows))):
            print(f"{t}: {' '.join(x.split())[:300]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
