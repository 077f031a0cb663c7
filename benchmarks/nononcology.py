"""Non-cancer trials offered to cancer patients, after loading the whole shared corpus.

    python benchmarks/nononcology.py [--patients examples/patients/P-0001.json ...] [--db FILE]

Loads ../shared/data/ctgov/trials_2000_2020.ndjson (4,868 real trials) into a fresh
database (or reuses --db), runs `find` for each example patient, and counts the candidate
trials (eligible or possible) whose conditions, title and eligibility text name no cancer
at all. "Names no cancer" is checked here with a plain word list, independent of the
parser's own vocabulary, so the figure does not grade the parser with its own rules.
Target (issue 9): none for examples/patients/P-0001.json.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "ctgov" / "trials_2000_2020.ndjson"
CANCER_WORDS = re.compile(
    r"(?i)cancer|tumou?r|carcinom|neoplas|malignan|lymphom|leuk[ae]mi|myelom|sarcom|melanom|"
    r"gliom|blastom|mesotheliom|oncolog|metasta|myelodysplas|chemotherap")


def cancer_free(study: dict) -> bool:
    """Whether a record's conditions, title and eligibility text name no cancer."""
    p = study["protocolSection"]
    words = " ".join([*p.get("conditionsModule", {}).get("conditions", []),
                      p.get("identificationModule", {}).get("briefTitle", ""),
                      p.get("eligibilityModule", {}).get("eligibilityCriteria", "")])
    return not CANCER_WORDS.search(words)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", nargs="+", default=[
        str(ROOT / "examples" / "patients" / f"P-000{i}.json") for i in (1, 2, 3)])
    ap.add_argument("--db", help="an existing database holding the corpus (skips the load)")
    args = ap.parse_args()
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} not found (the shared data sits beside the repo)")
        return 0
    sys.path.insert(0, str(ROOT))
    from trialmatch.app.find import find
    from trialmatch.app.load import load_files

    free = set()
    with open(CORPUS, encoding="utf-8") as f:
        for line in f:
            study = json.loads(line)
            if cancer_free(study):
                free.add(study["protocolSection"]["identificationModule"]["nctId"])
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "corpus.duckdb"
        if not args.db:
            t = time.perf_counter()
            summary = load_files([CORPUS], db)
            print(f"{summary.line()} ({time.perf_counter() - t:.0f} s)")
        print(f"{len(free)} of the corpus's trials name no cancer in conditions, title or text")
        for path in args.patients:
            report = find(path, db=db, statuses=None)  # the corpus is mostly closed trials
            for result in report.results:
                matches = result["matches"]
                bad = [m["trial_id"] for m in matches if m["trial_id"] in free]
                print(f"{result['patient_id']}: {len(matches)} candidate trials, "
                      f"{len(bad)} of them name no cancer"
                      + (f" ({', '.join(bad[:10])})" if bad else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
