"""`trialmatch find` and `check` through the command line: JSON shape and one test per exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trialmatch.cli import app as app_module
from trialmatch.cli.app import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "patients" / "P-0001.json"


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_exit_0_find_prints_the_design_json(tmp_path, capsys):
    code, out, err = run(["find", str(EXAMPLE), "--db", str(tmp_path / "t.duckdb"),
                          "--format", "json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema_version"] == 1 and doc["patient_id"] == "P-0001"
    assert doc["matches"], "the example patient matches at least one trial"
    m = doc["matches"][0]
    for key in ("trial_id", "cohort", "title", "phase", "status", "score", "reasons",
                "unknown", "manual_review"):
        assert key in m
    assert m["status"] in ("eligible", "possible")
    assert all({"criterion", "result", "text", "via"} <= set(r) for r in m["reasons"])
    scores = [(x["status"], -x["score"]) for x in doc["matches"]]
    assert scores == sorted(scores, key=lambda s: ({"eligible": 0, "possible": 1}[s[0]], s[1]))


def test_find_top_all_jsonl_and_csv(tmp_path, capsys):
    db = str(tmp_path / "t.duckdb")
    code, out, _ = run(["find", str(EXAMPLE), "--db", db, "--format", "jsonl", "--top", "2"],
                       capsys)
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and 1 <= len(lines) <= 2 and all(x["patient_id"] == "P-0001"
                                                      for x in lines)
    code, out, _ = run(["find", str(EXAMPLE), "--db", db, "--format", "json", "--all"], capsys)
    statuses = {m["status"] for m in json.loads(out)["matches"]}
    assert code == 0 and "ineligible" in statuses
    code, out, _ = run(["find", str(EXAMPLE), "--db", db, "--format", "csv"], capsys)
    assert code == 0 and out.splitlines()[0].startswith("patient_id,trial_id,cohort")


def test_exit_1_check_fails_on_a_bad_curated_file(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: TM-X\ntitle: x\ninclusion:\n  - text: t\n    rule: alteration(EGFR, mutaton)\n")
    code, _, err = run(["check", str(bad)], capsys)
    assert code == 1
    assert "bad.yaml:5" in err


def test_check_passes_on_the_embedded_files(capsys):
    code, _, err = run(["check"], capsys)
    assert code == 0, err


@pytest.mark.parametrize("content,message", [
    ("{not json", "malformed JSON"),
    ("", "empty file"),
    ('{"id": "P-1", "alterations": [{"gene": "EGFR", "type": "mutaton"}]}',
     "/alterations/0/type: unknown alteration type (expected"),
    ('{"id": "P-1", "ecog": "one"}', "/ecog: wrong type"),
])
def test_exit_2_invalid_input(tmp_path, capsys, content, message):
    f = tmp_path / "p.json"
    f.write_text(content)
    code, out, err = run(["find", str(f), "--db", str(tmp_path / "t.duckdb")], capsys)
    assert code == 2
    assert message in err
    assert out == "" and "Traceback" not in err


@pytest.mark.parametrize("target", ["missing.json", "."])
def test_exit_2_missing_file_or_directory(tmp_path, capsys, target):
    code, _, err = run(["find", str(tmp_path / target), "--db", str(tmp_path / "t.duckdb")],
                       capsys)
    assert code == 2 and ("no such file" in err or "is a directory" in err)


def test_exit_2_bad_option(capsys):
    code, _, _ = run(["find", str(EXAMPLE), "--format", "xml"], capsys)
    assert code == 2


def test_exit_3_patient_list_with_one_bad_entry(tmp_path, capsys):
    f = tmp_path / "cohort.json"
    good = json.loads(EXAMPLE.read_text())
    f.write_text(json.dumps([good, {"id": "P-BAD", "sex": "unknown-sex"}]))
    code, out, err = run(["find", str(f), "--db", str(tmp_path / "t.duckdb"), "--format",
                          "jsonl"], capsys)
    assert code == 3
    assert {json.loads(x)["patient_id"] for x in out.splitlines()} == {"P-0001"}
    assert "/1/sex" in err


def test_exit_4_internal_error_has_no_traceback_or_data(tmp_path, capsys, monkeypatch):
    import trialmatch.app.find

    def boom(*a, **k):
        raise RuntimeError("secret value 1961-04-02")

    monkeypatch.setattr(trialmatch.app.find, "find_iter", boom)
    code, _, err = run(["find", str(EXAMPLE), "--db", str(tmp_path / "t.duckdb")], capsys)
    assert code == 4
    assert "internal error" in err and "Traceback" not in err and "1961" not in err


def test_entry_point_runs_as_a_module(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "trialmatch", "find", str(EXAMPLE), "--db",
                           str(tmp_path / "t.duckdb"), "--format", "json"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["patient_id"] == "P-0001"


def test_find_imports_only_what_it_uses(tmp_path):
    """Issue 12.5: find starts fast. networkx (the graph is built on first use; the closures
    find asks for are walked from the tables), pyarrow/numpy, click (typer carries its own),
    the FHIR and Phenopacket readers (a patient.json is neither), the trial compiler and
    writer and the other commands' modules are not imported on its path, nor pydantic (the
    patient profile has its own reader, and typer is kept below 0.29, which coerced every
    option through a pydantic TypeAdapter)."""
    unwanted = ["networkx", "pyarrow", "numpy", "click", "spacy", "yaml", "fhir", "pydantic",
                "phenopackets", "google.protobuf", "trialmatch.patients.fhir",
                "trialmatch.patients.phenopacket", "trialmatch.patients.codes",
                "trialmatch.store.trials", "trialmatch.match.compile", "trialmatch.rules.cnf",
                "trialmatch.nlp", "trialmatch.ingest", "trialmatch.app.load",
                "trialmatch.app.sync",
                *(f"trialmatch.cli.{m}" for m in app_module.COMMANDS.values()
                  if m != "find_cmd")]
    find = (f"['find', {str(EXAMPLE)!r}, '--db', {str(tmp_path / 't.duckdb')!r}, "
            "'--format', 'json']")
    prepare = f"from trialmatch.cli.app import main; assert main({find}) == 0"
    proc = subprocess.run([sys.executable, "-c", prepare], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr  # the first run loads the embedded trials
    code = (f"import sys; {prepare}; "
            f"print(sorted(m for m in {unwanted!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_every_command_is_registered_under_its_name():
    proc = subprocess.run([sys.executable, "-c", "from trialmatch.cli import app; "
                           "app._register(['--help']); import typer; "
                           "print(sorted(i.name for i in app.app.registered_commands)"
                           " + sorted(g.name for g in app.app.registered_groups))"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert sorted(eval(proc.stdout)) == sorted(app_module.COMMANDS)


def test_a_missing_command_module_fails_loudly():
    """A command whose module cannot be imported is an error, not a command quietly gone."""
    code = ("import sys; sys.modules['trialmatch.cli.sync_cmd'] = None; "
            "from trialmatch.cli.app import main; main(['--help'])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "ModuleNotFoundError" in proc.stderr and "trialmatch.cli.sync_cmd" in proc.stderr


def test_find_never_imports_spacy(tmp_path):
    code = ("import sys; from trialmatch.cli.app import main; "
            f"rc = main(['find', {str(EXAMPLE)!r}, '--db', {str(tmp_path / 't.duckdb')!r}, "
            "'--format', 'json']); "
            "assert rc == 0, rc; assert 'spacy' not in sys.modules, 'spacy imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
