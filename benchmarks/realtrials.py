"""End to end on real registry text: load real trials, `find` every annotated patient, compare.

    python benchmarks/realtrials.py                       # every set, summary
    python benchmarks/realtrials.py --set dev --show-errors
    python benchmarks/realtrials.py --json

Annotated sets of one shape (patients written from the trial text, each with the status a
coordinator assigns for one trial of the ClinicalTrials.gov corpus):

* `dev`: ../shared/data/realtrials-dev (45 trials, 165 patients);
* `ours`, `c` ... `as`: our own annotated sets in tests/realtrials (sets A to AS: other trials
  of the same corpus, named by NCT id, no copied text); how each set was drawn (the seeded
  walk, the ids excluded, the positions kept) and in which session is in
  tests/realtrials/README.md.

The trials are read from ../shared/data/ctgov/trials_2000_2020.ndjson, loaded with
`trialmatch.app.load.load_files` into a fresh database (the curated trials are there too, as
for any user), and every patient is matched with `app.find.match_patients` (`find --all`); the
status of the patient's own trial is compared with the expected one. Reported:

* eligible found: expected-eligible patients reported eligible or possible;
* candidate agreement: (eligible or possible) vs ineligible, as a coordinator sorts them;
* exact: the three statuses agree;
* non-oncology rejected: cancer patients reported ineligible for a non-cancer trial.

Two scorings. Each set is scored twice on the same run. The first line, `[name]`, compares
with `status`, the status our stricter coordinator assigned (stage, extent, line counts,
treatment setting and wash-out windows count). The second line, `[name, dev rules]`, compares
with `status_dev_rules` where an entry has one, else with `status`: the status under
realtrials-dev's "Status rules applied", where criteria a profile cannot express (laboratory
values, organ function, stage and extent, number of lines, treatment setting, wash-out windows,
menopausal status, scores such as IPI/IPSS) are manual review and never make a pair ineligible
or possible. The kept-aside real-trial sets are annotated under those rules, so the second line
is the one that estimates their score; the first keeps the figures comparable with earlier
sessions and is the one `tests/test_realtrials.py` bounds. `--show-errors` lists the mismatches
against `status` (with `--dev-rules`, against the dev-rules status).

Skips with a message when ../shared is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CORPUS = SHARED / "ctgov" / "trials_2000_2020.ndjson"
OURS = ROOT / "tests" / "realtrials"
# set name: (folder holding patients/, glob of its expectation files)
SETS = {"dev": (SHARED / "realtrials-dev", "expected*.json"),
        "ours": (OURS, "expected_[ab].json"),
        "c": (OURS, "expected_c.json"),
        "d": (OURS, "expected_d.json"),
        "e": (OURS, "expected_e*.json"),
        "f": (OURS, "expected_f.json"),
        "g": (OURS, "expected_g.json"),
        "h": (OURS, "expected_h.json"),
        "i": (OURS, "expected_i.json"),
        "j": (OURS, "expected_j.json"),
        "k": (OURS, "expected_k.json"),
        "l": (OURS, "expected_l.json"),
        "m": (OURS, "expected_m.json"),
        "n": (OURS, "expected_n.json"),
        "o": (OURS, "expected_o.json"),
        "p": (OURS, "expected_p.json"),
        "q": (OURS, "expected_q.json"),
        "r": (OURS, "expected_r.json"),
        "s": (OURS, "expected_s.json"),
        "t": (OURS, "expected_t.json"),
        "u": (OURS, "expected_u.json"),
        "v": (OURS, "expected_v.json"),
        "w": (OURS, "expected_w.json"),
        "x": (OURS, "expected_x.json"),
        "y": (OURS, "expected_y.json"),
        "z": (OURS, "expected_z.json"),
        "aa": (OURS, "expected_aa.json"),
        "ab": (OURS, "expected_ab.json"),
        "ac": (OURS, "expected_ac.json"),
        "ad": (OURS, "expected_ad.json"),
        "ae": (OURS, "expected_ae.json"),
        "af": (OURS, "expected_af.json"),
        "ag": (OURS, "expected_ag.json"),
        "ah": (OURS, "expected_ah.json"),
        "ai": (OURS, "expected_ai.json"),
        "aj": (OURS, "expected_aj.json"),
        "ak": (OURS, "expected_ak.json"),
        "al": (OURS, "expected_al.json"),
        "am": (OURS, "expected_am.json"),
        "an": (OURS, "expected_an.json"),
        "ao": (OURS, "expected_ao.json"),
        "ap": (OURS, "expected_ap.json"),
        "aq": (OURS, "expected_aq.json"),
        "ar": (OURS, "expected_ar.json"),
        "as": (OURS, "expected_as.json")}


def expectations(folder: Path, pattern: str = "expected*.json") -> dict[str, dict]:
    """Every expectation file of a set folder matching `pattern`, merged by patient id."""
    out: dict[str, dict] = {}
    for f in sorted(folder.glob(pattern)):
        out.update(json.loads(f.read_text(encoding="utf-8")))
    return out


def corpus_records(ids: set[str], path: Path = CORPUS) -> list[str]:
    """The NDJSON lines of the corpus whose NCT id is in `ids`."""
    lines = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            head = line[:300]
            if any(i in head for i in ids):
                study = json.loads(line)
                nct = study["protocolSection"]["identificationModule"]["nctId"]
                if nct in ids:
                    lines.append(line.rstrip("\n"))
    return lines


def run_set(name: str, workdir: Path) -> list[dict]:
    """One row per patient of set `name`: id, trial, expected and found status, case kind."""
    sys.path.insert(0, str(ROOT))
    from trialmatch.app.catalog import open_catalog
    from trialmatch.app.find import match_patients
    from trialmatch.app.load import load_files
    from trialmatch.patients import load_patients

    folder, pattern = SETS[name]
    expected = expectations(folder, pattern)
    trials = {e["trial"] for e in expected.values()}
    trial_file = workdir / f"{name}-trials.ndjson"
    trial_file.write_text("\n".join(corpus_records(trials)) + "\n", encoding="utf-8")
    db = workdir / f"{name}.duckdb"
    summary = load_files([trial_file], db)
    if summary.problems:
        raise SystemExit("load problems: " + "; ".join(summary.problems))
    patients_file = workdir / f"{name}-patients.json"
    records = [json.loads((folder / "patients" / f"{pid}.json").read_text(encoding="utf-8"))
               for pid in sorted(expected)]
    patients_file.write_text(json.dumps(records), encoding="utf-8")
    store, ont = open_catalog(db, read_only=True)
    try:
        loaded = load_patients(patients_file, ont)
        if loaded.problems:
            raise SystemExit("patient problems: " + "; ".join(loaded.problems))
        found = match_patients(store, ont, loaded.patients, include_ineligible=True)
    finally:
        store.close()
    rows = []
    for pid, exp in sorted(expected.items()):
        match = next((m for m in found[pid] if m["trial_id"] == exp["trial"]), None)
        rows.append({"patient": pid, "trial": exp["trial"], "expected": exp["status"],
                     "expected_dev": exp.get("status_dev_rules", exp["status"]),
                     "found": match["status"] if match else "missing",
                     "kind": pid.rsplit("-", 1)[-1][0],
                     "reasons": match["reasons"] if match else [],
                     "unknown": match["unknown"] if match else []})
    return rows


def figures(rows: list[dict], key: str = "expected") -> dict:
    """The four figures of the module docstring, with their counts.

    `key` names the expected status scored against: "expected" (the annotated `status`) or
    "expected_dev" (`status_dev_rules`, falling back to `status`)."""
    rows = [{**r, "expected": r[key]} for r in rows]
    onc = [r for r in rows if r["kind"] != "N"]
    non = [r for r in rows if r["kind"] == "N"]
    eligible = [r for r in onc if r["expected"] == "eligible"]
    found = sum(r["found"] in ("eligible", "possible") for r in eligible)

    def cand(s: str) -> bool:
        return s in ("eligible", "possible")

    agree = sum(cand(r["found"]) == cand(r["expected"]) for r in rows)
    exact = sum(r["found"] == r["expected"] for r in rows)
    rejected = sum(r["found"] in ("ineligible", "missing") for r in non)
    return {"patients": len(rows), "trials": len({r["trial"] for r in rows}),
            "eligible_found": found, "eligible": len(eligible),
            "eligible_found_pct": round(100 * found / max(1, len(eligible)), 1),
            "candidate_agreement_pct": round(100 * agree / max(1, len(rows)), 1),
            "exact_pct": round(100 * exact / max(1, len(rows)), 1),
            "nononc_rejected": rejected, "nononc": len(non),
            "confusion": dict(Counter(f"{r['expected']}->{r['found']}" for r in rows))}


def _show_errors(rows: list[dict], key: str = "expected") -> None:
    for r in rows:
        if r["found"] == r[key]:
            continue
        print(f"  {r['patient']} {r['trial']}: expected {r[key]}, found {r['found']}")
        for reason in r["reasons"]:
            if reason.get("result") != "met":
                print(f"      {reason.get('result')}: {reason.get('criterion')}  "
                      f"<< {str(reason.get('text'))[:110]!r}")
        for u in r["unknown"][:6]:
            print(f"      unknown: {u}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", choices=[*SETS, "all"], default="all")
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--dev-rules", action="store_true",
                    help="with --show-errors: the mismatches against the dev-rules statuses")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} not found (the shared data sits beside the repo)")
        return 0
    names = list(SETS) if args.set == "all" else [args.set]
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            folder, pattern = SETS[name]
            if not any(folder.glob(pattern)):
                print(f"skipped set {name}: no {pattern} in {folder}", file=sys.stderr)
                continue
            rows = run_set(name, Path(tmp))
            report[name] = figures(rows)
            report[name]["dev_rules"] = figures(rows, "expected_dev")
            if args.show_errors and not args.json:
                print(f"[{name}{', dev rules' if args.dev_rules else ''}] mismatches:")
                _show_errors(rows, "expected_dev" if args.dev_rules else "expected")
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for name, f in report.items():
        print(_summary(name, f))
        print(_summary(f"{name}, dev rules", f["dev_rules"]))
    return 0


def _summary(label: str, f: dict) -> str:
    return (f"[{label}] {f['trials']} trials, {f['patients']} patients: eligible found "
            f"{f['eligible_found']}/{f['eligible']} ({f['eligible_found_pct']} %), candidate "
            f"agreement {f['candidate_agreement_pct']} %, exact {f['exact_pct']} %, "
            f"non-oncology rejected {f['nononc_rejected']}/{f['nononc']}")


if __name__ == "__main__":
    raise SystemExit(main())
