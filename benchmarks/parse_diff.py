"""Safety net for parser optimisations: dump every record's parse, then diff two dumps.

    python benchmarks/parse_diff.py dump OUT.jsonl [--limit N] [--every K]
    python benchmarks/parse_diff.py diff BEFORE.jsonl AFTER.jsonl [--show 5]

`dump` parses the records of ../shared/data/ctgov/trials_2000_2020.ndjson (all 4,868, or the
first N, or every K-th) with `parse_record` and writes one line per record: its NCT id, the
`trialmatch parse --format jsonl` object (trees, biomarkers, unparsed) and the text form of
each cohort's tree. Write OUT outside the repository (it holds text derived from the shared
corpus). `diff` compares two dumps record by record and prints the records whose output
differs (exit 1 when any does), so an optimisation can be shown to change nothing. CPU
seconds of the parsing are printed on stderr. Skips with a message when ../shared is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "ctgov" / "trials_2000_2020.ndjson"


def corpus(limit: int | None = None, every: int = 1):
    """(records, embedded ontology) of the shared corpus (every K-th, the first N of them),
    or None, with a message on stderr, when ../shared is absent. Other corpus scripts
    (dx_census.py) import it."""
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} not found (the shared data sits beside the repository)",
              file=sys.stderr)
        return None
    sys.path.insert(0, str(ROOT))
    from trialmatch.ingest import read_records
    from trialmatch.ontology import default_ontology

    records, _ = read_records(CORPUS)
    return (records[::every][:limit] if limit else records[::every]), default_ontology()


def dump(out: Path, limit: int | None, every: int) -> int:
    loaded = corpus(limit, every)
    if loaded is None:
        return 0
    records, ont = loaded
    from trialmatch.nlp import parse_output, parse_record

    parse_record(records[0], ont)  # warm-up
    cpu = 0.0
    with out.open("w", encoding="utf-8") as fh:
        for r in records:
            c = time.process_time()
            trial = parse_record(r, ont)
            obj = parse_output(trial)
            cpu += time.process_time() - c
            trees = [str(c.rule) for c in trial.cohorts]
            fh.write(json.dumps({"id": r.nct_id, "output": obj, "trees": trees},
                                ensure_ascii=False, sort_keys=True, default=str) + "\n")
    print(f"{len(records)} records parsed in {cpu:.2f} CPU s -> {out}", file=sys.stderr)
    return 0


def diff(before: Path, after: Path, show: int) -> int:
    def load(path: Path) -> dict[str, str]:
        rows = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            rows[json.loads(line)["id"]] = line
        return rows

    a, b = load(before), load(after)
    changed = [k for k in a if k in b and a[k] != b[k]]
    missing = sorted(set(b) - set(a))  # a sample (--every, --limit) may be diffed with all
    for k in changed[:show]:
        x, y = json.loads(a[k]), json.loads(b[k])
        print(f"== {k}")
        for key in ("trees", "output"):
            if x[key] != y[key]:
                print(f"  {key} before: {json.dumps(x[key], ensure_ascii=False)[:1500]}")
                print(f"  {key} after:  {json.dumps(y[key], ensure_ascii=False)[:1500]}")
    print(f"{len(a)} / {len(b)} records; {len(changed)} differ; {len(missing)} only after")
    return 1 if changed or missing else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--limit", type=int, default=None)
    d.add_argument("--every", type=int, default=1)
    f = sub.add_parser("diff")
    f.add_argument("before", type=Path)
    f.add_argument("after", type=Path)
    f.add_argument("--show", type=int, default=5)
    args = ap.parse_args()
    if args.cmd == "dump":
        return dump(args.out, args.limit, args.every)
    return diff(args.before, args.after, args.show)


if __name__ == "__main__":
    raise SystemExit(main())
