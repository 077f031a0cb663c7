"""Matching one shard of patients: the step a single-node run and a Dask worker share.

`BatchMatcher.match` evaluates a list of patients against the stored trials (all of them, or
some cohorts) with the set-based matcher and stages their result rows (`stage`) and new
match objects (`s_docs`) in temporary tables. A single-node run calls it on the run's own
database connection; a distributed run calls it on each worker, on a read-only snapshot of
the compiled trial tables (`write_snapshot`), and `match_shard` writes the staged rows to
Parquet files that the driver loads back into its own `stage` and `s_docs`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from trialmatch.bulk.docprocess import DocumentProcess
from trialmatch.bulk.explanation_classes import Explainer
from trialmatch.match.engine import Matcher
from trialmatch.ontology import Ontology
from trialmatch.rules.facts import PatientFacts
from trialmatch.store.db import Store
from trialmatch.store.schema import PATIENT_TABLES

# tables a snapshot holds empty: what patients and runs wrote, and the registry's raw records
EMPTY_IN_SNAPSHOT = frozenset({*PATIENT_TABLES, "runs", "results", "result_docs", "changes",
                               "run_trials", "cohort_members", "registry_records",
                               "sync_state"})
STAGE_TABLE = """CREATE OR REPLACE TEMP TABLE stage (patient_id VARCHAR, trial_id VARCHAR,
    cohort VARCHAR, status VARCHAR, score DOUBLE, doc_id VARCHAR)"""


class BatchMatcher:
    """The matcher and explainer of one connection; `match` stages a batch's rows."""

    def __init__(self, store: Store, ont: Ontology, process: DocumentProcess | None = None
                 ) -> None:
        self.store = store
        self.matcher = Matcher(store, ont)
        self.explainer = Explainer(store, self.matcher, ont, process)

    def match(self, patients: list[PatientFacts], cohorts: list[int] | None,
              tables: dict[str, pa.Table] | None = None) -> None:
        """Evaluate `patients` (against `cohorts` only, if given) and stage their rows
        (with a document process, the rows of the previous call, and these ones at the next
        call or `finish`). `tables`: their `store.patients.patient_tables`, if already made."""
        self.matcher.evaluate(patients, cohorts=cohorts, fetch=False, tables=tables)
        self.explainer.stage(patients)

    def finish(self) -> None:
        """Stage what is still staged behind (a document process's last batch)."""
        self.explainer.finish()


def write_snapshot(store: Store, path: Path) -> None:
    """Copy the compiled trial tables (trials, rule nodes, leaves, derived tables, meta) to a
    new DuckDB file that workers open read-only; patient and run tables are copied empty."""
    con = store.con
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT temporary ORDER BY table_name").fetchall()]
    con.execute("ATTACH ? AS tm_snapshot", [str(path)])
    try:
        for name in tables:
            limit = " LIMIT 0" if name in EMPTY_IN_SNAPSHOT else ""
            con.execute(f'CREATE TABLE tm_snapshot.main."{name}" AS '
                        f'SELECT * FROM main."{name}"{limit}')
    finally:
        con.execute("DETACH tm_snapshot")


@dataclass(frozen=True)
class ShardResult:
    """What a worker wrote for one shard: its rows and the match objects they point to."""

    shard: int
    rows_file: str
    docs_file: str
    rows: int
    worker_pid: int
    cpu_seconds: float = 0.0  # the worker process's CPU time for this shard


# Per worker process: the snapshot opened for the current run, reused by its later shards
# (the explainer's classes carry over, as they do from batch to batch in a single-node run).
_OPEN: dict[str, BatchMatcher] = {}
_LOCK = threading.Lock()


def _opened(snapshot: str, ontology: Ontology | None, memory_limit: str | None,
            threads: int) -> BatchMatcher:
    bm = _OPEN.get(snapshot)
    if bm is None:
        from trialmatch.ontology import store_ontology

        for old in _OPEN.values():
            old.store.close()
        _OPEN.clear()
        store = Store(snapshot, read_only=True)
        store.con.execute("SET enable_progress_bar = false")
        store.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            store.con.execute(f"SET memory_limit = '{memory_limit}'")
        bm = BatchMatcher(store, ontology or store_ontology(store))
        store.con.execute(STAGE_TABLE)
        _OPEN[snapshot] = bm
    return bm


def match_shard(shard: int, patients: list[PatientFacts], cohorts: list[int] | None, *,
                snapshot: str, out_dir: str, ontology: Ontology | None = None,
                memory_limit: str | None = None, threads: int = 1,
                hook: Callable[[int], None] | None = None) -> ShardResult:
    """On a worker: match one shard against the snapshot and write its rows and match objects
    as Parquet files in `out_dir` (each written aside and renamed, so a worker killed while
    writing leaves no half file under the final name). `hook(shard)` runs first (tests use
    it to kill the worker)."""
    if hook is not None:
        hook(shard)
    cpu = time.process_time()
    with _LOCK:  # one DuckDB connection per process: shards of one worker take turns
        bm = _opened(snapshot, ontology, memory_limit, threads)
        con = bm.store.con
        con.execute("DELETE FROM stage")
        bm.match(patients, cohorts)
        rows_file = os.path.join(out_dir, f"shard-{shard:06d}-rows.parquet")
        docs_file = os.path.join(out_dir, f"shard-{shard:06d}-docs.parquet")
        _copy(con, "SELECT * FROM stage", rows_file)
        # every object this shard's rows point to, including those built by an earlier shard
        # of this worker: each shard's files stand on their own
        _copy(con, "SELECT * FROM s_docs WHERE doc_id IN (SELECT doc_id FROM stage)",
              docs_file)
        row = con.execute("SELECT count(*) FROM stage").fetchone()
        n = row[0] if row is not None else 0
    return ShardResult(shard, rows_file, docs_file, n, os.getpid(), time.process_time() - cpu)


def _copy(con, query: str, path: str) -> None:
    tmp = f"{path}.partial"
    con.execute(f"COPY ({query}) TO '{_quoted(tmp)}' (FORMAT parquet)")
    os.replace(tmp, path)


def _quoted(path: str) -> str:
    return path.replace("'", "''")


def release(snapshot: str) -> bool:
    """On a worker, at the end of a run: close the run's snapshot (True if it was open)."""
    with _LOCK:
        bm = _OPEN.pop(snapshot, None)
        if bm is not None:
            bm.store.close()
        return bm is not None


LOAD_ROWS = "INSERT INTO stage SELECT * FROM read_parquet(?)"
LOAD_DOCS = """INSERT INTO s_docs SELECT d.* FROM read_parquet(?) d
ANTI JOIN main.result_docs r ON r.doc_id = d.doc_id
ANTI JOIN s_docs s ON s.doc_id = d.doc_id"""


def load_shard(store: Store, result: ShardResult) -> None:
    """On the driver: add a finished shard's rows and new match objects to the run's stage."""
    store.con.execute(LOAD_ROWS, [result.rows_file])
    store.con.execute(LOAD_DOCS, [result.docs_file])
