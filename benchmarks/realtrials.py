"""End to end on real registry text: load real trials, `find` every annotated patient, compare.

    python benchmarks/realtrials.py                       # every set, summary
    python benchmarks/realtrials.py --set dev --show-errors
    python benchmarks/realtrials.py --json

Two annotated sets of the same shape (patients written from the trial text, each with the
status a coordinator assigns for one trial of ClinicalTrials.gov corpus):

* `dev`: ../shared/data/realtrials-dev (45 trials, 165 patients);
* `ours`: tests/realtrials, sets A and B (`expected_a.json`, `expected_b.json`: our own
  annotation of other trials of the same corpus; the files name trials by NCT id and hold no
  trial text);
* `c`: tests/realtrials, set C (`expected_c.json`: 23 further trials of the corpus, annotated
  the same way and committed before the parser was run on them);
* `d`: tests/realtrials, set D (`expected_d.json`: 13 further oncology trials and 2 non-cancer
  controls, annotated and committed before the parser was run on them and measured once with the
  parser left untouched: the untuned estimate; A, B and C served to find and fix parser errors);
* `e`: tests/realtrials, set E (`expected_e1.json`, `expected_e2.json`: 20 further oncology
  trials and 2 non-cancer controls picked at random, annotated in session 5 from the trial text
  only and measured once with the parser as it stood: the untuned estimate of session 5;
  the parser was then fixed on the classes it showed);
* `f`: tests/realtrials, set F (`expected_f.json`: 12 further oncology trials and a non-cancer
  control, annotated in session 5 while the set-E fixes were made, and measured once at the
  end of the session: the untuned estimate after those fixes);
* `g`, `h`: tests/realtrials, sets G and H (`expected_g.json`, `expected_h.json`: 12 further
  oncology trials and a non-cancer control each, picked by a seeded random walk of the corpus
  and annotated in session 6 from the trial text only by two annotators who never ran the
  parser on them; G was measured once untuned and then served to find errors, H was measured
  once at the end of the session);
* `i`: tests/realtrials, set I (`expected_i.json`: 12 further oncology trials and a non-cancer
  control, annotated in session 7 from the trial text only, untuned: nobody ran trialmatch on
  these trials before the set was committed. Picked by a seeded walk: the corpus trials whose
  conditions name a cancer, with a phase 1-4 and 600-6,000 characters of eligibility text, not
  in any earlier set (realtrials-dev, sets A-H, biomarkergold), sorted by NCT id and shuffled
  with `random.Random(8803)`; walked in that order, keeping a treatment trial with at least three
  criteria decidable on the profile, at most one trial per cancer type (a trial that requires a
  gene alteration excepted) and at most four haematological trials. The control is the first
  trial of the same walk (phase, length, seed) among those whose conditions and opening lines
  name no cancer);
* `j`: tests/realtrials, set J (`expected_j.json`: 12 further oncology trials and a non-cancer
  control, 49 patients, annotated in session 8 from the trial text only, untuned: nobody ran
  trialmatch on these trials before the set was committed. Same walk as set I with
  `random.Random(9907)`: the corpus trials with a phase 1-4 and 600-6,000 characters of
  eligibility text, minus every trial of an earlier set (realtrials-dev, sets A-I,
  biomarkergold: 241 ids), split by a plain cancer word list (cancer, carcinoma, tumour,
  neoplasm, malignant, leukaemia, lymphoma, myeloma, sarcoma, melanoma, glioma, -blastoma,
  myelodysplasia, mesothelioma, metastasis) into those whose conditions name a cancer and
  those whose conditions and first 300 characters of criteria name none; each list sorted by
  NCT id and shuffled with that seed. The cancer list was walked in order, keeping a treatment
  trial with at least three criteria decidable on a profile, at most one per cancer type (a
  trial that requires a gene alteration excepted; HER2 or hormone receptors by IHC not counted
  as one) and at most four haematological trials (12 kept among the first 26); the control is
  the first trial of the other list);
* `k`: tests/realtrials, set K (`expected_k.json`: 12 further oncology trials and a non-cancer
  control, 49 patients, annotated in session 9 from the trial text only, untuned: nobody ran
  trialmatch on these trials before the set was committed. Same walk as set J with
  `random.Random(9911)`: the same filters and cancer word list (the word list matches by stem:
  "neoplas" also catches "neoplastic", which reproduces set J's 1,184 trials and its order),
  minus every trial of an earlier set (realtrials-dev, sets A-J, biomarkergold: 254 ids), which
  leaves 1,172 trials naming a cancer and 2,506 naming none; each list sorted by NCT id and
  shuffled with that seed. The cancer list was walked in order with set J's limits (12 kept
  among the first 18); the control is the first trial of the other list);
* `l`: tests/realtrials, set L (`expected_l.json`: 12 further oncology trials and a non-cancer
  control, 50 patients, annotated in session 9 right after set K, untuned in the same way. Set
  K's walk continued: the same two shuffled lists (`random.Random(9911)`, the same 254
  excluded ids), the cancer list walked on from position 18 with the limits counted afresh
  for set L (12 kept among positions 18-58), the control the next trial of the non-cancer list
  (its second));
* `m`: tests/realtrials, set M (`expected_m.json`: 12 further oncology trials and a non-cancer
  control, 50 patients, annotated in session 10 from the trial text only, untuned: nobody ran
  trialmatch on these trials before the set was committed. Sets K and L's walk continued: the
  same two lists (`random.Random(9911)`, each sorted by NCT id and shuffled with that seed,
  built without the 254 ids excluded for set K), the cancer list walked on from position 59
  with the limits counted afresh for set M (12 kept among positions 59-81); every trial of an
  earlier set is excluded (realtrials-dev 45, sets A-L 203, biomarkergold 40: 280 ids, sets K
  and L's 26 lying before position 59 and at the head of the non-cancer list); the control the
  third trial of the non-cancer list);
* `n`: tests/realtrials, set N (`expected_n.json`: 12 further oncology trials and a non-cancer
  control, 50 patients, annotated in session 10 right after set M, untuned in the same way.
  Set M's walk continued: the same two lists, the 280 ids and set M's 13 excluded (293; set M's
  oncology trials lie before position 82, its control is the third of the non-cancer list),
  the cancer list walked on from position 82 with the limits counted afresh for set N (12 kept
  among positions 82-111), the control the fourth trial of the non-cancer list);
* `o`: tests/realtrials, set O (`expected_o.json`: 12 further oncology trials and a non-cancer
  control, 50 patients, annotated in session 11 from the trial text only, untuned: nobody ran
  trialmatch on these trials before the set was committed. Set N's walk continued: the same two
  lists (`random.Random(9911)`, each sorted by NCT id and shuffled with that seed, built without
  the 254 ids excluded for set K), every trial of an earlier set excluded (realtrials-dev 45,
  sets A-N 229, biomarkergold 40: 306 distinct ids, sets K-N's oncology trials lying before
  position 112 and their controls at the head of the non-cancer list), the cancer list walked on
  from position 112 with the limits counted afresh for set O (12 kept among positions 112-137),
  the control the fifth trial of the non-cancer list);
* `p`: tests/realtrials, set P (`expected_p.json`: 12 further oncology trials and a non-cancer
  control, 50 patients, annotated in session 11 right after set O, untuned in the same way.
  Set O's walk continued: the same two lists, the 306 ids and set O's 13 excluded (319; set O's
  oncology trials lie before position 138, its control is the fifth of the non-cancer list),
  the cancer list walked on from position 138 with the limits counted afresh for set P (12 kept
  among positions 138-166), the control the sixth trial of the non-cancer list);
* `q`: tests/realtrials, set Q (`expected_q.json`: 12 further oncology trials and a non-cancer
  control, 50 patients, annotated in session 12 from the trial text only, untuned: nobody ran
  trialmatch on these trials before the set was committed. Set P's walk continued: the same two
  lists (`random.Random(9911)`, each sorted by NCT id and shuffled with that seed, built without
  the 254 ids excluded for set K), every trial of an earlier set excluded (realtrials-dev 45,
  sets A-P 255, biomarkergold 40: 332 distinct ids, sets K-P's oncology trials lying before
  position 167 and their controls at the head of the non-cancer list), the cancer list walked on
  from position 167 with the limits counted afresh for set Q (12 kept among positions 167-208),
  the control the seventh trial of the non-cancer list);
* `r`: tests/realtrials, set R (`expected_r.json`: 12 further oncology trials and a non-cancer
  control, 50 patients, annotated in session 12 right after set Q, untuned in the same way.
  Set Q's walk continued: the same two lists, the 332 ids and set Q's 13 excluded (345; set Q's
  oncology trials lie before position 209, its control is the seventh of the non-cancer list),
  the cancer list walked on from position 209 with the limits counted afresh for set R (12 kept
  among positions 209-230), the control the eighth trial of the non-cancer list);
* `s`: tests/realtrials, set S (`expected_s.json`: 12 further oncology trials and a non-cancer
  control, 50 patients, annotated in session 13 from the trial text only, untuned: nobody ran
  trialmatch on these trials before the set was committed. Set R's walk continued: the same two
  lists (`random.Random(9911)`, each sorted by NCT id and shuffled with that seed, built without
  the 254 ids excluded for set K), every trial of an earlier set excluded (realtrials-dev 45,
  sets A-R 281, biomarkergold 40: 358 distinct ids, sets K-R's oncology trials lying before
  position 231 and their controls at the head of the non-cancer list), the cancer list walked on
  from position 231 with the limits counted afresh for set S (12 kept among positions 231-254),
  the control the ninth trial of the non-cancer list);
* `t`: tests/realtrials, set T (`expected_t.json`: 12 further oncology trials and a non-cancer
  control, 50 patients, annotated in session 13 right after set S, untuned in the same way.
  Set S's walk continued: the same two lists, the 358 ids and set S's 13 excluded (371; set S's
  oncology trials lie before position 255, its control is the ninth of the non-cancer list),
  the cancer list walked on from position 255 with the limits counted afresh for set T (12 kept
  among positions 255-271), the control the tenth trial of the non-cancer list);
* `u`: tests/realtrials, set U (`expected_u.json`: 12 further oncology trials and a non-cancer
  control, 50 patients, annotated in session 13 after sets S and T, untuned in the same way:
  from the trial text only, committed before anybody ran trialmatch on these trials. Set T's
  walk continued: the same two lists (`random.Random(9911)`), every trial of an earlier set
  excluded (realtrials-dev 45, sets A-T 307, biomarkergold 40: 384 distinct ids; none lies
  at cancer-list position 272 or later, nor at non-cancer position 10 or later), the cancer list
  walked on from position 272 with the limits counted afresh for set U (12 kept among positions
  272-304), the control the eleventh trial of the non-cancer list);
* `v`: tests/realtrials, set V (`expected_v.json`: 12 further oncology trials and a non-cancer
  control, 50 patients, annotated in session 13 right after set U, untuned in the same way.
  Set U's walk continued: the same two lists, the 384 ids and set U's 13 excluded (397; set U's
  oncology trials lie before position 305, its control is the eleventh of the non-cancer list),
  the cancer list walked on from position 305 with the limits counted afresh for set V (12 kept
  among positions 305-327), the control the twelfth trial of the non-cancer list);
* `w`: tests/realtrials, set W (`expected_w.json`: 12 further oncology trials and a non-cancer
  control, 50 patients, annotated in session 13 after set V, untuned in the same way: from the
  trial text only, committed before anybody ran trialmatch on these trials. Set V's walk
  continued: the same two lists (`random.Random(9911)`), every trial of an earlier set excluded
  (realtrials-dev 45, sets A-V 333, biomarkergold 40: 410 distinct ids; none lies at cancer-list
  position 328 or later, nor at non-cancer position 12 or later), the cancer list walked on from
  position 328 with the limits counted afresh for set W (12 kept among positions 328-353), the
  control the thirteenth trial of the non-cancer list);
* `x`: tests/realtrials, set X (`expected_x.json`: 12 further oncology trials and a non-cancer
  control, 50 patients, annotated in session 13 right after set W, untuned in the same way.
  Set W's walk continued: the same two lists, the 410 ids and set W's 13 excluded (423; set W's
  oncology trials lie before position 354, its control is the thirteenth of the non-cancer
  list), the cancer list walked on from position 354 with the limits counted afresh for set X
  (12 kept among positions 354-372), the control the fourteenth trial of the non-cancer list);
* `y`: tests/realtrials, set Y (`expected_y.json`: 12 further oncology trials and a non-cancer
  control, 50 patients, annotated in session 13 right after set X, untuned in the same way:
  random.Random(9911) on the same two lists, every trial of realtrials-dev, sets A-X and
  biomarkergold excluded (436 distinct ids; none lies at cancer-list position 373 or later, nor
  at non-cancer position 14 or later), the cancer list walked on from position 373 with the
  limits counted afresh for set Y (12 kept among positions 373-401), the control the fifteenth
  trial of the non-cancer list; patients failing only a manual-review criterion carry
  `status_dev_rules`);
* `z`: tests/realtrials, set Z (`expected_z.json`: 12 further oncology trials and a non-cancer
  control, 50 patients, annotated in session 13 right after set Y, untuned in the same way.
  Set Y's walk continued: the same two lists and the same 436 excluded ids (set Y's oncology
  trials lie before position 402, its control is the fifteenth of the non-cancer list), the
  cancer list walked on from position 402 with the limits counted afresh for set Z (12 kept
  among positions 402-418), the control the sixteenth trial of the non-cancer list);
* `aa`: tests/realtrials, set AA (`expected_aa.json`: 12 further oncology trials and a
  non-cancer control, 50 patients, annotated in session 13 after set Z, untuned in the same way:
  from the trial text only, committed before anybody ran trialmatch on these trials.
  random.Random(9911) on the same two lists, every trial of realtrials-dev, sets A-Z and
  biomarkergold excluded (462 distinct ids; none lies at cancer-list position 419 or later, nor
  at non-cancer position 16 or later), the cancer list walked on from position 419 with the
  limits counted afresh for set AA (12 kept among positions 419-438), the control the
  seventeenth trial of the non-cancer list; patient ids have a three-letter set prefix,
  `TAA-NN-E`);
* `ab`: tests/realtrials, set AB (`expected_ab.json`: 12 further oncology trials and a
  non-cancer control, 50 patients, annotated in session 13 right after set AA, untuned in the
  same way. Set AA's walk continued: the same two lists and the same 462 excluded ids (set AA's
  oncology trials lie before position 439, its control is the seventeenth of the non-cancer
  list), the cancer list walked on from position 439 with the limits counted afresh for set AB
  (12 kept among positions 439-452), the control the eighteenth trial of the non-cancer list;
  ids `TAB-NN-E`).

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
against `status`.

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
        "ab": (OURS, "expected_ab.json")}


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
