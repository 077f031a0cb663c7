"""Parser accuracy on the development set: writes PRED.jsonl and runs the shared scorer.

    python benchmarks/parser_accuracy.py [--out parser-dev.pred.jsonl] [--show-errors]
    python benchmarks/parser_accuracy.py --gold tests/biomarkergold/gold_bg.json

Reads ../shared/data/parser-dev/trials.json (92 annotated oncology trials) and scores with
../shared/tools/eval_parser.py against gold.json. With --gold, scores that gold file instead:
its trials are taken from parser-dev when they are there and otherwise from the shared corpus
(../shared/data/ctgov/trials_2000_2020.ndjson); only the gold's trials are parsed, and the
predictions go to benchmarks/<gold name>.pred.jsonl unless --out says otherwise. Skips with a
message when ../shared is absent.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEV = SHARED / "data" / "parser-dev"
CORPUS = SHARED / "data" / "ctgov" / "trials_2000_2020.ndjson"
SCORER = SHARED / "tools" / "eval_parser.py"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None,
                    help="predictions file (default benchmarks/parser-dev.pred.jsonl, or "
                         "benchmarks/<gold name>.pred.jsonl with --gold)")
    ap.add_argument("--gold", default=None,
                    help="gold file to score (default ../shared/data/parser-dev/gold.json)")
    ap.add_argument("--show-errors", action="store_true")
    args = ap.parse_args()
    if not (DEV / "trials.json").exists() or not SCORER.exists():
        print(f"skipped: {DEV} or {SCORER} not found (the shared data sits beside the repo)")
        return 0
    sys.path.insert(0, str(ROOT))
    from trialmatch.ingest import read_records
    from trialmatch.nlp import parse_output, parse_record

    gold = DEV / "gold.json" if args.gold is None else Path(args.gold)
    if args.out is not None:
        out = args.out
    elif args.gold is None:
        out = str(ROOT / "benchmarks" / "parser-dev.pred.jsonl")
    else:
        out = str(ROOT / "benchmarks" / f"{gold.stem}.pred.jsonl")
    records, problems = read_records(DEV / "trials.json")
    for p in problems:
        print(p, file=sys.stderr)
    if args.gold is not None:
        try:
            wanted = set(json.loads(gold.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            print(f"error: cannot read the gold file {gold}: {exc}", file=sys.stderr)
            return 2
        records = [r for r in records if r.nct_id in wanted]
        missing = wanted - {r.nct_id for r in records}
        if missing:
            if not CORPUS.exists():
                print(f"skipped: {CORPUS} not found (the shared data sits beside the repo)")
                return 0
            corpus, problems = read_records(CORPUS)
            for p in problems:
                print(p, file=sys.stderr)
            records += [r for r in corpus if r.nct_id in missing]
            missing -= {r.nct_id for r in records}
        if missing:
            print(f"{len(missing)} gold trial(s) found in neither parser-dev nor the corpus: "
                  + " ".join(sorted(missing)), file=sys.stderr)
    with open(out, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(parse_output(parse_record(r))) + "\n")
    cmd = [sys.executable, str(SCORER), "--gold", str(gold), "--pred", out]
    if args.show_errors:
        cmd.append("--show-errors")
    return subprocess.call(cmd)


if __name__ == "__main__":
    raise SystemExit(main())
