"""Failure modes: bad records are skipped and listed, a killed or interrupted run leaves the
previous results intact (and a re-run completes), a second run on the same database waits
or stops with a clear message.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import ROOT, TODAY, synth, write_jsonl

from trialmatch.bulk import run_bulk
from trialmatch.cli.app import main
from trialmatch.store.db import Store

EXAMPLES = ROOT / "examples" / "cohort.jsonl"

# Runs bulk in a child process and, after its first batch, says so and pauses, so the test
# can kill it (or start a competing run) while it is mid-run.
DRIVER = textwrap.dedent("""
    import sys, time
    from datetime import date
    from pathlib import Path
    from trialmatch.bulk import run_bulk

    cohort, db, marker, pause = sys.argv[1:5]

    def progress(done, total):
        if done and not Path(marker).exists():
            Path(marker).write_text(str(done))
            time.sleep(float(pause))

    try:
        run_bulk(cohort, db=db, batch_size=20, progress=progress, today=date(2026, 11, 1))
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(130)
    print("finished", flush=True)
""")


def _snapshot(db):
    with Store(db) as s:
        results = s.con.execute(
            "SELECT patient_id, trial_id, status, score, doc_id, first_run, last_run "
            "FROM results ORDER BY ALL").fetchall()
        docs = s.con.execute("SELECT count(*) FROM result_docs").fetchall()[0][0]
        patients = s.con.execute("SELECT count(*) FROM patients").fetchall()[0][0]
        runs = s.con.execute("SELECT run_id, state FROM runs ORDER BY run_id").fetchall()
    return results, docs, patients, runs


def _start(tmp_path, cohort, db, pause=60.0):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    marker = tmp_path / "marker"
    marker.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, str(script), str(cohort), str(db), str(marker),
                             str(pause)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"driver ended early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("driver did not reach its first batch")
        time.sleep(0.05)
    return proc


@pytest.fixture
def big_cohort(tmp_path):
    return write_jsonl(tmp_path / "big.jsonl", synth.patients(120, seed=4))


def test_malformed_patients_are_listed_and_skipped_exit_3(db, tmp_path, capsys):
    good = [json.loads(line) for line in EXAMPLES.read_text().splitlines()][:3]
    lines = [json.dumps(good[0]),
             json.dumps({"id": "BAD-1", "alterations": [{"gene": "EGFR", "type": "mutaton"}]}),
             '{"id": "BAD-2", ',
             json.dumps(good[1]), json.dumps({**good[2], "id": good[0]["id"]})]
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text("\n".join(lines) + "\n")
    code = main(["bulk", str(cohort), "--db", str(db), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 3
    doc = json.loads(out)
    assert doc["patients"] == 2 and doc["rejected"] == 3 and doc["state"] == "partial"
    assert f"{cohort}:2: /alterations/0/type: unknown alteration type (expected" in err
    assert "mutaton" not in err
    assert f"{cohort}:3: malformed JSON" in err
    assert f"{cohort}:5: duplicate patient id" in err
    assert {p["patient_id"] for p in doc["patients_changed"]} <= {good[0]["id"], good[1]["id"]}
    _, _, patients, runs = _snapshot(db)
    assert patients == 2 and runs == [(1, "partial")]


def test_kill_9_mid_run_leaves_previous_results_and_a_rerun_completes(db, tmp_path, big_cohort):
    run_bulk(big_cohort, db=db, today=TODAY)
    before = _snapshot(db)
    proc = _start(tmp_path, big_cohort, db)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    results, docs, patients, runs = _snapshot(db)
    assert (results, docs, patients) == before[:3]
    assert runs == [(1, "done"), (2, "interrupted")]  # ended by the next writer (_snapshot)
    again = run_bulk(big_cohort, db=db, today=TODAY)
    results, _, _, runs = _snapshot(db)
    assert runs == [(1, "done"), (2, "interrupted"), (3, "done")]
    assert again.new == again.lost == 0
    assert [r[:5] for r in results] == [r[:5] for r in before[0]]
    assert {r[6] for r in results} == {3}


def test_ctrl_c_mid_run_marks_it_interrupted_and_keeps_results(db, tmp_path, big_cohort):
    run_bulk(big_cohort, db=db, today=TODAY)
    before = _snapshot(db)
    proc = _start(tmp_path, big_cohort, db)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in out
    results, docs, patients, runs = _snapshot(db)
    assert (results, docs, patients) == before[:3]
    assert runs == [(1, "done"), (2, "interrupted")]


def test_a_second_run_stops_with_a_clear_message_or_waits(db, tmp_path, big_cohort, capsys):
    proc = _start(tmp_path, big_cohort, db, pause=3.0)
    try:
        code = main(["bulk", str(EXAMPLES), "--db", str(db), "--format", "json"])
        _, err = capsys.readouterr()
        assert code == 2 and "in use by another trialmatch process" in err
        assert "--wait" in err
        t0 = time.monotonic()
        code = main(["bulk", str(EXAMPLES), "--db", str(db), "--format", "json",
                     "--wait", "120"])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert json.loads(out)["patients"] == 17
        assert proc.wait(timeout=120) == 0 and time.monotonic() - t0 > 0.5
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    _, _, _, runs = _snapshot(db)
    assert runs == [(1, "done"), (2, "done")]
