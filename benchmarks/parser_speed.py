"""Parser speed: trials per second on the CT.gov corpus, the 1 MB adversarial text, and load.

    python benchmarks/parser_speed.py [--limit N] [--repeat 3] [--load] [--json]

1. trials/s: `parse_record` + `parse_output` (what `trialmatch parse --format jsonl` does) over
   ../shared/data/ctgov/trials_2000_2020.ndjson (4,868 trials), one process, after warm-up
   (ontology and pipeline built once). Target: >= 150 trials/s (issues 9 and 10).
2. adversarial: `parse_eligibility` on 1,000,000 characters built to defeat naive patterns
   (repeated genes, dashes, open brackets, "exon 19", "≥≥≥", a long word, "or or and/or").
   Target: < 2 s.
3. with --load: `trialmatch load` of the corpus into a fresh database, timed as a separate
   process (start-up, parsing, storing, derived tables). Target: < 2 minutes.

The parser's modules are compiled with mypyc when the package is installed (pyproject.toml);
the figures say whether the run used the compiled modules or the Python source.
Wall-clock seconds (best of --repeat) and CPU seconds are both printed, with the machine, so
a figure taken on a busy machine can be told apart. Skips with a message when ../shared is
absent.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "ctgov" / "trials_2000_2020.ndjson"


def machine() -> dict[str, object]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(terse=True), "load_avg_1min": load}


def adversarial(size: int = 1_000_000) -> str:
    chunk = ("EGFR " * 50 + "- " * 50 + "(" * 30 + "exon 19 " * 20 + "≥≥≥ 1 " * 20
             + "a" * 300 + " ,,,, or or and/or " * 20 + "\n")
    return (chunk * (size // len(chunk) + 1))[:size]


def timed(fn, repeat: int) -> tuple[float, float]:
    """(best wall seconds, CPU seconds of that run)."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        best = min(best, (time.perf_counter() - w, time.process_time() - c))
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="parse only the first N trials")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--load", action="store_true", help="also time `trialmatch load`")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} not found (the shared data sits beside the repository)")
        return 0
    sys.path.insert(0, str(ROOT))
    from trialmatch.ingest import read_records
    from trialmatch.nlp import parse_eligibility, parse_output, parse_record
    from trialmatch.ontology import default_ontology

    ont = default_ontology()
    records, _ = read_records(CORPUS)
    records = records[:args.limit] if args.limit else records
    parse_output(parse_record(records[0], ont))  # warm-up: pipeline and lexicons

    def corpus() -> None:
        for r in records:
            parse_output(parse_record(r, ont))

    wall, cpu = timed(corpus, args.repeat)
    from trialmatch.nlp import entities

    compiled = not entities.__file__.endswith(".py")  # mypyc, built by `pip install`
    figures: dict[str, object] = {
        "machine": machine(), "parser_compiled": compiled, "trials": len(records),
        "trials_per_s": round(len(records) / wall, 1), "corpus_wall_s": round(wall, 2),
        "corpus_cpu_s": round(cpu, 2)}
    text = adversarial()
    wall, cpu = timed(lambda: parse_eligibility(text, ontology=ont), args.repeat)
    figures.update(adversarial_chars=len(text), adversarial_wall_s=round(wall, 2),
                   adversarial_cpu_s=round(cpu, 2))
    if args.load:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, "-c", "from trialmatch.cli.app import main; main()", "load",
                   str(CORPUS), "--db", str(Path(tmp) / "bench.duckdb")]
            w = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            figures.update(load_wall_s=round(time.perf_counter() - w, 1),
                           load_exit=proc.returncode,
                           load_summary=(proc.stderr.strip().splitlines() or [""])[-1])
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
    else:
        m = figures["machine"]
        print(f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, "  # type: ignore[index]
              f"load average {m['load_avg_1min']}")  # type: ignore[index]
        print("parser: " + ("compiled (mypyc)" if figures["parser_compiled"] else
                            "pure Python (not compiled: see pyproject.toml)"))
        print(f"corpus: {figures['trials']} trials in {figures['corpus_wall_s']} s "
              f"({figures['trials_per_s']} trials/s; CPU {figures['corpus_cpu_s']} s)")
        print(f"adversarial: {figures['adversarial_chars']:,} characters in "
              f"{figures['adversarial_wall_s']} s (CPU {figures['adversarial_cpu_s']} s)")
        if args.load:
            print(f"load: {figures['load_wall_s']} s, exit {figures['load_exit']}: "
                  f"{figures['load_summary']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
