"""Writing a run's results to a file: Parquet, JSON Lines or CSV, streamed from the store.

The rows are the `results` of the cohort's patients after the run, ordered by patient and
then best first (as `find` orders them). JSONL lines are the DESIGN 2.3 match objects with
`patient_id`, exactly as `find --format jsonl` prints them; Parquet keeps the nested fields
nested; CSV holds them as JSON strings. The file is written beside its destination and moved
into place only when complete, so an interrupted run never leaves half a file.

Many rows share one match object (`result_docs`), so the wide rows are never sorted (at
100,000 patients, sorting 52.7 million of them spilled 28 GB): the patients are taken in
ranges of about a million rows, each range's narrow rows are sorted in memory, the match
objects they name are read once, and each batch of the file is put together by index in
Arrow. The cost grows with the rows, and memory with one range.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trialmatch.errors import UsageError
from trialmatch.store.db import Store, registered

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".csv": "csv"}
BATCH_ROWS = 50_000
# Parquet row groups: the rows in blocks of 122,880, each block written 50,000 rows at a time
# (50,000 + 50,000 + 22,880). Earlier builds wrote them so (DuckDB served its sorted result
# that way); keeping the layout keeps the file byte for byte the same.
BLOCK_ROWS = 122_880
# patients are exported in ranges of at most this many rows (a patient with more is a range
# of its own): each range's narrow rows are sorted at once, in memory, and joined to only
# the match objects they name
PART_ROWS = 1_000_000

_ORDER = """ORDER BY r.patient_id,
    CASE r.status WHEN 'eligible' THEN 0 WHEN 'possible' THEN 1 ELSE 2 END,
    r.score DESC, r.trial_id, r.cohort"""
_SEEN = "r.patient_id IN (SELECT patient_id FROM s_seen)"


def _formula_safe(col: str) -> str:
    """A CSV text cell a spreadsheet would run as a formula (= + - @ tab CR first) gets a '
    in front."""
    return (f"CASE WHEN left({col}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) "
            f"THEN concat(chr(39), {col}) ELSE {col} END AS {col.split('.')[1]}")


def _columns(fmt: str) -> list[tuple[str, str]]:
    """The file's columns in order, each (`r` or `d`, an SQL expression over `results r` or
    over `result_docs d`): reasons and unknown nested in Parquet, JSON text in CSV; for JSONL
    the two halves of a line, the match object with `patient_id` put first."""
    if fmt == "jsonl":
        return [("r", """concat('{"patient_id": ', to_json(r.patient_id), ', ') AS head"""),
                ("d", "substr(CAST(d.doc AS VARCHAR), 2) AS tail")]
    nested = fmt == "parquet"

    def j(col: str) -> tuple[str, str]:
        return ("d", f'd."{col}"' if nested else
                f'CAST(to_json(d."{col}") AS VARCHAR) AS "{col}"')

    def t(col: str) -> tuple[str, str]:
        return (col[0], col if nested else _formula_safe(col))

    return [t("r.patient_id"), t("r.trial_id"), t("r.cohort"), t("d.title"), ("d", "d.phase"),
            ("r", "r.status"), ("r", "r.score"), j("reasons"), j("unknown"),
            ("d", "d.manual_review"), t("d.cohort_label"), ("d", "d.trial_status"),
            ("d", "CAST(d.score_parts AS VARCHAR) AS score_parts")]


def format_of(path: str | Path) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise UsageError(f"{path}: --out must end in .parquet, .jsonl or .csv")
    return fmt


def check_destination(path: str | Path, cohort: str | Path) -> None:
    """Before a run: `--out` must not be the cohort (or a patient file inside the cohort's
    folder, read as patients next time), and its folder must take a file. UsageError if not."""
    path, cohort = Path(path), Path(cohort)
    fmt = format_of(path)
    target, source = path.resolve(), cohort.resolve()
    if target == source or (path.exists() and cohort.exists() and os.path.samefile(path, cohort)):
        raise UsageError(f"{path}: --out is the cohort file itself; it would be overwritten "
                         "with results (choose another file)")
    if source.is_dir() and source in target.parents and fmt == "jsonl":
        raise UsageError(f"{path}: --out is inside the cohort folder, where the next run "
                         "would read it as patients (choose a file elsewhere)")
    probe = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe.open("wb").close()
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the results file there "
                         f"({exc.strerror or type(exc).__name__})") from None
    probe.unlink(missing_ok=True)


def export(store: Store, path: str | Path) -> int:
    """Write the cohort's results (temp table `s_seen` names its patients); returns rows."""
    path = Path(path)
    fmt = format_of(path)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        n = _write(store, tmp, fmt)
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the results file "
                         f"({exc.strerror or type(exc).__name__}); the run's results are "
                         "stored in the database") from None
    finally:
        tmp.unlink(missing_ok=True)
    return n


def _overlapped(reader, write) -> int:
    """`write` every batch of `reader`, in order, on a second thread: pyarrow encodes and
    compresses one batch (without the GIL) while the next is read and put together.
    Returns the number of rows."""
    todo: queue.Queue = queue.Queue(maxsize=2)
    failed: list[BaseException] = []

    def writer() -> None:
        while (batch := todo.get()) is not None:
            if not failed:
                try:
                    write(batch)
                except BaseException as exc:  # handed to the reading thread
                    failed.append(exc)

    thread = threading.Thread(target=writer, name="trialmatch-parquet", daemon=True)
    thread.start()
    n = 0
    try:
        for batch in reader:
            if failed:
                break
            todo.put(batch)
            n += batch.num_rows
    finally:
        todo.put(None)
        thread.join()
    if failed:
        raise failed[0]
    return n


