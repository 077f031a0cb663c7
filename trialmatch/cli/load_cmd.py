"""`trialmatch load FILE...`: parse ClinicalTrials.gov records and store them.

Prints a summary to stderr (trials, criteria, biomarker criteria, criteria left for manual
review) and, with `--format json`, the same summary as JSON on stdout. Exit 0 when every
record loaded, 3 when some were rejected (each listed with file and line or NCT id), 2 when
nothing could be loaded. A file that is not recognised as a trial file (a YAML file, a
spreadsheet, ...) is refused rather than read as eligibility text; `--format text` says the
files are eligibility text (a .txt file is taken as text without it).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from trialmatch.cli import output
from trialmatch.errors import EXIT_PARTIAL, EXIT_USAGE, UsageError


class LoadFormat(StrEnum):
    table = "table"  # the summary on stderr only
    json = "json"  # the summary also as JSON on stdout
    text = "text"  # read unrecognised files as eligibility text


def register(app: typer.Typer) -> None:
    @app.command("load")
    def load(
        files: list[Path] = typer.Argument(..., help="Trial files: API v2 JSON (one study, a "
                                           "list or a {\"studies\": [...]} page), NDJSON, "
                                           "legacy XML or text."),
        db: Path | None = typer.Option(None, "--db", help="Database file (default: "
                                       "$TRIALMATCH_DB, else a per-user data directory).",
                                       dir_okay=False),
        fmt: LoadFormat | None = typer.Option(None, "--format", "-f", help="json: also print "
                                              "the summary as JSON on stdout. text: read "
                                              "files that are not recognised as eligibility "
                                              "text (otherwise they are refused).",
                                              case_sensitive=False),
        wait: float = typer.Option(0.0, "--wait", min=0.0, help="Wait up to S seconds for "
                                   "another trialmatch process on the database to finish."),
    ) -> int:
        """Parse trials and store them (one transaction per file; the same NCT id replaces)."""
        from trialmatch.app.load import load_files

        for f in files:
            if not f.exists():
                raise UsageError(f"{f}: no such file")
            if f.is_dir():
                raise UsageError(f"{f}: is a directory, expected a trial file")

        def progress(path: Path, n: int) -> None:
            output.info(f"{path}: {n} trial{'s' if n != 1 else ''} stored")

        with output.progress("parsing trials") as advance:
            summary = load_files(files, db, progress=progress if len(files) > 1 else None,
                                 wait=wait, fmt="auto" if fmt == LoadFormat.text else None,
                                 tick=advance)
        for note in summary.notes:
            output.warn(note)
        for p in summary.problems:
            output.error(p)
        output.info(summary.line())
        if fmt == LoadFormat.json:
            output.write_json(summary.to_dict())
        if summary.problems:
            output.error(f"{len(summary.problems)} record(s) or file(s) rejected"
                         + ("; the others were loaded" if summary.trials else ""))
            return EXIT_PARTIAL if summary.trials else EXIT_USAGE
        if not summary.trials:
            return EXIT_USAGE
        return 0
