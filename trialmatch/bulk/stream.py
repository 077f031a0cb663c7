"""From a stream of raw records to batches of validated patient facts.

Validation and normalisation are those of `find` (`patients.validate`, `Normalizer`); a bad
record is reported by file and JSON pointer (or sample id) and skipped. Patient ids must be
unique across the whole cohort. The stream also hashes every record it reads, so a run knows
which input it matched.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from trialmatch.ontology import Ontology
from trialmatch.patients.normalize import Normalizer
from trialmatch.patients.read import RawRecord
from trialmatch.patients.validate import validate
from trialmatch.rules.facts import PatientFacts

MAX_MESSAGES = 10_000  # problems and warnings kept for the report; the rest are counted


@dataclass
class Messages:
    """Problems (rejected records) and warnings, capped, with true totals."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rejected: int = 0
    warning_count: int = 0

    def problem(self, lines: list[str]) -> None:
        self.rejected += 1
        room = MAX_MESSAGES - len(self.problems)
        self.problems.extend(lines[:max(room, 0)])

    def warn(self, lines: list[str]) -> None:
        self.warning_count += len(lines)
        room = MAX_MESSAGES - len(self.warnings)
        self.warnings.extend(lines[:max(room, 0)])


class PatientStream:
    """Iterate over batches of `PatientFacts`; messages and the input hash accumulate."""

    def __init__(self, records: Iterable[RawRecord], ontology: Ontology,
                 today: date | None = None) -> None:
        self.records = records
        self.norm = Normalizer(ontology, today)
        self.messages = Messages()
        self.seen: set[str] = set()
        self.rejected_ids: set[str] = set()  # ids of rejected records, where readable
        self.unidentified = 0  # rejected records without a readable id
        self.read = 0
        self._hash = hashlib.sha256()

    @property
    def input_hash(self) -> str:
        return self._hash.hexdigest()[:16]

    def _where(self, rec: RawRecord) -> str:
        return rec.where.split(" /")[0] if rec.prefix else rec.where

    def _rejected(self, rec: RawRecord) -> None:
        ident = rec.data.get("id") if isinstance(rec.data, dict) else None
        if isinstance(ident, int) and not isinstance(ident, bool):
            ident = str(ident)
        if isinstance(ident, str) and ident.strip():
            self.rejected_ids.add(ident.strip())
        else:
            self.unidentified += 1

    def facts(self, rec: RawRecord) -> PatientFacts | None:
        f = self._facts(rec)
        if f is None:
            self._rejected(rec)
        return f

    def _facts(self, rec: RawRecord) -> PatientFacts | None:
        self.read += 1
        self._hash.update(json.dumps(rec.data, sort_keys=True, default=str).encode())
        self._hash.update(b"\n")
        if rec.warnings:  # what a FHIR or Phenopacket reader could not map
            self.messages.warn([f"{rec.where}: {w}" for w in rec.warnings])
        if rec.error:
            self.messages.problem([f"{rec.where}: {rec.error}"])
            return None
        model, problems = validate(rec.data, rec.prefix)
        where = self._where(rec)
        if model is None:
            self.messages.problem([f"{where}: {p}" for p in problems])
            return None
        facts, warnings, errors = self.norm.facts(model, rec.prefix)
        if warnings:
            self.messages.warn([f"{where}: {w}" for w in warnings])
        if facts is None:
            self.messages.problem([f"{where}: {e}" for e in errors])
            return None
        if facts.id in self.seen:
            self.messages.problem([f"{where}: duplicate patient id {facts.id!r}, skipped"])
            return None
        self.seen.add(facts.id)
        return facts

    def batches(self, size: int) -> Iterator[list[PatientFacts]]:
        batch: list[PatientFacts] = []
        for rec in self.records:
            f = self.facts(rec)
            if f is None:
                continue
            batch.append(f)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


class Prefetcher:
    """`PatientStream.batches` read one batch ahead on a background thread.

    Reading, validating and normalising records (and building a batch's Arrow tables with
    `prepare`) is Python work; the bulk process's thread spends much of each batch in DuckDB,
    which releases the GIL, so the next batch is read meanwhile. Iterate over it for
    `(batch, prepared)` pairs in the stream's order; an error raised while reading is raised
    where the batch would have been. `close` stops the thread (a run that fails or is
    interrupted calls it); the stream's counters are final once iteration has ended.
    """

    def __init__(self, stream: PatientStream, size: int,
                 prepare: Callable[[list[PatientFacts]], Any]) -> None:
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._read, args=(stream, size, prepare),
                                       name="trialmatch-prefetch", daemon=True)
        self.thread.start()

    def _put(self, item: tuple) -> bool:
        while not self.stopped.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _read(self, stream: PatientStream, size: int, prepare) -> None:
        try:
            for batch in stream.batches(size):
                if not self._put(("batch", batch, prepare(batch))):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(("error", exc, None))
            return
        self._put(("end", None, None))

    def __iter__(self) -> Iterator[tuple[list[PatientFacts], Any]]:
        while True:
            kind, what, prepared = self.queue.get()
            if kind == "end":
                self.thread.join()
                return
            if kind == "error":
                self.thread.join()
                raise what
            yield what, prepared

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)
