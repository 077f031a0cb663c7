"""The 18 bad-input points of issue 12, one test (or a few) each; every one failed before
its fix. Named `test_pNN_...` after the point's number in the issue."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from tests.fuzz.hostile import CANARY, GOOD, HOSTILE_TRIALS, study, write

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p)}


def _cohort(path: Path, n: int = 3) -> Path:
    return write(path, [{**GOOD, "id": f"P-{i}"} for i in range(n)])


def _runs(db: Path) -> list[tuple[int, str]]:
    """The runs table as it is on disk (read-only: opening as a writer would tidy it)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT run_id, state FROM runs ORDER BY run_id").fetchall()
    finally:
        con.close()


# 1 ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,content", [("x.json", '{"a": 1}\n'), ("x.csv", "a,b\n1,2\n")])
def test_p01_db_that_is_not_a_database_is_refused(cli, tmp_path, name, content):
    db = tmp_path / name
    db.write_text(content)
    trials = write(tmp_path / "t.ndjson", [study("NCT90000101", "t")])
    for args in (["load", trials], ["bulk", _cohort(tmp_path / "c.jsonl")],
                 ["find", tmp_path / "c.jsonl"]):
        code, _, err = cli(*args, "--db", db)
        assert code == 2 and "not a trialmatch database" in err, err
    assert db.read_text() == content


def test_p01_duckdb_file_of_another_application_is_refused(cli, tmp_path):
    db = tmp_path / "other.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE invoices (n INTEGER)")
    con.close()
    code, _, err = cli("bulk", _cohort(tmp_path / "c.jsonl"), "--db", db)
    assert code == 2 and "not a trialmatch database" in err


# 2 ------------------------------------------------------------------------------------

def _latin1_cohort(path: Path) -> Path:
    lines = [json.dumps({**GOOD, "id": f"P-{i}"}).encode() for i in range(5)]
    lines[1] = b'{"id": "P-X", "diagnosis": {"text": "carcinome \xe9pidermo\xefde"}}'
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_p02_one_bad_byte_costs_one_line_in_bulk(cli, db_copy, tmp_path):
    cohort = _latin1_cohort(tmp_path / "c.jsonl")
    code, out, err = cli("bulk", cohort, "--db", db_copy, "--format", "json")
    assert code == 3
    assert json.loads(out)["patients"] == 4 and json.loads(out)["rejected"] == 1
    assert f"{cohort}:2: not UTF-8" in err


def test_p02_one_bad_byte_costs_one_line_in_find(cli, fuzz_db, tmp_path):
    cohort = _latin1_cohort(tmp_path / "c.jsonl")
    code, out, err = cli("find", cohort, "--db", fuzz_db, "--format", "jsonl")
    assert code == 3 and f"{cohort}:2: not UTF-8" in err
    assert {json.loads(x)["patient_id"] for x in out.splitlines()} == {"P-0", "P-2", "P-3",
                                                                        "P-4"}


def test_p02_one_bad_byte_costs_one_trial_in_load(cli, db_copy, tmp_path):
    f = tmp_path / "t.ndjson"
    f.write_bytes(json.dumps(study("NCT90000102", "a")).encode() + b"\n{\"x\": \"\xff\"}\n"
                  + json.dumps(study("NCT90000103", "b")).encode() + b"\n")
    code, out, err = cli("load", f, "--db", db_copy, "--format", "json")
    assert code == 3 and json.loads(out)["trials"] == 2 and f"{f}:2: not UTF-8" in err


# 3 ------------------------------------------------------------------------------------

def test_p03_eligibility_text_past_spacy_max_length(tmp_path):
    from trialmatch.nlp.parse import parse_eligibility

    text = "Inclusion Criteria:\n- EGFR L858R mutation\n" + " " * 1_000_100 + "end"
    trial = parse_eligibility(text, "NCT90000104")
    assert trial.cohorts


# 4 ------------------------------------------------------------------------------------

def _flipped(src: Path, dst: Path, offset: int) -> Path:
    data = bytearray(src.read_bytes())
    data[offset] ^= 0xFF
    dst.write_bytes(bytes(data))
    return dst


