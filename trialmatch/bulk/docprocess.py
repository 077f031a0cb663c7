"""A second process that writes a batch's match documents while the next batch is matched.

The documents of a batch's new explanation classes (`bulk.documents.DocumentBuilder`) are
Python work, about half of a single-node run's time on a real corpus, and the rest (reading
the cohort, matching in DuckDB, class keys, staging) runs in the bulk process. With a
`DocumentProcess`, the bulk process hands each batch's new classes to a child process (with
what they need: the representative patients, the batch's leaf x patient values and `via`
paths) and goes on with the next batch; it collects the finished documents before it
stages the next batch's rows. The child builds the very same documents (same builder, same
inputs), on a read-only snapshot of the compiled trial tables (the bulk process holds the
database file open for writing, which no other process may then open), so the run's
results do not depend on whether the child was used (`tests/bulk/test_document_process.py`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from trialmatch.errors import TrialmatchError
from trialmatch.ontology import Ontology
from trialmatch.rules.facts import PatientFacts

POLL = 1.0  # seconds between checks that the child is alive while waiting for it
MEMORY_LIMIT = "512MB"  # the child's DuckDB only reads templates


@dataclass
class Job:
    """One batch's new classes: (class key, representative patient id, cohort key, root)
    in build order, and what their documents read."""

    classes: list[tuple[str, str, int, int | None]]
    patients: dict[str, PatientFacts]
    ids: list[str]
    matrix: np.ndarray  # DocumentBuilder.set_values
    leaves: np.ndarray
    vias: dict[tuple[int, str], tuple[list[str], str]]


class DocumentProcessError(TrialmatchError):
    """The child process failed or died; the run cannot complete (it is marked failed and
    the previous results stay as they were)."""


class DocumentProcess:
    """The bulk process's handle on the child: `submit` a job, `result` when needed.

    The child is a plain `python -c` calling `_serve` (not `multiprocessing`,
    whose spawn would run the caller's main script again), fed pickled jobs on its stdin
    and answering on its stdout."""

    def __init__(self, store: Any, ontology: Ontology | None, chunk: int) -> None:
        from trialmatch.bulk.shards import write_snapshot

        self.folder = Path(tempfile.mkdtemp(prefix="trialmatch-docs-"))
        self.proc: subprocess.Popen | None = None
        self.busy = False
        try:
            snapshot = self.folder / "trials.duckdb"
            write_snapshot(store, snapshot)
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from trialmatch.bulk.docprocess import _serve; _serve()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)})
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.send = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
            self.recv = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
            self.proc.stdin.close()
            self.proc.stdout.close()
            self._send((str(snapshot), ontology, chunk))
        except BaseException:
            self.close()
            raise

    def _send(self, what: Any) -> None:
        try:
            self.send.send(what)
        except OSError:
            raise self._died() from None

    def _died(self) -> DocumentProcessError:
        code = self.proc.poll() if self.proc is not None else None
        return DocumentProcessError(
            "the process writing match documents ended unexpectedly"
            + (f" (exit code {code})" if code is not None else "")
            + "; the run was not committed and the previous results are intact")

    def submit(self, job: Job) -> None:
        self._send(job)
        self.busy = True

    def result(self) -> tuple[list[tuple], dict[str, str]]:
        """The submitted job's (class rows, {doc id: document})."""
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
            raise DocumentProcessError(f"the process writing match documents failed; the run "
                                       f"was not committed:\n{got}")
        return got

    def close(self) -> None:
        """Stop the child (at once if it is still working) and remove the snapshot."""
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
    """The child: build each job's documents until told to stop (None). Jobs come pickled
    on stdin; answers go to what was stdout (stdout itself is pointed at stderr, so that
    nothing printed can corrupt them)."""
    from trialmatch.bulk.documents import DocumentBuilder
    from trialmatch.ontology import store_ontology
    from trialmatch.store.db import Store

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the bulk process's to handle
    conn_in = Connection(os.dup(0), writable=False)
    conn_out = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    snapshot, ontology, chunk = conn_in.recv()
    store = Store(snapshot, read_only=True)
    try:
        store.con.execute("SET enable_progress_bar = false")
        store.con.execute("SET threads = 1")
        store.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        builder = DocumentBuilder(store.con, ontology or store_ontology(store))
        while True:
            try:
                job = conn_in.recv()
            except EOFError:
                return
            if job is None:
                return
            try:
                out: Any = build(builder, job, chunk)
            except Exception:
                out = traceback.format_exc()
            try:
                conn_out.send(out)
            except OSError:  # the bulk process is gone
                return
            if isinstance(out, str):
                return
    finally:
        store.close()


def build(builder: Any, job: Job, chunk: int) -> tuple[list[tuple], dict[str, str]]:
    """The documents of a job's classes, as `Explainer._build` makes them."""
    builder.new_batch()
    builder.set_values(job.ids, job.matrix, job.leaves)
    builder.vias.update(job.vias)
    classes: list[tuple] = []
    docs: dict[str, str] = {}
    document, values, sha1 = builder.document, builder.values, hashlib.sha1
    for lo in range(0, len(job.classes), chunk):
        part = job.classes[lo:lo + chunk]
        builder.prepare({ck for _, _, ck, _ in part})
        for ckey, pid, ck, root in part:
            trial_id, cohort, status, score, doc = document(ck, root, values(ck, pid),
                                                            job.patients[pid])
            doc_id = sha1(doc.encode()).hexdigest()[:20]
            docs[doc_id] = doc
            classes.append((ckey, trial_id, cohort, status, score, doc_id))
    return classes, docs
