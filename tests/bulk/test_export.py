"""The results file of a bulk run, written by ranges of patients (`bulk/export.py`): the same
rows, in the same order and the same batches, as the one sorted join of every row would give."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import synth
from conftest import TODAY

from trialmatch.bulk import export as ex
from trialmatch.bulk import run_bulk
from trialmatch.store.db import Store


@pytest.fixture
def store(db, tmp_path):
    """A database after a bulk run of 40 synthetic patients, with `s_seen` naming most of
    them (as during a run: the export writes only the cohort's patients)."""
    cohort = tmp_path / "cohort.jsonl"
    synth.write_cohort(cohort, 40, seed=3)
    run_bulk(cohort, db=db, today=TODAY)
    s = Store(db)
    s.con.execute("CREATE TEMP TABLE s_seen AS SELECT DISTINCT patient_id FROM main.results "
                  "WHERE hash(patient_id) % 5 <> 0")
    yield s
    s.close()


def _joined(store: Store, fmt: str) -> pa.Table:
    """What the export writes, as one sorted join of every row (the earlier export)."""
    cols = ", ".join(e for _, e in ex._columns(fmt))
    return store.con.sql(
        f"SELECT {cols} FROM main.results r JOIN main.result_docs d ON d.doc_id = r.doc_id "
        f"WHERE {ex._SEEN} {ex._ORDER}").to_arrow_table()


@pytest.fixture
def small(monkeypatch):
    """Ranges of a few patients, and batches of 7 rows in blocks of 17 (7 + 7 + 3)."""
    monkeypatch.setattr(ex, "PART_ROWS", 40)
    monkeypatch.setattr(ex, "BATCH_ROWS", 7)
    monkeypatch.setattr(ex, "BLOCK_ROWS", 17)


def test_parquet_equals_the_sorted_join_batch_for_batch(store, small, tmp_path):
    want = _joined(store, "parquet")
    assert want.num_rows > 300 and len(ex._parts(store.con)) > 5
    out = tmp_path / "r.parquet"
    assert ex.export(store, out) == want.num_rows
    f = pq.ParquetFile(out)
    assert f.schema_arrow == want.schema
    assert f.read().equals(want)
    sizes = [f.metadata.row_group(i).num_rows for i in range(f.metadata.num_row_groups)]
    n = want.num_rows
    assert sizes == [min(7, 17 - i % 17, n - i) for i in range(n)
                     if i % 17 in (0, 7, 14)]


def test_one_patient_with_more_rows_than_a_range(store, monkeypatch, tmp_path):
    monkeypatch.setattr(ex, "PART_ROWS", 1)
    parts = ex._parts(store.con)
    assert all(lo == hi for lo, hi in parts)
    out = tmp_path / "r.parquet"
    ex.export(store, out)
    assert pq.read_table(out).equals(_joined(store, "parquet"))


def test_jsonl_and_csv_equal_the_sorted_join(store, small, tmp_path):
    lines = _joined(store, "jsonl")
    want = "".join(h + t + "\n" for h, t in zip(lines.column(0).to_pylist(),
                                                lines.column(1).to_pylist()))
    ex.export(store, tmp_path / "r.jsonl")
    assert (tmp_path / "r.jsonl").read_text(encoding="utf-8") == want
    table = _joined(store, "csv")
    buf = io.BytesIO()
    pacsv.write_csv(table, buf)
    ex.export(store, tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_bytes() == buf.getvalue()


def test_a_row_without_its_match_object_is_left_out_as_by_a_join(store, small, tmp_path):
    doc = store.con.execute("SELECT doc_id FROM main.results r WHERE "
                            f"{ex._SEEN} LIMIT 1").fetchone()[0]
    store.con.execute("DELETE FROM main.result_docs WHERE doc_id = ?", [doc])
    want = _joined(store, "parquet")
    out = tmp_path / "r.parquet"
    assert ex.export(store, out) == want.num_rows
    assert pq.read_table(out).equals(want)


def test_no_rows_gives_a_file_with_the_columns_only(store, tmp_path):
    store.con.execute("DELETE FROM s_seen")
    for fmt in ("parquet", "jsonl", "csv"):
        assert ex.export(store, tmp_path / f"r.{fmt}") == 0
    assert pq.read_table(tmp_path / "r.parquet").schema == _joined(store, "parquet").schema
    assert (tmp_path / "r.jsonl").read_bytes() == b""
    assert (tmp_path / "r.csv").read_text().startswith('"patient_id","trial_id"')
