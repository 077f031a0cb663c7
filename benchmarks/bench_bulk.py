"""Benchmark: a whole cohort against N synthetic trials with `bulk` (issue 5 targets).

    python benchmarks/bench_bulk.py [--trials 10000] [--sizes 10000 50000 100000]
                                    [--batch-size 1000] [--reference-sample 100] [--out parquet]
    python benchmarks/bench_bulk.py --real-corpus [--trials 10000] [--sizes 2000 10000]
                                    [--reference-sample 0] [--shared ../shared/data]
                                    [--dask-workers 1 2] [--skip-single]
                                    [--db-cache /tmp/trialmatch-bench-cache]

Real-corpus mode (issue 11): the database holds the parsed shared corpus
(`ctgov/trials_2000_2020.ndjson`, loaded as `trialmatch load` does) topped up with synthetic
trials to `--trials` in all, and the patients are resampled from the alteration frequencies of
the shared cBioPortal cohorts (`realcohort.py`), written as JSON Lines.

For each cohort size, in a fresh process on a fresh copy of a database holding the embedded
trials plus N synthetic ones (`synth.trials`), with a cohort of `synth.patients` (realistic
alteration frequencies) written as JSON Lines:
  * wall time of `run_bulk` (read, validate, match, explain, rank, store the results and
    swap them in), patient-trial pairs per second, peak resident memory of the process;
  * optionally the time to write every result to --out (Parquet, JSONL or CSV);
  * then a `--since-last-run` run on the unchanged cohort (nothing to re-match).
The Python reference evaluator (`rules.evaluate.evaluate`, every cohort tree of every trial)
is timed on a sample of patients and extrapolated to the same number of pairs; the ratio is
reported as such. Targets: 100,000 x 10,000 in <= 10 min with peak memory <= 4 GB.
With `--dask-workers 1 2`, the largest size also runs on a local dask.distributed cluster of
1, then 2, worker processes (one thread each), started before the clock starts and reached
through its scheduler address as `bulk --scheduler` does; the table gives wall time and
pairs per second of each, and the ratio to the 1-worker run. `--skip-single` leaves out the
single-node runs (when their figures are already known).
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import realcohort  # noqa: E402
import synth  # noqa: E402

CHILD = """
import json, os, resource, sys, threading, time
sys.path.insert(0, {here!r})
import synth
from trialmatch.bulk import run_bulk
cohort, db, out, batch, since = sys.argv[1], sys.argv[2], sys.argv[3] or None, int(sys.argv[4]), sys.argv[5] == "1"
tree_peak = [0.0]
def rss_mb(pid):
    try:
        with open(f"/proc/{{pid}}/status") as f:
            return next(int(x.split()[1]) for x in f if x.startswith("VmRSS:")) / 1024
    except (OSError, StopIteration):
        return 0.0
def watch():  # the summed RSS of this process and its children (the document process)
    me = os.getpid()
    while True:
        kids = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{{d}}/stat") as f:
                        s = f.read()
                    if int(s[s.rfind(")") + 2:].split()[1]) == me:
                        kids.append(int(d))
                except OSError:
                    pass
        tree_peak[0] = max(tree_peak[0], rss_mb(me) + sum(rss_mb(k) for k in kids))
        time.sleep(0.5)
threading.Thread(target=watch, daemon=True).start()
load0 = os.getloadavg()[0]
t0 = time.perf_counter()
r = run_bulk(cohort, db=db, out=out, batch_size=batch, since_last_run=since, today=synth.today())
wall = time.perf_counter() - t0
use = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
peak = use.ru_maxrss / 1024
print(json.dumps({{"wall": wall, "cpu": use.ru_utime + use.ru_stime + kids.ru_utime + kids.ru_stime,
                  "cpu_children": kids.ru_utime + kids.ru_stime, "load": os.getloadavg()[0],
                  "load_start": load0, "tree_peak_mb": max(tree_peak[0], peak),
                  "peak_mb": peak, "patients": r.patients, "trials": r.trials,
                  "pairs": r.pairs, "matches": r.matches, "evaluated": r.evaluated,
                  "new": r.new, "rejected": r.rejected}}))
