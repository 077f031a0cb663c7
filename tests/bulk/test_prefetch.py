"""The bulk reader one batch ahead (`bulk.stream.Prefetcher`): same batches, same counters,
errors raised where the batch would have been, and a thread that stops when asked."""

from __future__ import annotations

import threading

import pytest

from trialmatch.bulk.stream import PatientStream, Prefetcher
from trialmatch.errors import InputError
from trialmatch.ontology import default_ontology
from trialmatch.patients.read import RawRecord


def _record(i: int) -> RawRecord:
    return RawRecord({"id": f"P{i:03d}", "birth_date": "1970-01-01",
                      "diagnosis": {"oncotree": "LUAD"}}, f"cohort.jsonl:{i + 1}", "")


def _records(n: int, bad: set[int] = frozenset()):
    for i in range(n):
        yield (RawRecord({"id": 7.5}, f"cohort.jsonl:{i + 1}", "") if i in bad
               else _record(i))


def test_same_batches_and_counters_as_the_plain_stream():
    ont = default_ontology()
    plain = PatientStream(_records(23, {4}), ont)
    want = [[p.id for p in b] for b in plain.batches(5)]
    ahead = PatientStream(_records(23, {4}), ont)
    got, prepared = [], []
    for batch, extra in Prefetcher(ahead, 5, len):
        got.append([p.id for p in batch])
        prepared.append(extra)
    assert got == want and len(got) == 5
    assert prepared == [len(b) for b in want]
    assert (ahead.read, ahead.messages.rejected, ahead.input_hash) == (
        plain.read, plain.messages.rejected, plain.input_hash) == (23, 1, plain.input_hash)


def test_an_error_while_reading_is_raised_to_the_consumer():
    def records():
        yield from _records(7)
        raise InputError("cohort.jsonl:8: not JSON")

    reader = Prefetcher(PatientStream(records(), default_ontology()), 5, len)
    seen = []
    with pytest.raises(InputError, match="not JSON"):
        for batch, _ in reader:
            seen.append(len(batch))
    assert seen == [5]  # the full batch before the error, not the partial one
    assert not reader.thread.is_alive()


def test_close_stops_a_reader_the_consumer_left():
    started = threading.Event()

    def endless():
        i = 0
        while i < 100_000:  # bounded, so that a broken reader fails the test, not CI
            started.set()
            yield _record(i)
            i += 1

    reader = Prefetcher(PatientStream(endless(), default_ontology()), 3, len)
    first, _ = next(iter(reader))
    assert len(first) == 3 and started.is_set()
    reader.close()
    assert not reader.thread.is_alive()
    assert reader.queue.qsize() <= 1  # it read at most one batch ahead, then stopped
