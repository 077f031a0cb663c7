"""A second process that matches whole batches while the bulk process matches others.

A single-node run does most of its work in one Python process: reading the cohort, the
matching SQL (which DuckDB spreads over the cores only in parts), the numpy fold, the class
keys and the match documents. With a `HelperProcess`, the bulk process hands a batch to a
child whenever the child is idle and matches the next batch itself meanwhile: the child
matches its batch with the code of a single-node run (`shards.match_shard`, as a Dask worker
does) on a read-only snapshot of the compiled trial tables (the bulk process holds the
database file open for writing, which no other process may then open), and writes the
batch's rows and match objects as Parquet files that the bulk process loads into its staging
tables (`shards.load_shard`). Who matches a batch does not change its rows or documents
(each class's document is the same whoever builds it, and documents are stored by content),
so the results are the same as a one-process run (`tests/bulk/test_helper_process.py`); the
run is committed by the bulk process in its one final transaction, as always.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from trialmatch.bulk import shards
from trialmatch.errors import TrialmatchError
from trialmatch.ontology import Ontology
from trialmatch.rules.facts import PatientFacts

POLL = 1.0  # seconds between checks that the child is alive while waiting for it


class HelperProcessError(TrialmatchError):
    """The child process failed or died; the run cannot complete (it is marked failed and
    the previous results stay as they were)."""


class HelperProcess:
    """The bulk process's handle on the child: `submit` a batch when it is `idle`, `take`
    the finished batch's files (or wait for them).

    The child is a plain `python -c` calling `_serve` (not `multiprocessing`, whose spawn
    would run the caller's main script again), fed pickled batches on its stdin and
    answering on its stdout."""

    def __init__(self, store: Any, ontology: Ontology | None, memory_limit: str | None
                 ) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="trialmatch-helper-"))
        self.proc: subprocess.Popen | None = None
        self.busy = False
        self.shard = 0
        self.cpu_seconds = 0.0
        try:
            snapshot = self.folder / "trials.duckdb"
            shards.write_snapshot(store, snapshot)
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from trialmatch.bulk.helper import _serve; _serve()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)})
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.send = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
            self.recv = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
            self.proc.stdin.close()
            self.proc.stdout.close()
            self._send({"snapshot": str(snapshot), "out_dir": str(self.folder),
                        "ontology": ontology, "memory_limit": memory_limit})
        except BaseException:
            self.close()
            raise

    def _send(self, what: Any) -> None:
        try:
            self.send.send(what)
        except OSError:
            raise self._died() from None

    def _died(self) -> HelperProcessError:
        code = self.proc.poll() if self.proc is not None else None
        return HelperProcessError(
            "the second matching process ended unexpectedly"
            + (f" (exit code {code})" if code is not None else "")
            + "; the run was not committed and the previous results are intact")

    def submit(self, patients: list[PatientFacts], cohorts: list[int] | None) -> None:
        self._send((self.shard, patients, cohorts))
        self.shard += 1
        self.busy = True

    def done(self) -> bool:
        """Whether the submitted batch is finished (its files can be taken at once)."""
        return self.busy and self.recv.poll(0)

    def take(self) -> shards.ShardResult:
        """The submitted batch's files, waiting for them if need be."""
        assert self.proc is not None
        while not self.recv.poll(POLL):
            if self.proc.poll() is not None:
                raise self._died()
        try:
            got = self.recv.recv()
        except (EOFError, OSError):
            raise self._died() from None
        self.busy = False
        if isinstance(got, str):
            raise HelperProcessError(f"the second matching process failed; the run was not "
                                     f"committed:\n{got}")
        self.cpu_seconds += got.cpu_seconds
        return got

    def close(self) -> None:
        """Stop the child (at once if it is still working) and remove its folder."""
        try:
            proc = self.proc
            if proc is not None and proc.poll() is None:
                if self.busy:
                    proc.terminate()
                else:
                    try:
                        self.send.send(None)
                    except OSError:
                        proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
            for conn in (getattr(self, "send", None), getattr(self, "recv", None)):
                if conn is not None:
                    conn.close()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _serve() -> None:
    """The child: match each batch until told to stop (None). Batches come pickled on stdin;
    answers go to what was stdout (stdout itself is pointed at stderr, so that nothing
    printed can corrupt them)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the bulk process's to handle
    conn_in = Connection(os.dup(0), writable=False)
    conn_out = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    options = conn_in.recv()
    try:
        while True:
            try:
                job = conn_in.recv()
            except EOFError:
                return
            if job is None:
                return
            shard, patients, cohorts = job
            try:
                out: Any = shards.match_shard(shard, patients, cohorts, threads=1,
                                              new_docs_only=True, **options)
            except Exception:
                out = traceback.format_exc()
            try:
                conn_out.send(out)
            except OSError:  # the bulk process is gone
                return
            if isinstance(out, str):
                return
    finally:
        shards.release(options["snapshot"])