"""


def build_db(path: Path, n_trials: int, corpus: Path | None = None) -> float:
    """Embedded + synthetic trials; with `corpus`, the parsed corpus first, then synthetic
    trials up to `n_trials` in all."""
    from trialmatch.app.catalog import open_catalog, replace_trials

    t0 = time.perf_counter()
    if corpus is not None:
        from trialmatch.app.load import load_files

        loaded = load_files([corpus], path).trials
        n_trials = max(n_trials - loaded, 0)
    store, ont = open_catalog(path)
    try:
        if n_trials:
            replace_trials(store, ont, synth.trials(n_trials), "synthetic")
    finally:
        store.close()
    return time.perf_counter() - t0


# the code a stored trial database is derived from: a change here invalidates a cached build
DERIVED_FROM = ("app", "ingest", "nlp", "ontology", "resources.py", "rules", "store")


def cache_key(n_trials: int, corpus: Path | None) -> str:
    """What a built database depends on: the corpus file, the number of trials, the schema
    version and the source and data files of the code that parses and stores trials."""
    import hashlib

    from trialmatch.store.schema import SCHEMA_VERSION

    root = Path(__file__).resolve().parents[1] / "trialmatch"
    h = hashlib.sha256(f"{n_trials}|{SCHEMA_VERSION}".encode())
    files = [corpus] if corpus else []
    for part in DERIVED_FROM:
        path = root / part
        files += sorted(f for f in path.rglob("*") if f.is_file() and "__pycache__" not in
                        f.parts) if path.is_dir() else [path]
    for f in files:
        h.update(str(f.relative_to(root) if root in f.parents else f.name).encode())
        h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()[:16]


def cached_build(cache: Path, base: Path, n_trials: int, corpus: Path | None) -> None:
    """Build the trial database once per cache key under `cache` (outside the repository)
    and copy it to `base`."""
    cache.mkdir(parents=True, exist_ok=True)
    kept = cache / f"{'real' if corpus else 'synth'}_{cache_key(n_trials, corpus)}.duckdb"
    if kept.exists():
        print(f"database from the cache: {kept}", flush=True)
    else:
        tmp = kept.with_suffix(".building")
        tmp.unlink(missing_ok=True)
        print(f"database build (cached as {kept}): {build_db(tmp, n_trials, corpus):.1f} s",
              flush=True)
        tmp.rename(kept)
    shutil.copy(kept, base)


DASK_CHILD = """
import json, os, resource, sys, time
sys.path.insert(0, {here!r})
import synth
from distributed import LocalCluster
from trialmatch.bulk import run_bulk
from trialmatch.bulk.distributed import ClusterOptions

def main():
    cohort, db, batch, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        load = os.getloadavg()
        t0, c0 = time.perf_counter(), time.process_time()
        r = run_bulk(cohort, db=db, batch_size=batch, today=synth.today(),
                     cluster=ClusterOptions(scheduler=cluster.scheduler_address))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({{"wall": wall, "patients": r.patients, "trials": r.trials,
                      "pairs": r.pairs, "matches": r.matches, "load": load,
                      "load_end": os.getloadavg(), "driver_cpu": cpu,
                      "worker_cpu": r.worker_cpu}}))

if __name__ == "__main__":
    main()
