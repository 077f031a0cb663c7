"""Benchmark: one patient against N synthetic trials (issue 2 targets, N = 10,000).

    python benchmarks/bench_find.py [--trials 10000] [--patients 30] [--runs 5]

Measures, on a database holding the embedded trials plus N synthetic ones:
  * matching time in a warm process: `api.match_patients` for one patient (SQL evaluation,
    reasons, ranking), median and 95th percentile over several patients;
  * wall time of the whole `trialmatch find --format json` command (a fresh process),
    median over several runs;
  * peak resident memory of that command.
Targets: <= 50 ms, <= 1.0 s, <= 400 MB. Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth  # noqa: E402

from trialmatch.api import match_patients  # noqa: E402
from trialmatch.catalog import open_catalog, replace_trials  # noqa: E402
from trialmatch.patients import normalize_records  # noqa: E402
from trialmatch.patients.read import RawRecord  # noqa: E402


def build_db(path: Path, n_trials: int) -> float:
    t0 = time.perf_counter()
    store, ont = open_catalog(path)
    replace_trials(store, ont, synth.trials(n_trials), "synthetic")
    store.close()
    return time.perf_counter() - t0


def warm_matching(path: Path, n_patients: int) -> list[float]:
    store, ont = open_catalog(path)
    raw = synth.patients(n_patients, seed=3)
    facts = normalize_records([RawRecord(p, "synth", "") for p in raw], ont,
                              synth.today()).patients
    match_patients(store, ont, facts[:1])  # warm up caches and the connection
    times = []
    for p in facts:
        t0 = time.perf_counter()
        match_patients(store, ont, [p])
        times.append(time.perf_counter() - t0)
    store.close()
    return times


def cold_command(path: Path, runs: int, workdir: Path) -> tuple[list[float], float]:
    patient = workdir / "patient.json"
    patient.write_text(json.dumps(synth.patients(1, seed=5)[0]))
    walls, peak_kb = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "trialmatch", "find", str(patient),
                               "--db", str(path), "--format", "json"],
                              capture_output=True, text=True)
        walls.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"find failed: {proc.stderr}")
        peak_kb = max(peak_kb, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return walls, peak_kb / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=10_000)
    ap.add_argument("--patients", type=int, default=30)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        os.environ["TRIALMATCH_DB"] = str(db)
        build = build_db(db, args.trials)
        warm = warm_matching(db, args.patients)
        walls, peak_mb = cold_command(db, args.runs, Path(tmp))
    ms = sorted(t * 1000 for t in warm)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    print(f"database build ({args.trials} synthetic + embedded trials): {build:.1f} s")
    print("| measure | target | median | worst / p95 |")
    print("|---|---|---|---|")
    print(f"| matching, 1 patient x {args.trials} trials, warm | <= 50 ms | "
          f"{statistics.median(ms):.1f} ms | {p95:.1f} ms |")
    print(f"| `trialmatch find` wall time | <= 1.0 s | {statistics.median(walls):.2f} s | "
          f"{max(walls):.2f} s |")
    print(f"| `trialmatch find` peak RSS | <= 400 MB | {peak_mb:.0f} MB | |")


if __name__ == "__main__":
    main()
