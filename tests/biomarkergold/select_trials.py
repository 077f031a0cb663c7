"""Walk of the shared corpus that chose the trials of set BG (tests/biomarkergold/README.md).

    python tests/biomarkergold/select_trials.py [--limit 40] [--skip NCT...]

Shuffles the corpus ids (file order) with random.Random(4242) and prints, in walk order, each
trial whose eligibility text matches a broad biomarker pattern (an approved HGNC symbol, an
alteration word, a marker written "X-positive"/"X-negative", MSI, HER2, PD-L1, ...), speaks of a
tumour at all, and is in neither development set (parser-dev, realtrials-dev). Reads ../shared/data at run time; stores nothing. The
annotator reads each printed trial and drops (with a reason, in the README) those whose
biomarker mention is not about the patient's tumour; --skip lists them so the walk goes on.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
CORPUS = DATA / "ctgov" / "trials_2000_2020.ndjson"
SEED = 4242

WORDS = (r"\b(?:mutations?|mutated|mutant|fusions?|rearranged|rearrangements?|amplifi\w*|"
         r"translocations?|wild[- ]?type|overexpress\w*|MSI(?:-H)?|microsatellite|mismatch repair|"
         r"HER-?2|PD-?L1|BRCA[12]?|Philadelphia|BCR-ABL1?|receptor[- ]?(?:positive|negative))\b")
# a marker written in capitals followed by positive/negative ("CD20-positive", "ER negative"),
# viral serology left out (HIV, HBV, HCV, HBsAg, ... are not about the tumour)
STATUS = (r"\b(?!(?:HIV|HBV|HCV|HBs|HBc|HTLV|CMV|EBV|HSV|VZV)\w*)[A-Z][A-Z0-9]{1,}[+]?[- ]?"
          r"(?i:positive|negative)\b")
ONCOLOGY = re.compile(r"cancer|carcinoma|tumou?r|neoplas|malignan|leukaemia|leukemia|lymphoma|"
                      r"myeloma|sarcoma|melanoma|glioma|blastoma|myelodysplas|mesothelioma",
                      re.I)


def gene_symbols() -> set[str]:
    """Approved HGNC symbols of three characters or more that hold a letter."""
    out = set()
    with open(DATA / "hgnc" / "hgnc_entries.tsv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            sym = row.get("Approved symbol") or ""
            if row.get("Status") == "Approved" and len(sym) >= 3 and re.search(r"[A-Z]", sym):
                out.add(sym)
    return out


def pattern() -> re.Pattern[str]:
    genes = "|".join(re.escape(s) for s in sorted(gene_symbols(), key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9])(?:{genes})(?![A-Za-z0-9])|(?i:{WORDS})|{STATUS}")


def excluded_ids() -> set[str]:
    dev = json.loads((DATA / "parser-dev" / "trials.json").read_text(encoding="utf-8"))
    ids = {s["protocolSection"]["identificationModule"]["nctId"] for s in dev["studies"]}
    ids |= set((DATA / "realtrials-dev" / "trials.txt").read_text(encoding="utf-8").split())
    return ids


def walk(limit: int, skip: set[str]) -> list[tuple[str, str]]:
    texts: dict[str, str] = {}
    with open(CORPUS, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                s = json.loads(line)["protocolSection"]
                texts[s["identificationModule"]["nctId"]] = \
                    s.get("eligibilityModule", {}).get("eligibilityCriteria") or ""
    ids = list(texts)
    random.Random(SEED).shuffle(ids)
    pat, dev = pattern(), excluded_ids()
    out: list[tuple[str, str]] = []
    for tid in ids:
        if tid in dev or tid in skip:
            continue
        m = pat.search(texts[tid])
        if m and ONCOLOGY.search(texts[tid]):
            hits = dict.fromkeys(x.group(0) for x in pat.finditer(texts[tid]))
            out.append((tid, " ".join(hits)))
            if len(out) == limit:
                break
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=40)
    ap.add_argument("--skip", nargs="*", default=[])
    args = ap.parse_args()
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} not found (the shared data sits beside the repo)", file=sys.stderr)
        return 0
    for tid, hit in walk(args.limit, set(args.skip)):
        print(tid, hit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