"""


def child_run(cohort: Path, db: Path, out: Path | None, batch: int, since: bool,
              workers: int = 0) -> dict:
    if workers:
        script = db.with_suffix(".dask_child.py")  # workers are spawned: a real main module
        script.write_text(DASK_CHILD.format(here=str(HERE)))
        args = [str(script), str(cohort), str(db), str(batch), str(workers)]
    else:
        args = ["-c", CHILD.format(here=str(HERE)), str(cohort), str(db), str(out or ""),
                str(batch), "1" if since else "0"]
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"bulk run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def reference_seconds_per_pair(db: Path, n_patients: int) -> tuple[float, int]:
    """Time the Python reference evaluator on every cohort of every trial for a sample."""
    from trialmatch.app.catalog import open_catalog, stored_trials
    from trialmatch.patients import normalize_records
    from trialmatch.patients.read import RawRecord
    from trialmatch.rules.evaluate import evaluate

    store, ont = open_catalog(db)
    try:
        ids = [r[0] for r in store.con.execute("SELECT trial_id FROM trials").fetchall()]
        trials = list(stored_trials(store, ids).values())
    finally:
        store.close()
    raw = synth.patients(n_patients, seed=99)
    facts = normalize_records([RawRecord(p, "synth", "") for p in raw], ont,
                              synth.today()).patients
    t0 = time.perf_counter()
    for p in facts:
        for t in trials:
            for c in t.cohorts:
                evaluate(c.rule, p, ont)
    return (time.perf_counter() - t0) / (len(facts) * len(trials)), len(trials)


def machine() -> str:
    import duckdb

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.platform()}, {os.cpu_count()} cores, {mem:.0f} GB RAM, Python "
            f"{platform.python_version()}, DuckDB {duckdb.__version__}; load average at "
            f"start {load}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=10_000)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--reference-sample", type=int, default=100)
    ap.add_argument("--out", choices=["parquet", "jsonl", "csv"], default=None)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--real-corpus", action="store_true",
                    help="the parsed shared corpus plus synthetic trials, patients resampled "
                         "from the shared cBioPortal cohorts")
    ap.add_argument("--shared", type=Path, default=realcohort.SHARED_DATA,
                    help="the shared data folder (default: ../shared/data)")
    ap.add_argument("--dask-workers", type=int, nargs="*", default=[],
                    help="also run the largest size on local Dask clusters of these sizes")
    ap.add_argument("--skip-single", action="store_true",
                    help="only the Dask runs (with --dask-workers)")
    ap.add_argument("--db-cache", type=Path, default=None,
                    help="keep the built trial database in this folder (outside the "
                         "repository), keyed by corpus, trial count, schema and parser code, "
                         "and reuse it")
    args = ap.parse_args()
    print(f"machine: {machine()}", flush=True)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_bulk_"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = None
    if args.real_corpus:
        corpus = args.shared / "ctgov" / "trials_2000_2020.ndjson"
        if not corpus.exists():
            raise SystemExit(f"shared corpus not available: {corpus}")
    base = work / ("real_trials.duckdb" if corpus else "trials.duckdb")
    if not base.exists() and args.db_cache:
        cached_build(args.db_cache, base, args.trials, corpus)
    if not base.exists():
        what = (f"parsed corpus + synthetic up to {args.trials}" if corpus else
                f"{args.trials} synthetic + embedded")
        print(f"database build ({what} trials): {build_db(base, args.trials, corpus):.1f} s",
              flush=True)
    per_pair, n_trials = (reference_seconds_per_pair(base, args.reference_sample)
                          if args.reference_sample else (0.0, 0))
    rows = []
    for n in args.sizes:
        cohort = work / f"{'real' if corpus else ''}cohort_{n}.jsonl"
        if not cohort.exists():
            if corpus:
                realcohort.write(cohort, n, shared=args.shared)
            else:
                synth.write_cohort(cohort, n)
        if args.skip_single:
            continue
        db = work / f"run_{n}.duckdb"
        shutil.copy(base, db)
        out = work / f"results_{n}.{args.out}" if args.out else None
        first = child_run(cohort, db, out, args.batch_size, since=False)
        again = child_run(cohort, db, None, args.batch_size, since=True)
        pairs = first["patients"] * first["trials"]
        ref = per_pair * pairs
        rows.append((n, first, again, pairs, ref))
        print(f"{n:,} patients ({first['rejected']} rejected): {first['wall']:.0f} s, "
              f"{first['matches']:,} matches, CPU {first['cpu']:.0f} s (document process "
              f"{first['cpu_children']:.0f} s), 1-min load at the start / end "
              f"{first['load_start']:.1f} / {first['load']:.1f}, peak {first['peak_mb']:.0f} MB "
              f"(with the document process {first['tree_peak_mb']:.0f} MB); "
              f"since-last-run {again['wall']:.1f} s", flush=True)
        db.unlink()
    print()
    print("| patients | trials | pairs | matches kept | bulk wall time | CPU time | pairs / s "
          "| peak RSS | `--since-last-run`, nothing changed | reference evaluator "
          "(extrapolated) | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n, first, again, pairs, ref in rows:
        print(f"| {n:,} | {first['trials']:,} | {pairs:,} | {first['matches']:,} | "
              f"{first['wall']:.0f} s | {first['cpu']:.0f} s | {pairs / first['wall']:,.0f} | "
              f"{first['tree_peak_mb']:,.0f} MB | {again['wall']:.1f} s | "
              + (f"{ref:,.0f} s | {ref / first['wall']:.1f}x |" if ref else "- | - |"))
    if args.reference_sample:
        print(f"\nreference evaluator: {per_pair * 1e6:.1f} us per patient-trial pair "
              f"(all cohorts; no explanation), timed on {args.reference_sample} patients x "
              f"{n_trials:,} trials and extrapolated")
    if args.out:
        print(f"(bulk wall time includes writing every result to .{args.out})")
    if args.dask_workers:
        dask_table(work, base, corpus is not None, max(args.sizes), args.batch_size,
                   args.dask_workers)


def dask_table(work: Path, base: Path, real: bool, n: int, batch: int,
               sizes: list[int]) -> None:
    """The largest size on local Dask clusters of 1, 2, ... workers."""
    cohort = work / f"{'real' if real else ''}cohort_{n}.jsonl"
    rows = []
    for w in sizes:
        db = work / f"dask_{w}_{n}.duckdb"
        shutil.copy(base, db)
        r = child_run(cohort, db, None, batch, False, workers=w)
        db.unlink()
        rows.append((w, r))
        print(f"{n:,} patients on {w} Dask worker(s): {r['wall']:.0f} s, load average "
              f"{r['load'][0]:.1f} at start, {r['load_end'][0]:.1f} at end", flush=True)
    first = rows[0][1]["pairs"] / rows[0][1]["wall"]
    print()
    print("| Dask workers | patients | trials | pairs | matches kept | wall time | pairs / s "
          "| vs first row | CPU: driver / workers' shards | 1-min load average at start / end |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for w, r in rows:
        rate = r["pairs"] / r["wall"]
        print(f"| {w} | {r['patients']:,} | {r['trials']:,} | {r['pairs']:,} | "
              f"{r['matches']:,} | {r['wall']:.0f} s | {rate:,.0f} | {rate / first:.2f}x | "
              f"{r['driver_cpu']:.0f} s / {r['worker_cpu']:.0f} s | "
              f"{r['load'][0]:.1f} / {r['load_end'][0]:.1f} |")


if __name__ == "__main__":
    main()
