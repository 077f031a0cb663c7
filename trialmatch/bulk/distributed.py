"""Sharded bulk runs on a `dask.distributed` cluster (`bulk --scheduler` / `--workers`).

The driver (the `bulk` process) reads and validates the cohort, decides which patients to
re-match, and keeps the run's database, as a single-node run does. What it hands out is
the matching itself: it copies the compiled trial tables once per run to a snapshot file in
the shard folder (shared storage every worker can read), and submits each batch as a task
that matches it against the snapshot with `shards.BatchMatcher` (the code and SQL of a
single-node run) and writes Parquet shards there. The driver loads finished shards into its
staging tables and commits the run in the same final transaction as a single-node run.

Failures: a worker that dies is replaced by its nanny and Dask runs its shard again (up to
the scheduler's `allowed-failures`); when that is exceeded, a shard fails, or the scheduler
cannot be reached, the run ends with a `ClusterError` (exit 2), marked failed, and the
previous run's results are untouched. Dask is imported only for such runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trialmatch.bulk import shards
from trialmatch.errors import EXIT_USAGE, TrialmatchError, UsageError
from trialmatch.ontology import Ontology
from trialmatch.rules.facts import PatientFacts
from trialmatch.store.db import NeedsWriter, Store

DEFAULT_CONNECT_TIMEOUT = 10.0  # seconds
WAIT_STEP = 5.0  # seconds between checks that the cluster still has workers
WORKERLESS_GRACE = 60.0  # seconds without any worker before a run fails
INSTALL_HINT = "pip install 'trialmatch[distributed]'"


class ClusterError(TrialmatchError):
    """The cluster cannot be reached, or a shard could not be matched on it."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class ClusterOptions:
    """Where to run: an existing scheduler's address, or a local cluster of `workers`
    processes. `shard_dir`: the folder for the trial snapshot and the Parquet shards, on
    storage every worker can read and write (default: beside the database). `hook(shard)`
    runs on the worker before each shard (a test seam: tests kill workers with it)."""

    scheduler: str | None = None
    workers: int | None = None
    shard_dir: Path | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    hook: Callable[[int], None] | None = None

    def check(self) -> None:
        if (self.scheduler is None) == (self.workers is None):
            raise UsageError("give either --scheduler ADDRESS or --workers N, not both")
        if self.workers is not None and self.workers < 1:
            raise UsageError("--workers must be at least 1")
        if self.connect_timeout <= 0:
            raise UsageError("--connect-timeout must be more than 0 seconds")


def _dask():
    try:
        import distributed
    except ImportError:
        raise UsageError("--scheduler / --workers need dask.distributed, which is not "
                         f"installed: {INSTALL_HINT}") from None
    return distributed


def shard_folder(opts: ClusterOptions, db: Path) -> Path:
    """This run's own folder in the shard folder, created and checked writable."""
    base = Path(opts.shard_dir) if opts.shard_dir else db.with_name(f"{db.name}.shards")
    folder = base / f"run-{uuid.uuid4().hex[:12]}"
    try:
        folder.mkdir(parents=True)
        (folder / ".probe").open("wb").close()
        (folder / ".probe").unlink()
    except OSError as exc:
        raise UsageError(f"{base}: cannot write the shard folder there "
                         f"({exc.strerror or type(exc).__name__}); give --shard-dir a folder "
                         "every worker can read and write") from None
    return folder


