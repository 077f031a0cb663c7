"""`trialmatch load FILE...`: parse ClinicalTrials.gov records and store them."""

from __future__ import annotations

from pathlib import Path

import typer

from trialmatch.cli import output
from trialmatch.errors import EXIT_PARTIAL, EXIT_USAGE


def register(app: typer.Typer) -> None:
    @app.command("load")
    def load(
        files: list[Path] = typer.Argument(..., help="Trial files: API v2 JSON, NDJSON, XML "
                                           "or text.", exists=True, dir_okay=False),
        db: Path | None = typer.Option(None, "--db", help="Database file.", dir_okay=False),
    ) -> int:
        """Parse trials and store them (one transaction per file; same NCT id replaces)."""
        from trialmatch.ingest.load import load_files
        from trialmatch.store.db import Store

        with Store(db) as store:
            summary = load_files(files, store)
        for p in summary.problems:
            output.warn(p)
        output.info(f"loaded {summary.trials} trials: {summary.criteria} criteria, "
                    f"{summary.biomarker_criteria} biomarker criteria, {summary.manual_review} "
                    "for manual review")
        if summary.problems:
            return EXIT_PARTIAL if summary.trials else EXIT_USAGE
        return 0
