"""`trialmatch sync`: fetch ClinicalTrials.gov records (API v2) into the catalogue.

Prints a summary to stderr (and, with `--format json`, as JSON on stdout); a progress bar on
stderr when it is a terminal. Exit 0 when the query completed, 3 when some records were
rejected or a page failed after earlier pages were stored (run again to resume), 2 for a bad
option or when the first page already failed (nothing stored).
"""

from __future__ import annotations

from pathlib import Path

import typer

from trialmatch.cli import output
from trialmatch.cli.output import Format
from trialmatch.errors import EXIT_PARTIAL, UsageError


def _progress_bar():
    """(callback, stop) drawing a rich bar on stderr, or (None, no-op) off a terminal."""
    if not output.err_console.is_terminal:
        return None, lambda: None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(TextColumn("syncing"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("page {task.fields[page]}"), console=output.err_console,
                   transient=True)
    task = bar.add_task("sync", total=None, page=0)
    bar.start()
    running = [True]

    def update(summary) -> None:
        bar.update(task, completed=summary.fetched, total=summary.total, page=summary.pages)

    def stop() -> None:
        if running[0]:
            running[0] = False
            bar.stop()

    return update, stop


def register(app: typer.Typer) -> None:
    @app.command("sync")
    def sync(
        condition: str | None = typer.Option(None, "--condition", help="Condition or disease "
                                             "(the registry's query.cond)."),
        term: str | None = typer.Option(None, "--term", help="Other terms (query.term)."),
        status: str | None = typer.Option(None, "--status", help="Overall statuses to fetch, "
                                          "comma-separated (e.g. RECRUITING,"
                                          "NOT_YET_RECRUITING); default: any."),
        since: str | None = typer.Option(None, "--since", help="Only records updated on or "
                                         "after this date (YYYY-MM-DD); default: the day "
                                         "before the last successful sync of this query "
                                         "started."),
        base_url: str = typer.Option("https://clinicaltrials.gov", "--base-url",
                                     help="The registry, or a mirror serving API v2."),
        page_size: int = typer.Option(200, "--page-size", help="Studies per request "
                                      "(1-1000)."),
        db: Path | None = typer.Option(None, "--db", help="Database file (default: "
                                       "$TRIALMATCH_DB, else a per-user data directory).",
                                       dir_okay=False),
        wait: float = typer.Option(0.0, "--wait", help="Seconds to wait for a database in "
                                   "use by another trialmatch process."),
        fmt: Format | None = typer.Option(None, "--format", "-f", help="json: also print the "
                                          "summary as JSON on stdout.", case_sensitive=False),
    ) -> int:
        """Fetch ClinicalTrials.gov studies into the catalogue; only new or changed records
        are parsed, and an interrupted sync resumes where it stopped."""
        from trialmatch.app.sync import SyncError, sync_registry

        if fmt not in (None, Format.table, Format.json):
            raise UsageError("sync prints its summary as table or json")
        statuses = [s for s in (status or "").split(",") if s.strip()]
        update, stop = _progress_bar()
        try:
            summary = sync_registry(db, condition=condition, term=term, statuses=statuses,
                                    since=since, base_url=base_url, page_size=page_size,
                                    wait=wait, progress=update)
        except SyncError as exc:
            stop()
            _report(exc.summary, fmt)
            raise
        finally:
            stop()
        _report(summary, fmt)
        if summary.problems:
            output.error(f"{len(summary.problems)} record(s) rejected; the others were stored")
            return EXIT_PARTIAL
        return 0


def _report(summary, fmt: Format | None) -> None:
    for note in summary.notes:
        output.warn(note)
    for p in summary.problems:
        output.error(p)
    output.info(summary.line())
    if fmt == Format.json:
        output.write_json(summary.to_dict())
