"""`trialmatch bulk` through the command line: output formats, summary line, exit codes."""

from __future__ import annotations

import csv
import io
import json

from conftest import ROOT, read_jsonl, shared_cohort

from trialmatch.cli.app import main

EXAMPLES = ROOT / "examples" / "cohort.jsonl"


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_exit_0_json_reports_the_run_and_the_changes(db, tmp_path, capsys):
    out_file = tmp_path / "results.jsonl"
    code, out, err = run(["bulk", str(EXAMPLES), "--db", str(db), "--out", str(out_file),
                          "--format", "json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["run_id"] == 1 and doc["patients"] == 17 and doc["rejected"] == 0
    assert doc["new"] == doc["matches"] > 0 and doc["lost"] == 0
    assert sum(len(p["new"]) for p in doc["patients_changed"]) == doc["new"]
    rows = read_jsonl(out_file)
    assert len(rows) == doc["matches"] and all("patient_id" in r for r in rows)
    summary = err.strip().splitlines()[-1]
    assert summary.startswith("run 1: 17 patients") and str(out_file) in summary

    code, out, err = run(["bulk", str(EXAMPLES), "--db", str(db), "--since-last-run",
                          "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["run_id"] == 2 and doc["unchanged"] == 17
    assert doc["new"] == doc["lost"] == 0 and doc["patients_changed"] == []


def test_jsonl_and_csv_changes(db, capsys):
    code, out, _ = run(["bulk", str(EXAMPLES), "--db", str(db), "--format", "jsonl"], capsys)
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and lines and {"patient_id", "new", "lost", "changed"} <= set(lines[0])
    code, out, _ = run(["bulk", str(EXAMPLES), "--db", str(db), "--format", "csv",
                        "--batch-size", "3"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and rows == [], "a second full run of the same cohort changes nothing"


def test_table_format_prints_changes(db, capsys):
    code, out, _ = run(["bulk", str(EXAMPLES), "--db", str(db), "--format", "table"], capsys)
    assert code == 0 and "P-0001" in out


def test_exit_2_for_unusable_input(db, tmp_path, capsys):
    code, _, err = run(["bulk", str(tmp_path / "missing.jsonl"), "--db", str(db)], capsys)
    assert code == 2 and "no such file" in err
    code, _, err = run(["bulk", str(EXAMPLES), "--db", str(db), "--out",
                        str(tmp_path / "r.xlsx")], capsys)
    assert code == 2 and ".parquet, .jsonl or .csv" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 5, "sex": "x"}\n{oops\n')
    code, _, err = run(["bulk", str(bad), "--db", str(db)], capsys)
    assert code == 2 and "no valid patient" in err and f"{bad}:1: /sex" in err
    code, _, err = run(["bulk", str(EXAMPLES), "--db", str(db), "--batch-size", "0"], capsys)
    assert code == 2


def test_cbioportal_study_runs(db, tmp_path, capsys):
    study = shared_cohort("msk_summit_biliary_her2")
    out_file = tmp_path / "r.parquet"
    code, out, err = run(["bulk", str(study), "--db", str(db), "--out", str(out_file),
                          "--format", "json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["patients"] == 34 and out_file.exists()
