"""The seeded walk our real-trial sets K onwards were drawn from (tests/realtrials/README.md).

    python benchmarks/realtrials_walk.py                 # list sizes and where each set lies
    python benchmarks/realtrials_walk.py --from 453 --count 50   # NCT ids of a window
    python benchmarks/realtrials_walk.py --long --from 0         # the walk of long texts

The corpus trials with a phase 1-4 and 600-6,000 characters of eligibility text, minus every
trial of realtrials-dev, sets A-J and biomarkergold (the 254 ids excluded when set K was
drawn), are split by a plain cancer word list into those whose conditions name a cancer and
those whose conditions and first 300 characters of criteria name none; each list is sorted by
NCT id and shuffled with `random.Random(9911)`. An annotator walks the cancer list in order
(keeping treatment trials by the limits the README gives) and takes the control from the
other list. Reads ../shared/data; skips with a message when it is absent.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CORPUS = SHARED / "ctgov" / "trials_2000_2020.ndjson"
OURS = ROOT / "tests" / "realtrials"
SEED = 9911
LONG_SEED = 1717
# stems: "neoplas" also catches "neoplastic", "metasta" "metastatic"
CANCER_WORDS = ("cancer", "carcinoma", "tumour", "tumor", "neoplas", "malignan", "leukaemia",
                "leukemia", "lymphoma", "myeloma", "sarcoma", "melanoma", "glioma", "blastoma",
                "myelodysplas", "mesothelioma", "metasta")
_NCT = re.compile(r"NCT\d{8}")


def _ids_in(path: Path) -> set[str]:
    return set(_NCT.findall(path.read_text(encoding="utf-8")))


def excluded_ids() -> set[str]:
    """realtrials-dev, our sets A to J and biomarkergold: the ids left out of both lists."""
    out = set((SHARED / "realtrials-dev" / "trials.txt").read_text().split())
    out |= _ids_in(ROOT / "tests" / "biomarkergold" / "gold_bg.json")
    for name in ("a", "b", "c", "d", "e1", "e2", "f", "g", "h", "i", "j"):
        out |= _ids_in(OURS / f"expected_{name}.json")
    return out


def walk_lists(long: bool = False) -> tuple[list[str], list[str]]:
    """(trials whose conditions name a cancer, trials naming none), each shuffled.

    `long`: the second walk, of eligibility texts over 6,000 characters."""
    skip = excluded_ids()
    cancer, other = [], []
    with open(CORPUS, encoding="utf-8") as f:
        for line in f:
            p = json.loads(line)["protocolSection"]
            nct = p["identificationModule"]["nctId"]
            text = p.get("eligibilityModule", {}).get("eligibilityCriteria") or ""
            phases = p.get("designModule", {}).get("phases", [])
            fits = len(text) > 6000 if long else 600 <= len(text) <= 6000
            if nct in skip or not fits or not any(
                    x in ("PHASE1", "PHASE2", "PHASE3", "PHASE4") for x in phases):
                continue
            conditions = " ".join(p.get("conditionsModule", {}).get("conditions", [])).lower()
            if any(w in conditions for w in CANCER_WORDS):
                cancer.append(nct)
            elif not any(w in f"{conditions} {text[:300].lower()}" for w in CANCER_WORDS):
                other.append(nct)
    cancer.sort()
    other.sort()
    random.Random(LONG_SEED if long else SEED).shuffle(cancer)
    random.Random(LONG_SEED if long else SEED).shuffle(other)
    return cancer, other


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="start", type=int, help="first position of a window")
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--long", action="store_true", help="the walk of texts over 6,000 characters")
    args = ap.parse_args(argv)
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} not found (the shared data sits beside the repo)")
        return 0
    cancer, other = walk_lists(args.long)
    if args.start is not None:
        for k in range(args.start, min(len(cancer), args.start + args.count)):
            print(k, cancer[k])
        return 0
    print(f"{len(cancer)} trials naming a cancer, {len(other)} naming none")
    for path in sorted(OURS.glob("expected_*.json")):
        ids = _ids_in(path)
        at = sorted(cancer.index(i) for i in ids if i in cancer)
        ctrl = sorted(other.index(i) for i in ids if i in other)
        if at:
            print(f"{path.stem[9:]:>3}: cancer positions {at[0]}-{at[-1]}, controls {ctrl}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
