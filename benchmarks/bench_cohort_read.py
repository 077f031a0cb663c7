"""Benchmark: reading a large cBioPortal study and a large JSONL cohort (issue 11, point 3).

    python benchmarks/bench_cohort_read.py [--samples 50000] [--mutations 400000]
                                           [--jsonl 100000] [--workdir DIR]

Writes, in a scratch folder, a synthetic study shaped like an MSK-IMPACT export (a MAF with
the 114 columns vcf2maf writes, most of them filler; a CNA matrix of 500 genes; a clinical
sample file) and a JSONL cohort (`synth.patients`), then reads each in a fresh process:
  * the study with `open_cohort(...).records()` (polars lazy scans of the used columns);
  * the JSONL cohort with the line reader `bulk` uses, and, for comparison, with
    `polars.scan_ndjson` turned back into Python dicts (what validation needs).
Reports wall time and peak resident memory of each.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

GENES = [f"G{i}" for i in range(490)] + ["EGFR", "KRAS", "BRAF", "TP53", "PIK3CA", "ERBB2",
                                         "ALK", "MET", "CDKN2A", "PTEN"]
PROTEINS = ["p.L858R", "p.G12C", "p.V600E", "p.X755_splice", "p.M1?", "p.R273H",
            "p.E545K", "p.S310F", "p.*757Qext*45", "p.P123=", "p.E746_A750del"]
MAF_BASE = ["Hugo_Symbol", "Entrez_Gene_Id", "Center", "NCBI_Build", "Chromosome",
            "Start_Position", "End_Position", "Strand", "Variant_Classification",
            "Variant_Type", "Reference_Allele", "Tumor_Seq_Allele1", "Tumor_Seq_Allele2",
            "dbSNP_RS", "dbSNP_Val_Status", "Tumor_Sample_Barcode",
            "Matched_Norm_Sample_Barcode", "Mutation_Status", "HGVSc", "HGVSp",
            "HGVSp_Short", "Transcript_ID", "Exon_Number"]

CHILD = """
import json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
n = alts = 0
if kind == "polars-ndjson":
    import polars as pl
    for batch in pl.scan_ndjson(path, infer_schema_length=None).collect(
            engine="streaming").iter_slices(10_000):
        for row in batch.to_dicts():
            n += 1
            alts += len(row.get("alterations") or [])
else:
    from trialmatch.bulk.sources import open_cohort
    for rec in open_cohort(path).records():
        n += 1
        alts += len(rec.data.get("alterations") or [])
print(json.dumps({"seconds": time.perf_counter() - t0, "records": n, "alterations": alts,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_study(folder: Path, samples: int, mutations: int, seed: int = 5) -> int:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"P-{i:07d}-T01-IM6" for i in range(samples)]
    with (folder / "data_clinical_sample.txt").open("w") as fh:
        fh.write("#Sample Identifier\tPatient Identifier\tOncotree Code\n#STRING\tSTRING\t"
                 "STRING\n#1\t1\t1\nSAMPLE_ID\tPATIENT_ID\tONCOTREE_CODE\n")
        for i, s in enumerate(ids):
            fh.write(f"{s}\tP-{i:07d}\t{rng.choice(['LUAD', 'COAD', 'PRAD', 'IDC'])}\n")
    filler = [f"Filler_{i}" for i in range(114 - len(MAF_BASE))]
    with (folder / "data_mutations_extended.txt").open("w") as fh:
        fh.write("#version 2.4\n" + "\t".join(MAF_BASE + filler) + "\n")
        for _ in range(mutations):
            protein = rng.choice(PROTEINS)
            row = {"Hugo_Symbol": rng.choice(GENES), "Tumor_Sample_Barcode": rng.choice(ids),
                   "Variant_Classification": "Missense_Mutation", "HGVSp_Short": protein,
                   "HGVSp": protein, "Mutation_Status": "SOMATIC", "NCBI_Build": "GRCh37",
                   "Exon_Number": f"{rng.randint(1, 27)}/28"}
            fh.write("\t".join([row.get(c, "NA") for c in MAF_BASE]
                               + ["0.123456" for _ in filler]) + "\n")
    with (folder / "data_CNA.txt").open("w") as fh:
        fh.write("Hugo_Symbol\t" + "\t".join(ids) + "\n")
        values, weights = ["0", "-1", "1", "2", "-2", "NA"], [85, 5, 5, 1, 1, 3]
        for g in GENES:  # about 2 % of cells amplified or deeply deleted, as in real panels
            fh.write(g + "\t" + "\t".join(rng.choices(values, weights, k=len(ids))) + "\n")
    return sum(f.stat().st_size for f in folder.iterdir())


def run(kind: str, path: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, kind, str(path)], capture_output=True,
                          text=True)
    if proc.returncode:
        raise SystemExit(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=50_000)
    ap.add_argument("--mutations", type=int, default=400_000)
    ap.add_argument("--jsonl", type=int, default=100_000)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_read_"))
    study = work / "study"
    size = write_study(study, args.samples, args.mutations)
    r = run("study", study)
    print(f"study: {args.samples:,} samples, {args.mutations:,} MAF rows x 114 columns, CNA "
          f"matrix 500 genes ({size / 2**20:,.0f} MB): {r['seconds']:.1f} s, "
          f"{r['records']:,} records, peak {r['peak_mb']:,.0f} MB")
    import synth

    cohort = work / "cohort.jsonl"
    synth.write_cohort(cohort, args.jsonl)
    mb = cohort.stat().st_size / 2**20
    for kind in ("jsonl", "polars-ndjson"):
        r = run(kind, cohort)
        print(f"{kind}: {args.jsonl:,} patients ({mb:,.0f} MB): {r['seconds']:.1f} s, "
              f"peak {r['peak_mb']:,.0f} MB")


if __name__ == "__main__":
    main()
