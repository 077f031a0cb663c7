"""`trialmatch bulk COHORT`: match a whole cohort; print what changed since the last run.

Data on stdout is the run's new, lost and changed matches per patient (all matches are new
on a first run); the full results go to `--out` and stay in the database. Progress bar,
warnings, rejected records and the one-line summary go to stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from trialmatch.cli import output
from trialmatch.cli.find_cmd import DB_OPTION, FORMAT_OPTION
from trialmatch.cli.output import Format
from trialmatch.errors import EXIT_PARTIAL, UsageError

DEFAULT_BATCH = 1000  # as `bulk.run.DEFAULT_BATCH` (not imported: keeps `--help` light)

CSV_COLUMNS = ["patient_id", "change", "trial_id", "cohort", "status", "previous_status",
               "score", "title"]
MAX_WARNINGS = 20


def _progress():
    """A rich progress bar on a terminal's stderr, else nothing."""
    if not output.err_console.is_terminal:
        return None, None
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("matching"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TimeRemainingColumn(), console=output.err_console,
                   transient=True)
    task = bar.add_task("patients", total=None)

    def update(done: int, total: int | None) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


def _entries(row: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for change in ("new", "lost", "changed"):
        for e in row[change]:
            yield {"patient_id": row["patient_id"], "change": change, **e}
    if row.get("removed"):
        yield {"patient_id": row["patient_id"], "change": "removed"}


class ChangeWriter:
    """Writes the per-patient changes as they stream out of the database."""

    def __init__(self, fmt: Format) -> None:
        self.fmt = fmt
        self.rows: list[dict[str, Any]] = []

    def __call__(self, changes: Iterator[dict[str, Any]]) -> None:
        out = sys.stdout
        if self.fmt is Format.jsonl:
            for row in changes:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        elif self.fmt is Format.csv:
            import csv

            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(CSV_COLUMNS)
            for row in changes:
                for e in _entries(row):
                    writer.writerow([output._cell(e.get(c)) for c in CSV_COLUMNS])
        elif self.fmt is Format.json:
            self.rows = list(changes)  # written with the run summary below
        else:
            self.table(changes)

    @staticmethod
    def table(changes: Iterator[dict[str, Any]]) -> None:
        from rich.table import Table

        table = Table(title="Changes since the last run", title_justify="left")
        for col in ("patient", "new", "lost", "changed"):
            table.add_column(col, overflow="fold")
        n = 0
        for row in changes:
            n += 1
            table.add_row(output.safe(row["patient_id"]) + (" (removed)" if row.get("removed")
                                                            else ""), *(
                "\n".join(output.safe(f"{e['trial_id']} {e['cohort']} "
                                       f"({e['status'] or e['previous_status']})")
                          for e in row[k]) for k in ("new", "lost", "changed")))
        console = output.out_console()
        console.print(table if n else "No new, lost or changed matches.")


def bulk_command(
    cohort: Path = typer.Argument(..., help="A JSONL file of patients, a folder of patient "
                                  "files, or a cBioPortal study folder."),
    db: Path = DB_OPTION,
    out: Path = typer.Option(None, "--out", "-o", dir_okay=False, help="Write every result "
                             "of the cohort to FILE.parquet, FILE.jsonl or FILE.csv."),
    since_last_run: bool = typer.Option(False, "--since-last-run", help="Re-match only "
                                        "patients and trials that changed since the last run."),
    fmt: Format = FORMAT_OPTION,
    batch_size: int = typer.Option(DEFAULT_BATCH, "--batch-size", min=1, help="Patients per batch "
                                   "(memory grows with it)."),
    wait: float = typer.Option(0.0, "--wait", min=0.0, help="Wait up to S seconds for "
                               "another run on the same database to finish."),
    keep_runs: int = typer.Option(30, "--keep-runs", min=1, help="Keep the new / lost / "
                                  "changed matches of the last N completed runs."),
    scheduler: str = typer.Option(None, "--scheduler", metavar="ADDRESS", help="Match the "
                                  "batches on the dask.distributed cluster of this scheduler "
                                  "(tcp://HOST:PORT)."),
    workers: int = typer.Option(None, "--workers", min=1, help="Match the batches on a local "
                                "Dask cluster of N worker processes."),
    shard_dir: Path = typer.Option(None, "--shard-dir", file_okay=False, help="With "
                                   "--scheduler / --workers: folder for the trial snapshot and "
                                   "the result shards, readable by every worker (default: "
                                   "beside the database)."),
    connect_timeout: float = typer.Option(10.0, "--connect-timeout", min=0.1, help="Seconds "
                                          "to wait for the scheduler and its first worker."),
    document_process: bool = typer.Option(False, "--document-process/--single-process",
                                          help="Write the match documents in a second process "
                                          "alongside the matching (off by default: it helps "
                                          "only in the first batches of a run)."),
) -> None:
    """Match a whole cohort against every trial; print new and lost matches per patient."""
    from trialmatch.bulk import run_bulk

    cluster = None
    if scheduler is not None or workers is not None:
        from trialmatch.bulk.distributed import ClusterOptions

        cluster = ClusterOptions(scheduler=scheduler, workers=workers, shard_dir=shard_dir,
                                 connect_timeout=connect_timeout)
        cluster.check()
    elif shard_dir is not None:
        raise UsageError("--shard-dir applies only with --scheduler or --workers")
    fmt = output.resolve(fmt)
    writer = ChangeWriter(fmt)
    bar, update = _progress()
    if bar is not None:
        bar.start()
    try:
        report = run_bulk(cohort, db=db, out=out, since_last_run=since_last_run,
                          batch_size=batch_size, progress=update, wait=wait,
                          on_changes=writer, keep_runs=keep_runs, cluster=cluster,
                          document_process=document_process)
    finally:
        if bar is not None:
            bar.stop()
    if fmt is Format.json:
        summary = {k: getattr(report, k) for k in (
            "run_id", "state", "since_last_run", "patients", "rejected", "evaluated",
            "partial", "unchanged", "reranked", "trials", "changed_trials", "removed_trials",
            "matches", "new", "lost", "changed", "removed")}
        output.write_json({**summary, "patients_changed": writer.rows})
    for w in report.warnings[:MAX_WARNINGS]:
        output.warn(w)
    if report.warning_count > MAX_WARNINGS:
        output.warn(f"... and {report.warning_count - MAX_WARNINGS} more warning(s)")
    for p in report.problems:
        output.error(p)
    tail = f"; results in {report.out}" if report.out else ""
    output.info(f"{report.summary()}{tail}")
    if report.rejected:
        output.error(f"{report.rejected} record(s) rejected; the other patients were matched")
        raise typer.Exit(EXIT_PARTIAL)


def register(app: typer.Typer) -> None:
    app.command("bulk")(bulk_command)