class DaskRun:
    """The driver's side of a sharded run: the client, the snapshot, the tasks in flight."""

    def __init__(self, opts: ClusterOptions, db: Path) -> None:
        opts.check()
        self.dd = _dask()
        self.opts = opts
        self.cluster = None
        folder = shard_folder(opts, db)
        self.folder: Path | None = folder
        self.run_name = folder.name
        try:
            self.client = self._connect()
        except BaseException:
            self._remove_folder()
            raise
        self.snapshot = str(self.folder / "trials.duckdb")
        self.pending: dict[Any, int] = {}  # future -> shard number
        self.next_shard = 0
        self.store: Store | None = None
        self.task_args: dict[str, Any] = {}
        self.worker_cpu = 0.0  # CPU seconds the workers spent on this run's shards

    # ------------------------------------------------------------------ connecting
    def _connect(self):
        dd, opts = self.dd, self.opts
        if opts.workers is not None:
            try:
                self.cluster = dd.LocalCluster(
                    n_workers=opts.workers, threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=logging.ERROR)
                return dd.Client(self.cluster, timeout=opts.connect_timeout)
            except Exception as exc:
                self._close_cluster()
                raise ClusterError(f"could not start a local cluster of {opts.workers} "
                                   f"worker(s) ({type(exc).__name__}: {_first_line(exc)})"
                                   ) from None
        try:
            client = dd.Client(opts.scheduler, timeout=opts.connect_timeout,
                               set_as_default=False)
        except Exception as exc:
            raise ClusterError(
                f"{opts.scheduler}: cannot reach the Dask scheduler within "
                f"{opts.connect_timeout:g} s ({type(exc).__name__}); check the address "
                "(tcp://HOST:PORT) and that the scheduler is running; nothing was run"
            ) from None
        try:
            client.wait_for_workers(1, timeout=opts.connect_timeout)
        except Exception:
            client.close()
            raise ClusterError(f"{opts.scheduler}: the scheduler has no worker (waited "
                               f"{opts.connect_timeout:g} s); nothing was run") from None
        return client

    def workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    # ------------------------------------------------------------------ the run
    def start(self, store: Store, ontology: Ontology | None, memory_limit: str | None
              ) -> DaskRun:
        """After the run is recorded: write the snapshot; the driver stages what workers
        return (`s_docs` as the explainer would create it)."""
        self.store = store
        shards.write_snapshot(store, Path(self.snapshot))
        store.con.execute("CREATE OR REPLACE TEMP TABLE s_docs AS "
                          "SELECT * FROM main.result_docs LIMIT 0")
        self.task_args = {"snapshot": self.snapshot, "out_dir": str(self.folder),
                          "memory_limit": memory_limit, "hook": self.opts.hook}
        if ontology is not None:  # an ontology given by the caller, not the database's
            self.task_args["ontology"] = self.client.scatter(ontology, broadcast=True)
        self.in_flight = 2 * self.workers()
        return self

    def match(self, patients: list[PatientFacts], cohorts: list[int] | None,
              tables: Any = None) -> None:
        """Submit one shard; waits while `in_flight` shards are pending. `tables` (the
        batch's patient tables, which a single-node matcher reuses) is not shipped: each
        worker makes its own from the patients."""
        while len(self.pending) >= self.in_flight:
            self._collect(wait_all=False)
        n = self.next_shard
        self.next_shard += 1
        future = self.client.submit(
            _match_shard, n, patients, cohorts, pure=False, key=f"trialmatch-shard-{n}-"
            f"{self.run_name}", **self.task_args)
        self.pending[future] = n

    def finish(self) -> None:
        """Wait for every shard and stage its rows."""
        while self.pending:
            self._collect(wait_all=True)

    def _collect(self, wait_all: bool) -> None:
        done = self._wait("ALL_COMPLETED" if wait_all else "FIRST_COMPLETED")
        for future in sorted(done, key=lambda f: self.pending[f]):
            n = self.pending.pop(future)
            result = self._result(future, n)
            self.worker_cpu += result.cpu_seconds
            if self.store is None:
                raise RuntimeError("DaskRun.start() was not called before shards finished")
            shards.load_shard(self.store, result)
            for f in (result.rows_file, result.docs_file):
                Path(f).unlink(missing_ok=True)

    def _wait(self, how: str) -> set:
        """The finished futures, waiting in short steps; a cluster with no worker left for
        WORKERLESS_GRACE seconds (workers that died and were not replaced) fails the run
        rather than waiting for ever."""
        workerless_since: float | None = None
        while True:
            try:
                with self.client.as_current():
                    return set(self.dd.wait(list(self.pending), timeout=WAIT_STEP,
                                            return_when=how).done)
            except TimeoutError:  # nothing (or not all) finished in this step
                pass
            except OSError as exc:  # CommClosedError is an OSError
                raise ClusterError(f"lost the connection to the Dask scheduler "
                                   f"({type(exc).__name__}); the run was not committed") from None
            try:
                alive = len(self.client.scheduler_info().get("workers", {}))
            except OSError:
                alive = 0
            if alive > 0:
                workerless_since = None
                continue
            now = time.monotonic()
            workerless_since = workerless_since or now
            if now - workerless_since > WORKERLESS_GRACE:
                raise ClusterError(
                    f"no Dask worker was left to run the shards for {WORKERLESS_GRACE:g} s "
                    "(workers died and were not replaced); the run was not committed and the "
                    "previous results are intact")

    def _result(self, future, n: int) -> shards.ShardResult:
        try:
            return future.result()
        except self.dd.KilledWorker:
            raise ClusterError(
                f"shard {n}: its worker died each time it was run (killed, or out of memory); "
                "the run was not committed and the previous results are intact") from None
        except TrialmatchError:
            raise
        except (OSError, NeedsWriter) as exc:
            where = getattr(exc, "filename", None) or self.folder
            raise ClusterError(
                f"shard {n}: a worker could not read or write {where} "
                f"({getattr(exc, 'strerror', None) or type(exc).__name__}); the shard folder "
                "(--shard-dir) must be on storage every worker can read and write") from None

    # ------------------------------------------------------------------ the end
    def close(self) -> None:
        """Cancel what is still pending, close the snapshot on the workers, remove the
        shard folder, disconnect (and stop a local cluster)."""
        try:
            if self.pending:
                self.client.cancel(list(self.pending))
                self.pending.clear()
            if self.folder is not None:
                self.client.run(shards.release, self.snapshot)
        except Exception:  # a dead scheduler or worker: nothing left to release there
            pass
        finally:
            with contextlib.suppress(Exception):
                self.client.close(timeout=self.opts.connect_timeout)
            self._close_cluster()
            self._remove_folder()

    def _remove_folder(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            with contextlib.suppress(OSError):  # the shard folder, if no other run uses it
                self.folder.parent.rmdir()

    def _close_cluster(self) -> None:
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()
            self.cluster = None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]


def _match_shard(n: int, patients: list[PatientFacts], cohorts: list[int] | None,
                 **kwargs) -> shards.ShardResult:
    """The task: `shards.match_shard`, with as many DuckDB threads as the worker has."""
    try:
        from distributed import get_worker

        w = get_worker()
        threads = int(getattr(w, "nthreads", None) or getattr(w.state, "nthreads", None) or 1)
    except Exception:
        threads = os.cpu_count() or 1
    return shards.match_shard(n, patients, cohorts, threads=threads, **kwargs)
