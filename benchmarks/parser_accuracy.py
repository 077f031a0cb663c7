"""Parser accuracy on the development set: writes PRED.jsonl and runs the shared scorer.

    python benchmarks/parser_accuracy.py [--out parser-dev.pred.jsonl] [--show-errors]

Reads ../shared/data/parser-dev/trials.json (92 annotated oncology trials) and scores with
../shared/tools/eval_parser.py against gold.json. Skips with a message when ../shared is absent.
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
SCORER = SHARED / "tools" / "eval_parser.py"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "parser-dev.pred.jsonl"))
    ap.add_argument("--show-errors", action="store_true")
    args = ap.parse_args()
    if not (DEV / "trials.json").exists() or not SCORER.exists():
        print(f"skipped: {DEV} or {SCORER} not found (the shared data sits beside the repo)")
        return 0
    sys.path.insert(0, str(ROOT))
    from trialmatch.ingest import read_records
    from trialmatch.nlp import parse_output, parse_record

    records, problems = read_records(DEV / "trials.json")
    for p in problems:
        print(p, file=sys.stderr)
    with open(args.out, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(parse_output(parse_record(r))) + "\n")
    cmd = [sys.executable, str(SCORER), "--gold", str(DEV / "gold.json"), "--pred", args.out]
    if args.show_errors:
        cmd.append("--show-errors")
    return subprocess.call(cmd)


if __name__ == "__main__":
    raise SystemExit(main())
