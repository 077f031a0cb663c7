"""`trialmatch parse` and `trialmatch load` through the command line: output shapes, exit codes,
and trials that `find` matches after a load."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from trialmatch.cli.app import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "ctgov_egfr_l858r.json"
PATIENT = ROOT / "examples" / "patients" / "P-0001.json"  # LUAD, EGFR L858R, ECOG 1
NCT = "NCT99990001"


def run(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _study(nct, text="Inclusion Criteria:\n- KRAS G12C mutation"):
    return {"protocolSection": {"identificationModule": {"nctId": nct},
                                "eligibilityModule": {"eligibilityCriteria": text}}}


def _stored(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(r[0] for r in con.execute(
            "SELECT trial_id FROM trials WHERE origin = 'ctgov'").fetchall())
    finally:
        con.close()


# ----------------------------------------------------------------------------- parse

def test_parse_text_json(capsys):
    code, out, _ = run(["parse", "--text", "Inclusion Criteria:\n- EGFR exon 19 deletion or "
                        "L858R\n- Adequate organ function", "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 0 and set(doc) == {"trial_id", "cohorts", "biomarkers", "unparsed"}
    assert [b["variant"] for b in doc["biomarkers"]] == ["exon19del", "L858R"]
    assert all(b["polarity"] == "require" and b["gene"] == "EGFR" for b in doc["biomarkers"])
    assert doc["unparsed"] == [{"section": "inclusion", "text": "Adequate organ function",
                                "start": 55, "end": 78}]
    assert doc["cohorts"][0]["id"] == "main" and doc["cohorts"][0]["rule"]["kind"] == "all"


def test_parse_fixture_jsonl(capsys):
    code, out, _ = run(["parse", FIXTURE, "--format", "jsonl"], capsys)
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and [x["trial_id"] for x in lines] == [NCT]
    got = {(b["gene"], b["variant"], b["polarity"]) for b in lines[0]["biomarkers"]}
    assert got == {("EGFR", "L858R", "require"), ("EGFR", "T790M", "exclude")}


@pytest.mark.parametrize("name,count", [("ctgov/NCT02513394.json", 1),
                                        ("ctgov/NCT02513394.xml", 1),
                                        ("ctgov/NCT00000378.xml", 1),
                                        ("parser-dev/trials.json", 92)])
def test_parse_shared_files(shared, capsys, name, count):
    code, out, _ = run(["parse", shared / name, "--format", "jsonl"], capsys)
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and len(lines) == count
    assert all(x["trial_id"].startswith("NCT") for x in lines)


def test_parse_missing_file_and_bad_usage(tmp_path, capsys):
    assert run(["parse", tmp_path / "nope.json"], capsys)[0] == 2
    assert run(["parse"], capsys)[0] == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{broken")
    code, _, err = run(["parse", bad, "--format", "jsonl"], capsys)
    assert code == 2 and "broken JSON" in err


# ----------------------------------------------------------------------------- load

def test_load_then_find(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    code, out, err = run(["load", FIXTURE, "--db", db, "--format", "json"], capsys)
    assert code == 0, err
    assert "loaded 1 trial" in err and "left for manual review" in err
    summary = json.loads(out)
    assert summary["trials"] == 1 and summary["criteria"] == 6
    assert summary["biomarker_criteria"] == 2 and summary["manual_review"] == 1
    code, out, err = run(["find", PATIENT, "--db", db, "--format", "json"], capsys)
    assert code == 0, err
    match = {m["trial_id"]: m for m in json.loads(out)["matches"]}[NCT]
    assert match["status"] == "eligible" and match["manual_review"] == 1
    # the trial's evidence words stay in the label; the finding is still met
    assert "EGFR L858R mutation (documented; tissue)" in [r["criterion"] for r in match["reasons"]]


def test_loading_again_replaces(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    assert run(["load", FIXTURE, "--db", db], capsys)[0] == 0
    changed = json.loads(FIXTURE.read_text())
    changed["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = \
        "Inclusion Criteria:\n- KRAS G12C mutation"
    again = tmp_path / "again.json"
    again.write_text(json.dumps(changed))
    assert run(["load", again, "--db", db], capsys)[0] == 0
    assert _stored(db) == [NCT]
    code, out, _ = run(["find", PATIENT, "--db", db, "--format", "json", "--all"], capsys)
    match = {m["trial_id"]: m for m in json.loads(out)["matches"]}[NCT]
    assert match["status"] == "ineligible"  # P-0001 has no KRAS G12C: the new text counts


def test_partial_batch_exit_3(tmp_path, capsys):
    f = tmp_path / "batch.ndjson"
    f.write_text(json.dumps(_study("NCT99990002")) + "\n{broken\n"
                 + json.dumps(_study("NCT99990003", "")) + "\n")
    db = tmp_path / "t.duckdb"
    code, _, err = run(["load", f, "--db", db], capsys)
    assert code == 3
    assert f"{f}:2: broken JSON" in err and "NCT99990003: no eligibility text" in err
    assert "loaded 1 trial" in err
    assert _stored(db) == ["NCT99990002"]


def test_nothing_readable_exit_2(tmp_path, capsys):
    f = tmp_path / "bad.xml"
    f.write_text("<clinical_study><id_info>")
    code, _, err = run(["load", f, "--db", tmp_path / "t.duckdb"], capsys)
    assert code == 2 and "broken XML" in err
    assert run(["load", tmp_path / "missing.json", "--db", tmp_path / "t.duckdb"], capsys)[0] == 2


def test_a_file_that_fails_to_store_changes_nothing(tmp_path, monkeypatch, capsys):
    from trialmatch.app import catalog
    from trialmatch.errors import StoreError

    first = tmp_path / "a.json"
    first.write_text(json.dumps(_study("NCT99990004")))
    second = tmp_path / "b.json"
    second.write_text(json.dumps([_study("NCT99990005"), _study("NCT99990006")]))
    real = catalog.refresh_derived
    calls = []

    def failing(store, ont, force=False):
        calls.append(1)
        if len(calls) == 3:  # open_catalog, file a, then file b fails after writing its rows
            raise StoreError("disk full (simulated)")
        return real(store, ont, force)

    monkeypatch.setattr(catalog, "refresh_derived", failing)
    db = tmp_path / "t.duckdb"
    code, _, err = run(["load", first, second, "--db", db], capsys)
    assert code == 3 and f"{second}: nothing stored from this file" in err
    assert _stored(db) == ["NCT99990004"]


def test_find_after_load_never_imports_spacy(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    assert run(["load", FIXTURE, "--db", db], capsys)[0] == 0
    code = ("import sys; from trialmatch.cli.app import main; "
            f"rc = main(['find', {str(PATIENT)!r}, '--db', {str(db)!r}, '--format', 'json']); "
            "assert rc == 0, rc; assert 'spacy' not in sys.modules, 'spacy imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_stated_status_keeps_its_word_and_polarity(capsys):
    code, out, _ = run(["parse", "--text", "Inclusion Criteria:\n- BRAF V600 wild-type\n- ALK-negative"
                        "\nExclusion Criteria:\n- KRAS G12C-negative", "--format", "json"], capsys)
    got = [(b["gene"], b["alteration"], b["variant"], b["polarity"])
           for b in json.loads(out)["biomarkers"]]
    assert code == 0 and got == [("BRAF", "wildtype", "V600", "require"),
                                 ("ALK", "negative", None, "require"),
                                 ("KRAS", "negative", "G12C", "exclude")]
