"""Benchmark: start-up of `trialmatch find` against the floor of `python -c "import duckdb"`.

    python benchmarks/find_startup.py [--runs 7] [--patient examples/patients/P-0001.json]

Prepares a database once (the embedded trials, as a fresh install's first `find` leaves it),
then times, alternately, `trialmatch find PATIENT --db DB --format json` and
`python -c "import duckdb"` in fresh processes: median wall time of each over `--runs`
runs and their ratio (issue 12 target: at most 2.5), and the median CPU time of each (less
sensitive to other jobs on a shared machine). Then runs the command once under
`python -X importtime` and prints what its imports cost: per top-level package (sum of
the modules' own times) and the slowest modules (cumulative).

Bytecode is compiled, as `pip install .` leaves it: the script points PYTHONPYCACHEPREFIX
at a temporary folder and warms it (this machine sets PYTHONDONTWRITEBYTECODE, under which
an editable checkout recompiles every module on every start; `--as-is` keeps the
environment unchanged to measure that).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def command(patient: Path, db: Path) -> list[str]:
    """`trialmatch find ...`, through the installed console script when there is one."""
    script = Path(sys.executable).with_name("trialmatch")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "trialmatch"]
    return [*head, "find", str(patient), "--db", str(db), "--format", "json"]


def wall(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall time, CPU time user + sys of the child) of one run. On a machine shared with
    other jobs the CPU time varies much less than the wall time (it still counts DuckDB's
    worker threads, so it is not a substitute for the wall-time target)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_costs(cmd: list[str], env: dict[str, str], top: int) -> str:
    """Markdown lines: import time per top-level package and the slowest modules."""
    find_args = cmd[cmd.index("find"):]
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c",
                           "from trialmatch.cli.app import main; main()", *find_args],
                          env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    by_package: dict[str, int] = defaultdict(int)
    modules: list[tuple[int, str]] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, self_us, cumulative, name = (part.strip() for part in
                                        line.replace("import time:", "|").split("|"))
        by_package[name.split(".")[0]] += int(self_us)
        modules.append((int(cumulative), name))
    total = sum(by_package.values())
    lines = [f"imports: {total / 1e6:.3f} s in {len(modules)} modules", "",
             "| package | import time (s) |", "|---|---|"]
    for name, us in sorted(by_package.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"| {name} | {us / 1e6:.3f} |")
    lines += ["", "| module (cumulative) | s |", "|---|---|"]
    for us, name in sorted(modules, reverse=True)[:top]:
        lines.append(f"| {name} | {us / 1e6:.3f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--patient", type=Path, default=ROOT / "examples/patients/P-0001.json")
    ap.add_argument("--top", type=int, default=12, help="rows of the import tables")
    ap.add_argument("--as-is", action="store_true", help="keep the environment's bytecode "
                    "settings (no PYTHONPYCACHEPREFIX)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tm-startup-") as tmp:
        env = dict(os.environ)
        env.setdefault("PYTHONPATH", str(ROOT))
        if not args.as_is:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        db = Path(tmp) / "find.duckdb"
        find = command(args.patient.resolve(), db)
        floor = [sys.executable, "-c", "import duckdb"]
        t0 = time.perf_counter()
        wall(find, env)  # creates the database (embedded trials, derived tables)
        prepare = time.perf_counter() - t0
        wall(find, env)  # and warms the bytecode cache
        wall(floor, env)
        find_runs, floor_runs = [], []
        for _ in range(args.runs):
            find_runs.append(wall(find, env))
            floor_runs.append(wall(floor, env))
        finds, floors = [w for w, _ in find_runs], [w for w, _ in floor_runs]
        find_cpu, floor_cpu = [c for _, c in find_runs], [c for _, c in floor_runs]
        f, d = statistics.median(finds), statistics.median(floors)
        fc, dc = statistics.median(find_cpu), statistics.median(floor_cpu)
        print(f"command: {' '.join(find[:2])} {args.patient.name} --db DB --format json")
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
              f"{platform.python_version()}, load average "
              f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}; bytecode "
              f"{'as the environment says' if args.as_is else 'compiled'}")
        print(f"database prepared once in {prepare:.2f} s\n")
        print(f"| measure | median of {args.runs} (s) | min - max (s) |")
        print("|---|---|---|")
        print(f"| `trialmatch find --format json` | {f:.3f} | {min(finds):.3f} - "
              f"{max(finds):.3f} |")
        print(f"| `python -c \"import duckdb\"` | {d:.3f} | {min(floors):.3f} - "
              f"{max(floors):.3f} |")
        print(f"| ratio (target <= 2.5) | **{f / d:.2f}** | |")
        print(f"| CPU time, user + sys: `find` / floor | {fc:.3f} / {dc:.3f} | ratio "
              f"{fc / dc:.2f} |\n")
        print(import_costs(find, env, args.top))
        shutil.rmtree(Path(tmp) / "pycache", ignore_errors=True)


if __name__ == "__main__":
    main()
