"""Synthetic patients resampled from the alteration frequencies of real cBioPortal cohorts.

The shared studies under `../shared/data/cohorts` are read with trialmatch's own cohort
reader; from them come the distribution of the number of alterations per tumour and of the
alterations themselves (gene, kind, protein change as written, exon, partner), and the
panel. The two studies are prostate and biliary tumours only, so the cancer type is drawn
from the pan-cancer weights of `synth.CANCER_WEIGHTS` (`--study-cancer-types`: from the
studies). Each synthetic patient draws a cancer type, a number of alterations and that many
alterations (seeded), plus age, sex, ECOG and biomarkers as in `synth.patients`. Nothing of a real tumour is copied whole, and nothing is written into
the repository: the cohort goes to a file the caller names.

    python benchmarks/realcohort.py OUT.jsonl N [--seed 13] [--shared ../shared/data]
                                    [--study-cancer-types]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
STUDIES = ("msk_summit_biliary_her2", "prad_mskcc_2017_subset_gnomeR")


class Frequencies:
    """What the real studies hold, as counters to draw from."""

    def __init__(self, folders: list[Path]) -> None:
        from trialmatch.bulk.sources import open_cohort

        self.cancers: Counter[str] = Counter()
        self.sizes: Counter[int] = Counter()
        self.alterations: Counter[str] = Counter()  # JSON of one alteration
        self.panel: set[str] = set()
        for folder in folders:
            for rec in open_cohort(folder).records():
                p = rec.data
                if not isinstance(p, dict):
                    continue
                code = (p.get("diagnosis") or {}).get("oncotree")
                self.cancers[code or "PRAD"] += 1
                alts = p.get("alterations") or []
                self.sizes[len(alts)] += 1
                for a in alts:
                    self.alterations[json.dumps(a, sort_keys=True)] += 1
                self.panel.update(p.get("tested_genes") or ())
        if not self.alterations:
            raise SystemExit("no alterations found in the shared cohorts")

    def patients(self, n: int, seed: int = 13, start: int = 0, study_types: bool = False):
        rng = random.Random(seed)
        if study_types:
            cancers, cw = zip(*self.cancers.items())
        else:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            import synth

            cancers, cw = zip(*synth.CANCER_WEIGHTS.items())
        sizes, sw = zip(*self.sizes.items())
        alts, aw = zip(*self.alterations.items())
        panel = sorted(self.panel)
        for i in range(start, start + n):
            k = rng.choices(sizes, sw)[0]
            chosen = {a: None for a in rng.choices(alts, aw, k=k)}
            p: dict = {"id": f"RS{i:07d}", "age": rng.randint(25, 88),
                       "sex": rng.choice(["female", "male"]),
                       "diagnosis": {"oncotree": rng.choices(cancers, cw)[0]},
                       "alterations": [json.loads(a) for a in chosen]}
            if rng.random() < 0.8:
                p["ecog"] = rng.choice([0, 0, 1, 1, 1, 2, 3])
            if panel and rng.random() < 0.8:
                p["tested_genes"] = panel
            bio: dict = {}
            if rng.random() < 0.6:
                bio["tmb"] = round(rng.lognormvariate(1.3, 0.9), 1)
            if rng.random() < 0.5:
                bio["msi"] = "MSI-H" if rng.random() < 0.04 else "MSS"
            if bio:
                p["biomarkers"] = bio
            yield p


def shared_folders(shared: Path = SHARED_DATA) -> list[Path]:
    cohorts = Path(shared) / "cohorts"
    folders = [cohorts / s for s in STUDIES if (cohorts / s).exists()]
    if not folders:
        raise SystemExit(f"shared cohorts not available under {cohorts}")
    return folders


def write(path: Path, n: int, seed: int = 13, shared: Path = SHARED_DATA,
          study_types: bool = False) -> int:
    freq = Frequencies(shared_folders(shared))
    with Path(path).open("w", encoding="utf-8") as fh:
        for p in freq.patients(n, seed, study_types=study_types):
            fh.write(json.dumps(p))
            fh.write("\n")
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--shared", type=Path, default=SHARED_DATA,
                    help="the shared data folder (default: ../shared/data)")
    ap.add_argument("--study-cancer-types", action="store_true",
                    help="draw cancer types from the studies, not pan-cancer weights")
    args = ap.parse_args()
    write(args.out, args.n, args.seed, args.shared, args.study_cancer_types)
    print(f"{args.n} patients written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
