"""Writing a run's results to a file: Parquet, JSON Lines or CSV, streamed from the store.

The rows are the `results` of the cohort's patients after the run, ordered by patient and
then best first (as `find` orders them). JSONL lines are the DESIGN 2.3 match objects with
`patient_id`, exactly as `find --format jsonl` prints them; Parquet keeps the nested fields
nested; CSV holds them as JSON strings. The file is written beside its destination and moved
into place only when complete, so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

from trialmatch.errors import UsageError
from trialmatch.store.db import Store

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".csv": "csv"}
BATCH_ROWS = 50_000

_ORDER = """ORDER BY r.patient_id,
    CASE r.status WHEN 'eligible' THEN 0 WHEN 'possible' THEN 1 ELSE 2 END,
    r.score DESC, r.trial_id, r.cohort"""
_SCOPE = """FROM main.results r JOIN main.result_docs d ON d.doc_id = r.doc_id
WHERE r.patient_id IN (SELECT patient_id FROM s_seen)"""



def _columns(nested: bool) -> str:
    """Flat columns; reasons and unknown nested in Parquet, JSON text in CSV, where a text
    cell a spreadsheet would run as a formula (= + - @ tab CR first) gets a ' in front."""
    def j(col: str) -> str:
        return f'd."{col}"' if nested else f'CAST(to_json(d."{col}") AS VARCHAR) AS "{col}"'

    def t(col: str) -> str:
        if nested:
            return col
        return (f"CASE WHEN left({col}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) "
                f"THEN concat(chr(39), {col}) ELSE {col} END AS {col.split('.')[1]}")

    return ", ".join([
        t("r.patient_id"), t("r.trial_id"), t("r.cohort"), t("d.title"), "d.phase", "r.status",
        "r.score", j("reasons"), j("unknown"), "d.manual_review", t("d.cohort_label"),
        "d.trial_status", "CAST(d.score_parts AS VARCHAR) AS score_parts"])


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
    compresses one batch (without the GIL) while DuckDB sorts and hands over the next.
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


def _write(store: Store, tmp: Path, fmt: str) -> int:
    con = store.con
    if fmt == "jsonl":
        reader = con.sql("SELECT concat('{\"patient_id\": ', to_json(r.patient_id), ', ', "
                         f"substr(CAST(d.doc AS VARCHAR), 2)) AS doc {_SCOPE} {_ORDER}"
                             ).to_arrow_reader(BATCH_ROWS)
        n = 0
        with tmp.open("w", encoding="utf-8") as fh:
            for batch in reader:
                for doc in batch.column(0).to_pylist():
                    fh.write(doc)
                    fh.write("\n")
                n += batch.num_rows
        return n
    reader = con.sql(f"SELECT {_columns(fmt == 'parquet')} {_SCOPE} {_ORDER}"
                         ).to_arrow_reader(BATCH_ROWS)
    n = 0
    if fmt == "parquet":
        import pyarrow.parquet as pq

        with pq.ParquetWriter(tmp, reader.schema, compression="zstd") as writer:
            return _overlapped(reader, writer.write_batch)
    import pyarrow.csv as pacsv

    with pacsv.CSVWriter(tmp, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
            n += batch.num_rows
    return n
