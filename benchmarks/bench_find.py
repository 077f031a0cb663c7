"""Benchmark: one patient against N synthetic trials (issue 2 targets, N = 10,000).

    python benchmarks/bench_find.py [--trials 10000] [--patients 30] [--runs 5]

Measures, on a database holding the embedded trials plus N synthetic ones:
  * matching time in a warm process: `app.find.match_patients` for one patient (SQL evaluation,
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

from trialmatch.app.catalog import open_catalog, replace_trials  # noqa: E402
from trialmatch.app.find import match_patients  # noqa: E402
from trialmatch.match.engine import Matcher  # noqa: E402
from trialmatch.patients import normalize_records  # noqa: E402
from trialmatch.patients.read import RawRecord  # noqa: E402


def build_db(path: Path, n_trials: int) -> float:
    t0 = time.perf_counter()
    store, ont = open_catalog(path)
    replace_trials(store, ont, synth.trials(n_trials), "synthetic")
    store.close()
    return time.perf_counter() - t0


def warm_matching(path: Path, n_patients: int) -> tuple[list[float], list[float], list[int]]:
    """(SQL matching times, matching + reasons + ranking times, matches per patient)."""
    store, ont = open_catalog(path)
    raw = synth.patients(n_patients, seed=3)
    facts = normalize_records([RawRecord(p, "synth", "") for p in raw], ont,
                              synth.today()).patients
    matcher = Matcher(store, ont)
    matcher.evaluate(facts[:1])  # warm up caches and the connection
    match_patients(store, ont, facts[:1])
    sql_times, full_times, counts = [], [], []
    for p in facts:
        t0 = time.perf_counter()
        matcher.evaluate([p])
        sql_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        counts.append(len(match_patients(store, ont, [p])[p.id]))
        full_times.append(time.perf_counter() - t0)
    store.close()
    return sql_times, full_times, counts


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
        sql_ms, full_ms, counts = warm_matching(db, args.patients)
        walls, peak_mb = cold_command(db, args.runs, Path(tmp))
    def stats(times: list[float]) -> tuple[float, float]:
        ms = sorted(t * 1000 for t in times)
        return statistics.median(ms), ms[min(len(ms) - 1, int(0.95 * len(ms)))]

    sql_med, sql_p95 = stats(sql_ms)
    full_med, full_p95 = stats(full_ms)
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    print(f"database build ({args.trials} synthetic + embedded trials): {build:.1f} s; "
          f"{statistics.median(counts):.0f} eligible or possible trials per patient (median)")
    print("| measure | target | median | p95 / worst |")
    print("|---|---|---|---|")
    print(f"| matching (SQL evaluation of every cohort), 1 patient x {args.trials} trials, "
          f"warm | <= 50 ms | {sql_med:.1f} ms | {sql_p95:.1f} ms |")
    print(f"| matching + reasons + ranking (`app.find.match_patients`), warm | | {full_med:.1f} ms "
          f"| {full_p95:.1f} ms |")
    print(f"| `trialmatch find` wall time | <= 1.0 s | {statistics.median(walls):.2f} s | "
          f"{max(walls):.2f} s |")
    print(f"| `trialmatch find` peak RSS | <= 400 MB | {peak_mb:.0f} MB | |")


if __name__ == "__main__":
    main()
