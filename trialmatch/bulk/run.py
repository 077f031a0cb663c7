"""`run_bulk`: match a whole cohort against every stored trial, in patient batches.

Each batch is evaluated set-based by the matcher (temporary tables per batch), explained
and ranked by the same code as `find` (`app.find.build_matches`, once per explanation class: see
`bulk.explanation_classes`), and staged. With
`since_last_run`, a patient whose facts and age are unchanged since the last completed run
is re-matched only against the trials that changed; if no trial changed, not at all. The
run ends in one transaction that swaps the staged results in (see `bulk.state`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from trialmatch.app.catalog import open_catalog
from trialmatch.bulk import state
from trialmatch.bulk.changes import iter_changes
from trialmatch.bulk.docprocess import DocumentProcess
from trialmatch.bulk.explanation_classes import Explainer
from trialmatch.bulk.export import check_destination, export
from trialmatch.bulk.shards import BatchMatcher
from trialmatch.bulk.sources import open_cohort
from trialmatch.bulk.stream import PatientStream, Prefetcher
from trialmatch.errors import InputError
from trialmatch.ontology import Ontology
from trialmatch.rules.facts import PatientFacts
from trialmatch.store.db import Store, registered
from trialmatch.store.patients import patient_tables

if TYPE_CHECKING:
    from trialmatch.bulk.distributed import ClusterOptions, DaskRun

DEFAULT_BATCH = 1000
Progress = Callable[[int, int | None], None]  # (records read, estimated total or None)


@dataclass
class BulkReport:
    """What a run did: counts, new / lost / changed matches, rejected records."""

    run_id: int = 0
    state: str = ""  # done, partial (some records rejected)
    cohort: str = ""
    since_last_run: bool = False
    read: int = 0  # records read
    patients: int = 0  # accepted
    rejected: int = 0
    evaluated: int = 0  # patients matched against every trial
    partial: int = 0  # unchanged patients matched against the changed trials only
    unchanged: int = 0  # unchanged patients not matched at all (no trial changed)
    reranked: int = 0  # unchanged patients whose stored matches were re-ranked
    removed: int = 0  # patients of the cohort's last run absent from this one
    trials: int = 0
    changed_trials: int = 0
    removed_trials: int = 0
    pairs: int = 0  # patient x trial pairs decided by this run
    matches: int = 0  # results rows of the cohort's patients after the run
    new: int = 0
    lost: int = 0
    changed: int = 0
    seconds: float = 0.0
    worker_cpu: float = 0.0  # distributed runs: CPU seconds of the workers' shards
    out: Path | None = None
    input_hash: str = ""
    trials_hash: str = ""
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    db: Path | None = None

    def changes(self) -> Iterator[dict[str, Any]]:
        """New, lost and changed matches per patient, read back from the database
        (`{patient_id, new: [...], lost: [...], changed: [...]}`, by patient id)."""
        with Store(self.db) as store:
            yield from iter_changes(store, self.run_id)

    def summary(self) -> str:
        parts = [f"run {self.run_id}: {self.patients:,} patients"]
        if self.since_last_run:
            parts.append(f"{self.evaluated:,} re-matched, {self.partial:,} on "
                         f"{self.changed_trials:,} changed trial(s), {self.unchanged:,} "
                         "unchanged")
        if self.reranked:
            parts.append(f"{self.reranked:,} re-ranked")
        parts.append(f"{self.trials:,} trials")
        parts.append(f"{self.matches:,} matches ({self.new:,} new, {self.lost:,} lost, "
                     f"{self.changed:,} changed)")
        if self.removed:
            parts.append(f"{self.removed:,} patient(s) removed")
        if self.rejected:
            parts.append(f"{self.rejected:,} rejected")
        parts.append(f"{self.seconds:.1f} s")
        return ", ".join(parts)


class _Run:
    """One run's working state: the open store and what matches its batches (a
    `BatchMatcher` on the store, or a `DaskRun` that ships them to a cluster)."""

    def __init__(self, store: Store, ont: Ontology, delta: state.TrialDelta,
                 report: BulkReport, shards: BatchMatcher | DaskRun | None = None) -> None:
        self.store, self.ont, self.delta, self.report = store, ont, delta, report
        self.shards = shards if shards is not None else BatchMatcher(store, ont)

    def split(self, batch: list[PatientFacts], tables: dict[str, pa.Table]) -> list[str]:
        """The ids of the patients to match against every trial."""
        ids = [p.id for p in batch]
        if self.delta.everything:
            return ids
        prev = state.previous_facts(self.store, ids)
        t = tables["patients"]
        now = zip(t.column("patient_id").to_pylist(), t.column("content_hash").to_pylist(),
                  t.column("age_lo").to_pylist())
        return [pid for pid, h, age in now if prev.get(pid) != (h, age)]

    def match(self, patients: list[PatientFacts], cohorts: list[int] | None,
              tables: dict[str, pa.Table] | None = None) -> None:
        self.shards.match(patients, cohorts, tables)

    def batch(self, batch: list[PatientFacts], tables: dict[str, pa.Table] | None = None
              ) -> None:
        """Stage and match one batch (`tables`: its `patient_tables`, if already made)."""
        if tables is None:
            tables = patient_tables(batch)
        full = self.split(batch, tables)
        full_set = set(full)
        everyone = [p for p in batch if p.id in full_set]
        rest = [p for p in batch if p.id not in full_set]
        rerank = [p.id for p in rest] if self.delta.rerank else []
        # re-ranked patients have all their rows replaced, like re-matched ones
        state.stage_patients(self.store, tables, [p.id for p in batch], full + rerank)
        if everyone:
            self.match(everyone, None, tables if len(everyone) == len(batch) else None)
        cohorts = self.delta.cohort_keys
        if rerank:
            cohorts = sorted(set(cohorts) | set(state.stored_cohorts(self.store, rerank)))
        if rest and cohorts:
            self.match(rest, cohorts)
        r = self.report
        r.evaluated += len(everyone)
        r.reranked += len(rerank)
        if self.delta.changed or self.delta.removed:
            r.partial += len(rest)
        elif not rerank:
            r.unchanged += len(rest)
        r.pairs += len(everyone) * r.trials + len(rest) * len(self.delta.changed)


def run_bulk(cohort_path: str | Path, db: str | Path | None = None,
             out: str | Path | None = None, since_last_run: bool = False,
             batch_size: int = DEFAULT_BATCH, progress: Progress | None = None, *,
             wait: float = 0.0, today: date | None = None, ontology: Ontology | None = None,
             on_changes: Callable[[Iterator[dict[str, Any]]], None] | None = None,
             memory_limit: str | None = "2GB",
             keep_runs: int = state.DEFAULT_KEEP_RUNS,
             cluster: ClusterOptions | None = None,
             document_process: bool | None = None) -> BulkReport:
    """Match every patient of a cohort (file, folder or cBioPortal study) and keep the results.

    Raises InputError when the cohort cannot be read or holds no valid patient, and
    StoreError when the database is in use (after waiting up to `wait` seconds). Rejected
    records are listed in the report (`state` "partial"); the others are matched.
    `on_changes`, if given, receives the run's new / lost / changed matches, per patient.
    Patients of the same cohort (by resolved path) at its last run that are absent now are
    removed, their matches lost (not when a rejected record has no readable id: it could be
    one of them). The `changes` of the last `keep_runs` completed runs are kept.
    `cluster`: match the batches on a Dask cluster (see `bulk.distributed`); ClusterError
    when it cannot be reached or a shard fails there (the run is then marked failed).
    `document_process`: write the match documents in a second process while the next batch
    is matched (`bulk.docprocess`; same results); None: when the machine has more than one
    core and the cohort more than one batch (not with `cluster`).
    """
    t0 = time.perf_counter()
    cohort = open_cohort(cohort_path)
    if out is not None:
        check_destination(out, cohort_path)
    if batch_size < 1:
        raise InputError("--batch-size must be at least 1")
    if keep_runs < 1:
        raise InputError("--keep-runs must be at least 1")
    store, ont = open_catalog(db, ontology, wait=wait)
    report = BulkReport(cohort=str(cohort_path), since_last_run=since_last_run,
                        db=store.path)
    committed = False
    dask_run: DaskRun | None = None
    docs: DocumentProcess | None = None
    try:
        store.con.execute("SET enable_progress_bar = false")  # stdout carries data only
        if memory_limit:
            store.con.execute(f"SET memory_limit = '{_checked_size(memory_limit)}'")
        if cluster is not None:  # before the run is recorded: a cluster not reached runs nothing
            from trialmatch.bulk.distributed import DaskRun

            if store.path is None:
                raise InputError("a distributed run needs a database file (--db), not memory")
            dask_run = DaskRun(cluster, store.path)
        report.run_id = state.start_run(store, str(cohort_path), since_last_run)
        try:
            delta = state.trial_delta(store) if since_last_run else state.TrialDelta(
                True, [], [], [], state.trials_hash(store))
            report.trials = store.scalar("SELECT count(*) FROM trials")
            report.changed_trials = len(delta.changed)
            report.removed_trials = len(delta.removed)
            report.trials_hash = delta.trials_hash
            total = cohort.estimate()
            shards: BatchMatcher | DaskRun | None = None
            if dask_run is not None:
                shards = dask_run.start(store, ontology, memory_limit)
            elif _use_process(document_process):
                docs = DocumentProcess(store, ontology, Explainer.chunk)
                shards = BatchMatcher(store, ont, docs)
            run = _Run(store, ont, delta, report, shards)
            stream = PatientStream(cohort.records(), ont, today)
            if progress:
                progress(0, total)
            reader = Prefetcher(stream, batch_size, patient_tables)
            try:
                for batch, tables in reader:
                    run.batch(batch, tables)
                    if progress:
                        progress(stream.read, total)
            finally:
                reader.close()
            run.shards.finish()
            if docs is not None:  # its memory is not needed for the swap and the export
                docs.close()
                docs = None
            if dask_run is not None:
                report.worker_cpu = dask_run.worker_cpu
            msgs = stream.messages
            report.read, report.rejected = stream.read, msgs.rejected
            report.patients = len(stream.seen)
            report.problems, report.warnings = msgs.problems, msgs.warnings
            report.warning_count = msgs.warning_count
            report.input_hash = stream.input_hash
            if not report.patients:
                raise InputError(f"{cohort_path}: no valid patient in the cohort"
                                 if report.read else f"{cohort_path}: the cohort is empty",
                                 msgs.problems)
            report.state = "partial" if report.rejected else "done"
            counts: dict[str, Any] = {
                "input_hash": report.input_hash, "patients": report.patients,
                "rejected": report.rejected, "state": report.state,
                "evaluated": report.evaluated}
            kept = pa.table({"patient_id": pa.array(
                sorted(stream.rejected_ids - stream.seen), pa.string())})
            with registered(store.con, kept) as name:
                store.con.execute(f"INSERT INTO s_kept SELECT patient_id FROM {name}")
            if stream.unidentified:
                report.warnings.append(
                    f"{cohort_path}: {stream.unidentified} rejected record(s) without a "
                    "readable id; no patient was removed from the cohort in this run")
                report.warning_count += 1
            state.swap(store, report.run_id, delta, counts, cohort=cohort_key(cohort_path),
                       remove=not stream.unidentified, keep=keep_runs)
            committed = True
            report.removed = int(counts["removed"])
            report.matches, report.new = int(counts["matches"]), int(counts["new"])
            report.lost, report.changed = int(counts["lost"]), int(counts["changed"])
            if out is not None:
                export(store, out)
                report.out = Path(out)
            state.cleanup(store)
            if on_changes is not None:
                on_changes(iter_changes(store, report.run_id))
        except BaseException as exc:
            if not committed:
                _mark_quietly(store, report.run_id,
                              "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed")
            raise
    finally:
        if dask_run is not None:
            dask_run.close()
        if docs is not None:
            docs.close()
        store.close()
    report.seconds = time.perf_counter() - t0
    return report


def _use_process(asked: bool | None) -> bool:
    """Whether to write documents in a second process: only when asked. Measured at 100,000
    patients it took 26 of 1,705 CPU-s off the bulk process (new explanation classes become
    rare as a run goes on) while every run paid for a snapshot copy and a process start, so
    it is opt-in (docs/benchmarks.md, "Session 6, bulk")."""
    return bool(asked)


def cohort_key(path: str | Path) -> str:
    """A cohort's identity across runs: its resolved path."""
    return str(Path(path).resolve())


def _mark_quietly(store: Store, run_id: int, how: str) -> None:
    """Record how a run ended early; the error that ended it is the one to report."""
    with contextlib.suppress(Exception):
        store.con.execute("ROLLBACK")  # fails when no transaction is open
    with contextlib.suppress(Exception):
        state.mark(store, run_id, how)


def _checked_size(text: str) -> str:
    import re

    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", text.strip(), re.I):
        raise InputError(f"not a memory size: {text!r} (expected e.g. 2GB)")
    return text.strip()
