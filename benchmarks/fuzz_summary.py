"""Run the fuzz suite (`tests/fuzz`) and print the figures of `docs/reliability.md`.

    python benchmarks/fuzz_summary.py            # markdown tables on stdout

Every case and every generated example is counted by group and outcome as the tests run
(`tests/fuzz/hostile.py` writes the counts to $TRIALMATCH_FUZZ_REPORT); the run's pytest
result and wall time come with them. Exit code: pytest's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run() -> tuple[int, float, str, dict]:
    merged: dict = {"cases": defaultdict(int), "outcomes": defaultdict(int)}
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "fuzz.json"
        env = {**os.environ, "TRIALMATCH_FUZZ_REPORT": str(report),
               "PYTHONPATH": os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"),
                                                          str(ROOT)) if p)}
        t0 = time.perf_counter()
        # one report file per test module: each module's fixture writes its counts at the end
        modules = sorted((ROOT / "tests" / "fuzz").glob("test_*.py"))
        code, tail = 0, []
        for module in modules:
            proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p",
                                   "no:cacheprovider", str(module.relative_to(ROOT))],
                                  cwd=ROOT, env=env, capture_output=True, text=True)
            code = code or proc.returncode
            tail.append(f"{module.name}: {proc.stdout.strip().splitlines()[-1]}")
            if report.exists():
                doc = json.loads(report.read_text())
                for group, n in doc["cases"].items():
                    merged["cases"][group] += n
                for row in doc["outcomes"]:
                    merged["outcomes"][(row["group"], row["outcome"])] += row["cases"]
                report.unlink()
        seconds = time.perf_counter() - t0
    return code, seconds, "\n".join(tail), merged


def main() -> int:
    code, seconds, tail, merged = run()
    total = sum(merged["cases"].values())
    print("| group | cases | outcomes |")
    print("|---|---:|---|")
    by_group: dict[str, list[str]] = defaultdict(list)
    for (group, outcome), n in sorted(merged["outcomes"].items()):
        by_group[group].append(f"{n} {outcome}")
    for group, n in sorted(merged["cases"].items()):
        print(f"| {group} | {n:,} | {'; '.join(by_group[group])} |")
    print(f"| **all** | **{total:,}** | |")
    print()
    print(f"pytest: {'passed' if code == 0 else f'FAILED (exit {code})'}; "
          f"{seconds:.0f} s wall for the fuzz suite (each module in its own process)")
    print(tail)
    return code


if __name__ == "__main__":
    sys.exit(main())
