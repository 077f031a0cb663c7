"""Sharded runs on a local dask.distributed cluster equal single-node runs, patient by patient.

One `LocalCluster` of two worker processes serves the module (the runs reach it through its
scheduler address, as `--scheduler` does). Its scheduler retries a shard once when its
worker dies (`allowed-failures` 1), so the fault tests stay short: a worker killed once
has its shard run again (in the equality test), a worker killed every time fails the run
cleanly.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import socket
import sys
import time
from pathlib import Path

import cloudpickle
import dask
import dask_hooks
import pytest
from conftest import TODAY, synth, write_jsonl
from distributed import LocalCluster

from trialmatch.app.catalog import open_catalog, refresh_derived, replace_trials, stored_trials
from trialmatch.bulk import run_bulk
from trialmatch.bulk.distributed import ClusterError, ClusterOptions
from trialmatch.cli.app import main
from trialmatch.errors import EXIT_USAGE, UsageError
from trialmatch.rules.nodes import All, Sex
from trialmatch.store.db import Store
from trialmatch.store.trials import delete_trials

# the test hooks run on the workers: ship them by value, whatever the workers' sys.path
cloudpickle.register_pickle_by_value(dask_hooks)

BATCH = 10  # patients per shard: several shards per run, spread over both workers


@pytest.fixture(scope="module")
def cluster():
    # generous timeouts and memory: on a loaded CI machine a restarted worker may be slow to
    # come back, and a worker killed by the memory monitor would look like a test failure
    with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                          "distributed.comm.timeouts.connect": "120s",
                          "distributed.comm.timeouts.tcp": "300s"}), LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, memory_limit="4GiB",
            dashboard_address=None) as c:
        yield c


@pytest.fixture
def cohort(tmp_path) -> Path:
    return write_jsonl(tmp_path / "cohort.jsonl", synth.patients(30, seed=23))


def _on(cluster, tmp_path, hook=None) -> ClusterOptions:
    return ClusterOptions(scheduler=cluster.scheduler_address, shard_dir=tmp_path / "shards",
                          hook=hook)


def _by_patient(db) -> dict[str, list[tuple]]:
    with Store(db) as s:
        rows = s.con.execute(
            "SELECT r.patient_id, r.trial_id, r.cohort, r.status, r.score, r.first_run, "
            "r.last_run, CAST(d.doc AS VARCHAR) FROM results r JOIN result_docs d USING "
            "(doc_id) ORDER BY ALL").fetchall()
    out: dict[str, list[tuple]] = {}
    for r in rows:
        out.setdefault(r[0], []).append(r[1:])
    return out


def _state(db) -> tuple:
    with Store(db) as s:
        con = s.con
        return (con.execute("SELECT * FROM changes ORDER BY ALL").fetchall(),
                con.execute("SELECT * EXCLUDE (started_at, finished_at) FROM runs "
                            "ORDER BY run_id").fetchall(),
                con.execute("SELECT * EXCLUDE (updated_at) FROM patients ORDER BY ALL"
                            ).fetchall(),
                con.execute("SELECT * FROM findings ORDER BY ALL").fetchall(),
                con.execute("SELECT * EXCLUDE (doc), CAST(doc AS VARCHAR) FROM result_docs "
                            "ORDER BY doc_id").fetchall(),
                con.execute("SELECT * FROM cohort_members ORDER BY ALL").fetchall())


def _assert_same(single_db, dask_db) -> None:
    a, b = _by_patient(single_db), _by_patient(dask_db)
    assert sorted(a) == sorted(b), "the same patients have matches"
    for pid in a:
        assert a[pid] == b[pid], f"patient {pid}: distributed results differ"
    sa, sb = _state(single_db), _state(dask_db)
    for name, x, y in zip(("changes", "runs", "patients", "findings", "docs", "members"), sa, sb):
        assert x == y, f"{name} differ"


def _counts(r) -> tuple:
    return (r.state, r.patients, r.evaluated, r.partial, r.unchanged, r.pairs, r.matches,
            r.new, r.lost, r.changed, r.removed)


def _change_trials(db) -> None:
    """One trial gets a men-only rule, one is withdrawn."""
    store, ont = open_catalog(db)
    try:
        trial = stored_trials(store, ["TM-LUNG-001"])["TM-LUNG-001"]
        c0 = trial.cohorts[0]
        men_only = dataclasses.replace(trial, cohorts=(
            dataclasses.replace(c0, rule=All((c0.rule, Sex("male")))), *trial.cohorts[1:]))
        replace_trials(store, ont, [men_only], "curated")
        with store.transaction():
            delete_trials(store.con, ["TM-LUNG-008"])
            refresh_derived(store, ont)
    finally:
        store.close()


def test_distributed_equals_single_node_including_since_last_run_and_a_killed_worker(
        cluster, db, cohort, tmp_path):
    dask_db = tmp_path / "dask.duckdb"
    shutil.copy(db, dask_db)
    pids, marker = tmp_path / "pids", tmp_path / "kill-next-shard"
    pids.mkdir()
    marker.touch()
    hook = functools.partial(dask_hooks.kill_once_then_record, str(marker), str(pids))
    on = _on(cluster, tmp_path, hook)

    one = run_bulk(cohort, db=db, batch_size=BATCH, today=TODAY)
    seen: list = []
    two = run_bulk(cohort, db=dask_db, batch_size=BATCH, today=TODAY, cluster=on,
                   on_changes=seen.extend)
    # a worker was killed mid-run: its shard ran again, on a new or the other worker
    assert not marker.exists()
    assert _counts(one) == _counts(two) and two.matches > 0
    assert two.worker_cpu > 0 and one.worker_cpu == 0
    _assert_same(db, dask_db)
    assert seen == list(one.changes())
    shards = {p.name.split("-")[0] for p in pids.iterdir()}
    assert shards == {"0", "1", "2"}, "every shard was matched on a worker"
    assert str(os.getpid()) not in {p.name.split("-")[1] for p in pids.iterdir()}
    assert not any((tmp_path / "shards").glob("run-*")), "the shard folder is cleaned up"

    # patients change (one loses its alterations, one is new, one is gone), trials change
    patients = synth.patients(30, seed=23)
    patients[0] = {**patients[0], "alterations": []}
    patients[-1] = {**patients[1], "id": "P-NEW"}
    write_jsonl(cohort, patients)
    for d in (db, dask_db):
        _change_trials(d)
    one = run_bulk(cohort, db=db, batch_size=BATCH, today=TODAY, since_last_run=True)
    two = run_bulk(cohort, db=dask_db, batch_size=BATCH, today=TODAY, since_last_run=True,
                   cluster=on)
    # only the two patients whose facts changed are re-matched in full, on one node as on
    # many (a single-node run used to re-match most patients after its first batch: its
    # look-up of the previous facts read the matcher's temporary table `want`)
    assert one.evaluated == 2 and _counts(one) == _counts(two)
    assert two.evaluated == 2 and two.partial == 28 and two.removed == 1
    assert two.lost
    _assert_same(db, dask_db)
    assert list(one.changes()) == list(two.changes())


def test_a_worker_that_always_dies_fails_the_run_and_keeps_the_previous_results(
        cluster, db, cohort, tmp_path):
    run_bulk(cohort, db=db, batch_size=BATCH, today=TODAY)
    before = _by_patient(db)
    t0 = time.monotonic()
    with pytest.raises(ClusterError) as err:
        run_bulk(cohort, db=db, batch_size=BATCH, today=TODAY,
                 cluster=_on(cluster, tmp_path, dask_hooks.kill_always))
    assert err.value.exit_code == EXIT_USAGE
    assert "shard 0" in str(err.value) and "previous results are intact" in str(err.value)
    assert time.monotonic() - t0 < 120
    with Store(db) as s:
        runs = s.con.execute("SELECT run_id, state FROM runs ORDER BY run_id").fetchall()
    assert runs == [(1, "done"), (2, "failed")]
    assert _by_patient(db) == before
    assert not any((tmp_path / "shards").glob("run-*"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_a_clear_message_exit_2_and_fast(db, cohort, capsys):
    assert main(["bulk", str(cohort), "--db", str(db), "--format", "jsonl"]) == 0
    before = _by_patient(db)
    capsys.readouterr()
    t0 = time.monotonic()
    code = main(["bulk", str(cohort), "--db", str(db), "--scheduler",
                 f"tcp://127.0.0.1:{_free_port()}", "--connect-timeout", "1"])
    elapsed = time.monotonic() - t0
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach the Dask scheduler" in err and "Traceback" not in err
    assert elapsed < 15
    assert not (db.parent / f"{db.name}.shards").exists(), "no shard folder left behind"
    with Store(db) as s:
        assert s.con.execute("SELECT state FROM runs").fetchall() == [("done",)]
    assert _by_patient(db) == before


def test_unwritable_shard_or_results_folder_is_a_clear_message_exit_2(cluster, db, cohort,
                                                                     tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code = main(["bulk", str(cohort), "--db", str(db), "--scheduler",
                 cluster.scheduler_address, "--shard-dir", str(blocker / "shards")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot write the shard folder" in err and "Traceback" not in err
    code = main(["bulk", str(cohort), "--db", str(db), "--scheduler",
                 cluster.scheduler_address, "--out", str(blocker / "r.parquet")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot write the results file" in err
    with Store(db) as s:
        assert s.con.execute("SELECT count(*) FROM runs").fetchone()[0] == 0


def test_cli_on_the_cluster_prints_what_a_single_node_run_prints(cluster, db, cohort,
                                                                   tmp_path, capsys):
    dask_db = tmp_path / "dask.duckdb"
    shutil.copy(db, dask_db)
    assert main(["bulk", str(cohort), "--db", str(db), "--format", "jsonl",
                 "--batch-size", "16"]) == 0
    single = capsys.readouterr().out
    assert main(["bulk", str(cohort), "--db", str(dask_db), "--format", "jsonl",
                 "--batch-size", "16", "--scheduler", cluster.scheduler_address,
                 "--shard-dir", str(tmp_path / "shards")]) == 0
    assert capsys.readouterr().out == single and single


def test_scheduler_and_workers_together_or_without_dask_is_a_usage_error(db, cohort,
                                                                         monkeypatch,
                                                                         capsys):
    code = main(["bulk", str(cohort), "--db", str(db), "--scheduler", "tcp://x:1",
                 "--workers", "2"])
    assert code == 2 and "not both" in capsys.readouterr().err
    code = main(["bulk", str(cohort), "--db", str(db), "--shard-dir", str(db.parent)])
    assert code == 2 and "only with --scheduler or --workers" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(UsageError, match=r"trialmatch\[distributed\]"):
        run_bulk(cohort, db=db, today=TODAY, cluster=ClusterOptions(workers=1))
    with Store(db) as s:
        assert s.con.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