def _data_block_offset(db: Path, table: str) -> int:
    """A byte of the first data block of `table`: a DuckDB file is three 4 KiB headers,
    then blocks of `block_size` bytes (an 8-byte checksum, then the data)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        (size,) = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()
        block, at = con.execute(
            f"SELECT block_id, block_offset FROM pragma_storage_info('{table}') "
            "WHERE persistent AND block_id >= 0 ORDER BY block_id, block_offset LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    return 3 * 4096 + block * size + 8 + at


# the header; a data block of the stored leaves, which every `find` reads (a block of a
# table it does not read, such as the derived `alt_specs` when Python evaluates the
# leaves of a small catalogue, is found by the first command that reads it)
@pytest.mark.parametrize("where", [100, "leaves"])
def test_p04_corrupt_database_says_corrupt(cli, fuzz_db, tmp_path, where):
    offset = where if isinstance(where, int) else _data_block_offset(fuzz_db, where)
    db = _flipped(fuzz_db, tmp_path / "c.duckdb", offset)
    patient = write(tmp_path / "p.jsonl", [GOOD])
    code, _, err = cli("find", patient, "--db", db, "--format", "json")
    assert code == 2, err
    assert "corrupt" in err and "delete it" in err and "in use" not in err


def test_p04_truncated_database_says_corrupt(cli, fuzz_db, tmp_path):
    db = tmp_path / "t.duckdb"
    db.write_bytes(fuzz_db.read_bytes()[:20_000])
    code, _, err = cli("find", write(tmp_path / "p.jsonl", [GOOD]), "--db", db)
    assert code == 2 and "corrupt" in err


def test_p04_block_is_not_a_lock():
    from trialmatch.store.db import _is_lock_error

    assert not _is_lock_error(Exception("checksum does not match in block at location 0"))
    assert _is_lock_error(Exception('IO Error: Could not set lock on file "x": Conflicting '
                                    "lock is held"))


# 5 ------------------------------------------------------------------------------------

DEEP = '{"id": "P-DEEP", "x": ' + "[" * 1_000 + "]" * 1_000 + "}"


def test_p05_deep_json_is_a_clear_refusal_everywhere(cli, fuzz_db, db_copy, tmp_path):
    patient = tmp_path / "p.json"
    patient.write_text(DEEP)
    trial = tmp_path / "t.json"
    trial.write_text('{"protocolSection": ' + "[" * 1_000 + "]" * 1_000 + "}")
    onco = tmp_path / "o.json"
    onco.write_text('{"T": {"code": "T", "children": ' + "[" * 1_000 + "]" * 1_000 + "}}")
    for args in (["find", patient, "--db", fuzz_db], ["load", trial, "--db", db_copy],
                 ["parse", trial], ["ontology", "import", "oncotree", onco, "--db", db_copy]):
        code, _, err = cli(*args)
        assert code == 2 and "nested more than" in err, (args[0], err)


def test_p05_one_deep_line_does_not_abort_bulk(cli, db_copy, tmp_path):
    cohort = tmp_path / "c.jsonl"
    cohort.write_text(json.dumps(GOOD) + "\n" + DEEP + "\n"
                      + json.dumps({**GOOD, "id": "P-2"}) + "\n")
    code, out, err = cli("bulk", cohort, "--db", db_copy, "--format", "json")
    assert code == 3 and json.loads(out)["patients"] == 2 and f"{cohort}:2:" in err


# 6 ------------------------------------------------------------------------------------

HOLD = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); " \
       "time.sleep(float(sys.argv[2]))"


def _hold(db: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_p06_find_has_the_wait_it_names_and_waits_by_itself(cli, db_copy, tmp_path):
    patient = write(tmp_path / "p.jsonl", [GOOD])
    holder = _hold(db_copy, 3.0)  # a short writer, as a load of a few trials
    try:
        code, _, err = cli("find", patient, "--db", db_copy, "--wait", "0")
        assert code == 2 and "in use by another trialmatch process" in err and "--wait" in err
        code, out, err = cli("find", patient, "--db", db_copy, "--format", "json")
    finally:
        holder.wait(timeout=30)
    assert code == 0, err  # waited by itself until the writer was done
    assert json.loads(out)["matches"]
    for command in ("find", "explain", "load", "bulk"):
        code, out, _ = cli(command, "--help")
        assert "--wait" in out, command


# 7 ------------------------------------------------------------------------------------

def test_p07_many_unknown_tested_genes_are_quick_and_quiet(mini_ontology, monkeypatch):
    from trialmatch.ontology import terms
    from trialmatch.patients import normalize_records
    from trialmatch.patients.read import RawRecord

    calls = []
    real = terms.closest
    monkeypatch.setattr(terms, "closest", lambda *a, **k: calls.append(1) or real(*a, **k))
    genes = [f"QQ{i}Z" for i in range(3_000)]
    out = normalize_records([RawRecord({"id": "P-G", "tested_genes": genes}, "p.json", "")],
                            mini_ontology)
    assert len(out.patients) == 1
    assert len(calls) <= 5
    assert len(out.warnings) <= 4 and "2997 more unknown gene symbols" in out.warnings[-1]


# 8 ------------------------------------------------------------------------------------

def test_p08_find_streams_jsonl(fuzz_db, tmp_path):
    """The first patient's result is out before the second line is even written."""
    fifo = tmp_path / "cohort.jsonl"
    os.mkfifo(fifo)
    proc = subprocess.Popen([sys.executable, "-m", "trialmatch", "find", str(fifo), "--db",
                             str(fuzz_db), "--format", "jsonl"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env=ENV)
    with fifo.open("w") as writer:
        writer.write(json.dumps(GOOD) + "\n")
        writer.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        first = proc.stdout.readline() if ready else ""
        writer.write(json.dumps({**GOOD, "id": "P-LATER"}) + "\n")
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert json.loads(first)["patient_id"] == "P-FUZZ"
    assert "P-LATER" in rest


# 9 and 10 -----------------------------------------------------------------------------

def test_p09_out_may_not_be_the_cohort(cli, db_copy, tmp_path):
    cohort = _cohort(tmp_path / "c.jsonl")
    before = cohort.read_bytes()
    code, _, err = cli("bulk", cohort, "--db", db_copy, "--out", cohort)
    assert code == 2 and "--out is the cohort file" in err
    assert cohort.read_bytes() == before
    folder = tmp_path / "patients"
    folder.mkdir()
    shutil.copy(cohort, folder / "c.jsonl")
    code, _, err = cli("bulk", folder, "--db", db_copy, "--out", folder / "results.jsonl")
    assert code == 2 and "inside the cohort folder" in err


def test_p10_unwritable_out_is_exit_2_before_the_run(cli, db_copy, tmp_path):
    cohort = _cohort(tmp_path / "c.jsonl")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, _, err = cli("bulk", cohort, "--db", db_copy, "--out", blocker / "r.parquet")
    assert code == 2 and "cannot write the results file" in err
    assert _runs(db_copy) == []  # refused before anything ran


def test_p10_read_only_directory(cli, db_copy, tmp_path):
    target = Path("/sys/trialmatch-test.jsonl")  # read-only even for root
    if os.access("/sys", os.W_OK) and not Path("/sys/kernel").exists():
        pytest.skip("no read-only directory available")
    code, _, err = cli("bulk", _cohort(tmp_path / "c.jsonl"), "--db", db_copy, "--out", target)
    assert code == 2 and "cannot write the results file" in err


# 11 -----------------------------------------------------------------------------------

def test_p11_no_patient_value_in_messages(cli, fuzz_db, db_copy, tmp_path):
    bad = {"id": "P-V", "sex": CANARY, "alterations": [{"gene": "EGFR", "type": CANARY,
                                                        "origin": CANARY}],
           "biomarkers": {"msi": CANARY, "er": CANARY}}
    patient = write(tmp_path / "p.jsonl", [bad])
    code, _, err = cli("find", patient, "--db", fuzz_db)
    assert code == 2 and "/sex: unknown sex" in err and "/alterations/0/type" in err
    assert CANARY not in err
    code, _, err = cli("bulk", write(tmp_path / "c.jsonl", [GOOD, bad]), "--db", db_copy)
    assert code == 3 and CANARY not in err


# 12 -----------------------------------------------------------------------------------

def test_p12_duplicate_keys_are_errors(cli, fuzz_db, tmp_path):
    patient = tmp_path / "p.json"
    patient.write_text('{"id": "P-1", "age": 40, "id": "P-2", "age": 90}')
    code, _, err = cli("find", patient, "--db", fuzz_db)
    assert code == 2 and "duplicate key at /id" in err


def test_p12_duplicate_keys_in_a_trial_reject_the_record():
    from trialmatch.ingest import read_text_records

    doc = json.dumps(study("NCT90000105", "t")).replace(
        '"nctId": "NCT90000105"', '"nctId": "NCT90000105", "nctId": "NCT90000106"')
    records, problems = read_text_records(doc, "t.json")
    assert not records and "duplicate key at /protocolSection/identificationModule/nctId" \
        in problems[0]


# 13 -----------------------------------------------------------------------------------

def test_p13_table_escapes_markup_and_control_characters(cli, fuzz_db, tmp_path,
                                                          monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # wide enough that no title is folded
    patient = write(tmp_path / "p.jsonl", [GOOD])
    code, out, err = cli("find", patient, "--db", fuzz_db, "--format", "table")
    assert code == 0, err
    flat = " ".join(out.split())
    for tid in ("NCT90000001", "NCT90000002", "NCT90000003"):
        assert tid in out
    assert "[pembrolizumab]" in flat and "[/b]" in flat
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b" in out  # shown, not obeyed


def test_p13_csv_cells_are_neutralised(cli, fuzz_db, db_copy, tmp_path):
    import csv
    import io

    patient = write(tmp_path / "p.jsonl", [{**GOOD, "id": "=cmd|' /C calc'!A0"}])
    code, out, err = cli("find", patient, "--db", fuzz_db, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and all(r["patient_id"] == "'=cmd|' /C calc'!A0" for r in rows)
    titles = {r["trial_id"]: r["title"] for r in rows}
    assert titles["NCT90000002"].startswith("'=HYPERLINK")
    assert titles["NCT90000003"].startswith("'@SUM")
    out_file = tmp_path / "r.csv"
    code, _, err = cli("bulk", patient, "--db", db_copy, "--out", out_file)
    assert code == 0, err
    rows = list(csv.DictReader(out_file.open()))
    assert rows and all(r["patient_id"].startswith("'=") for r in rows)
    assert {r["title"][:2] for r in rows if r["trial_id"] == "NCT90000002"} == {"'="}


def test_p13_messages_escape_markup(cli, fuzz_db, tmp_path):
    weird = tmp_path / "[bold]x[red]"
    weird.mkdir()
    patient = weird / "p.json"
    patient.write_text(json.dumps({**GOOD, "tested_genes": ["QQ1Z"]}))
    code, _, err = cli("find", patient, "--db", fuzz_db)
    assert code == 0 and "[bold]x[red]" in err  # the warning names the path as it is


# 14 -----------------------------------------------------------------------------------

def test_p14_bom_in_a_patient_file(cli, fuzz_db, tmp_path):
    patient = tmp_path / "p.json"
    patient.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode())
    code, out, err = cli("find", patient, "--db", fuzz_db, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["patient_id"] == "P-FUZZ"


# 15 -----------------------------------------------------------------------------------

def test_p15_nct_ids_are_validated(cli, db_copy, tmp_path):
    trials = write(tmp_path / "t.ndjson", [study("NCT0'; DROP TABLE trials; --", "x"),
                                           study("NCT90000107", "ok")])
    code, _, err = cli("load", trials, "--db", db_copy)
    assert code == 3 and "not a valid NCT id" in err and "DROP" not in err
    con = duckdb.connect(str(db_copy), read_only=True)
    ids = {r[0] for r in con.execute("SELECT trial_id FROM trials").fetchall()}
    con.close()
    assert "NCT90000107" in ids and not any("DROP" in i for i in ids)


# 16 -----------------------------------------------------------------------------------

def test_p16_unrecognised_files_are_refused_unless_said_to_be_text(cli, db_copy, tmp_path):
    yaml_file = tmp_path / "NCT90000108.yaml"
    yaml_file.write_text("trial:\n  id: NCT90000108\n  eligibility: EGFR L858R\n")
    code, _, err = cli("load", yaml_file, "--db", db_copy)
    assert code == 2 and "not a recognised trial file" in err and "--format text" in err
    code, _, err = cli("load", yaml_file, "--db", db_copy, "--format", "text")
    assert code == 0, err


def test_p16_detection_is_one_function():
    from trialmatch.ingest.ctgov import detect_format

    assert detect_format("trial:\n  x: 1\n", "a.yaml") is None
    assert detect_format("{}", "a.yml") is None
    assert detect_format("{}", "a.json") == "json"
    assert detect_format("<x/>", "a.xml") == "xml"
    assert detect_format("text", "a.txt") == "text"
    assert detect_format("text", "README") is None


# 17 -----------------------------------------------------------------------------------

def _cli_process(args: list[str], **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "trialmatch", *map(str, args)], cwd=ROOT,
                            env=ENV, **kw)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_p17_full_disk_on_stdout(fuzz_db, tmp_path):
    patient = write(tmp_path / "p.jsonl", [GOOD])
    with open("/dev/full", "w") as full:
        proc = _cli_process(["find", patient, "--db", fuzz_db, "--format", "jsonl"],
                            stdout=full, stderr=subprocess.PIPE, text=True)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert "cannot write to standard output" in err and "internal error" not in err


def test_p17_closed_pipe_is_quiet(fuzz_db, tmp_path):
    cohort = write(tmp_path / "c.jsonl", [{**GOOD, "id": f"P-{i}"} for i in range(40)])
    proc = _cli_process(["find", cohort, "--db", fuzz_db, "--format", "jsonl"],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, as `| head -1` does
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert proc.returncode == 0, err
    assert "error" not in err and "Exception" not in err and "Traceback" not in err


DRIVER = textwrap.dedent("""
    import sys, time
    from trialmatch.cli import app
    from trialmatch.bulk import run as bulk_run

    real = bulk_run.state.stage_patients
    def slow(*a, **k):
        real(*a, **k)
        print("staged", flush=True)
        time.sleep(60)
    bulk_run.state.stage_patients = slow
    app.main()
""")


def test_p17_a_terminated_bulk_run_is_not_left_running(db_copy, tmp_path):
    cohort = _cohort(tmp_path / "c.jsonl")
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, "bulk", str(cohort), "--db",
                             str(db_copy), "--batch-size", "1"], cwd=ROOT,
                            env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "staged"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "terminated" in err, err
    assert _runs(db_copy) == [(1, "interrupted")]


def test_p17_a_killed_run_is_ended_by_the_next_writer(db_copy, tmp_path):
    from trialmatch.store.db import Store

    con = duckdb.connect(str(db_copy))
    con.execute("INSERT INTO runs (run_id, started_at, cohort, state, since_last_run) "
                "VALUES (1, now(), 'c.jsonl', 'running', false)")
    con.close()
    with Store(db_copy):
        pass
    assert _runs(db_copy) == [(1, "interrupted")]


# 18 -----------------------------------------------------------------------------------

def test_p18_progress_bar_only_on_a_terminal(cli, tmp_path, monkeypatch):
    import io

    from rich.console import Console

    from trialmatch.cli import output

    trials = write(tmp_path / "t.ndjson", HOSTILE_TRIALS)
    for terminal in (True, False):
        screen = io.StringIO()
        monkeypatch.setattr(output, "err_console", Console(file=screen, force_terminal=terminal,
                                                           width=100))
        code, _, _ = cli("parse", trials, "--format", "jsonl")  # `load` uses the same bar
        assert code == 0
        shown = screen.getvalue()
        if terminal:
            assert "parsing" in shown and "━" in shown
        else:
            assert "parsing" not in shown and "━" not in shown and "\x1b[" not in shown