def _parts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Consecutive ranges (first, last patient id) of the cohort's patients, in the file's
    order, of at most PART_ROWS result rows each (or one patient)."""
    counts = con.execute(f"SELECT r.patient_id, count(*) FROM main.results r WHERE {_SEEN} "
                         "GROUP BY r.patient_id ORDER BY r.patient_id").fetchall()
    parts: list[tuple[str, str]] = []
    start, rows = 0, 0
    for i, (_, n) in enumerate(counts):
        if i > start and rows + n > PART_ROWS:
            parts.append((counts[start][0], counts[i - 1][0]))
            start, rows = i, 0
        rows += n
    if counts:
        parts.append((counts[start][0], counts[-1][0]))
    return parts


def _ranges(con: duckdb.DuckDBPyConnection, cols: list[tuple[str, str]]
            ) -> Iterator[tuple[list[pa.Array], list[pa.Array], pa.Array]]:
    """For each range of patients (`_parts`), in order: its rows' `r` columns, sorted; the
    `d` columns of the match objects they name, each read once; and, per row, the index of
    its match object. A row whose match object is missing is left out, as by a join."""
    r_cols = ", ".join(e for side, e in cols if side == "r")
    d_cols = ", ".join(e for side, e in cols if side == "d")
    narrow = (f"SELECT {r_cols}, r.doc_id AS doc_id__ FROM main.results r "
              f"WHERE r.patient_id BETWEEN $lo AND $hi AND {_SEEN} {_ORDER}")
    for lo, hi in _parts(con):
        rows = con.sql(narrow, params={"lo": lo, "hi": hi}).to_arrow_table()
        ids = pa.table({"doc_id": pc.unique(rows.column("doc_id__"))})
        with registered(con, ids) as name:
            docs = con.sql(f"SELECT {d_cols}, d.doc_id AS doc_id__ FROM main.result_docs d "
                           f"WHERE d.doc_id IN (SELECT doc_id FROM {name})").to_arrow_table()
        at = pc.index_in(rows.column("doc_id__"), value_set=docs.column("doc_id__"))
        if at.null_count:
            keep = pc.is_valid(at)
            rows, at = rows.filter(keep), at.filter(keep)
        yield ([c.combine_chunks() for c in rows.columns[:-1]],
               [c.combine_chunks() for c in docs.columns[:-1]], at.combine_chunks())


def _batches(con: duckdb.DuckDBPyConnection, cols: list[tuple[str, str]],
             schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """The file's rows in order, in batches that end where `_room` says, whatever the
    ranges: each batch's `d` columns taken from its range's match objects by index, so the
    wide rows are built once, in file order, and never sorted."""
    sides = [side for side, _ in cols]
    held: list[list[pa.Array]] = []  # pieces of the batch being filled
    done = 0
    for r_arrays, d_arrays, at in _ranges(con, cols):
        start, end = 0, len(at)
        while start < end:
            room = _room(done)
            n = min(end - start, room)
            where = at.slice(start, n)
            r_it, d_it = iter(r_arrays), iter(d_arrays)
            held.append([next(r_it).slice(start, n) if side == "r" else next(d_it).take(where)
                         for side in sides])
            done, start = done + n, start + n
            if n == room:
                yield _batch(held, schema)
                held = []
    if held:
        yield _batch(held, schema)


def _batch(held: list[list[pa.Array]], schema: pa.Schema) -> pa.RecordBatch:
    arrays = [held[0][i] if len(held) == 1 else pa.concat_arrays([c[i] for c in held])
              for i in range(len(schema))]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _room(done: int) -> int:
    """Rows from position `done` of the file to the end of its batch (`BLOCK_ROWS`)."""
    inside = done % BLOCK_ROWS
    return min(BATCH_ROWS - inside % BATCH_ROWS, BLOCK_ROWS - inside)


def _write(store: Store, tmp: Path, fmt: str) -> int:
    con, cols = store.con, _columns(fmt)
    schema = con.sql(f"SELECT {', '.join(e for _, e in cols)} FROM main.results r "
                     "JOIN main.result_docs d ON d.doc_id = r.doc_id LIMIT 0"
                     ).to_arrow_table().schema
    batches = _batches(con, cols, schema)
    if fmt == "jsonl":
        text = pa.large_string()  # a batch's lines may pass 2 GB
        newline, nothing = pa.scalar("\n", text), pa.scalar("", text)
        n = 0
        with tmp.open("wb") as fh:
            for batch in batches:
                lines = pc.binary_join_element_wise(
                    *(c.cast(text) for c in batch.columns), newline, nothing)
                fh.write(_text(lines))
                n += batch.num_rows
        return n
    if fmt == "parquet":
        import pyarrow.parquet as pq

        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            return _overlapped(batches, writer.write_batch)
    import pyarrow.csv as pacsv

    n = 0
    with pacsv.CSVWriter(tmp, schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
            n += batch.num_rows
    return n


def _text(strings: pa.LargeStringArray) -> pa.Buffer | bytes:
    """The bytes of a large string array without nulls, end to end, without a copy."""
    ends = np.frombuffer(strings.buffers()[1], dtype=np.int64)
    first, last = int(ends[strings.offset]), int(ends[strings.offset + len(strings)])
    return strings.buffers()[2].slice(first, last - first) if last > first else b""
