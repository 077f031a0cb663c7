"""`trialmatch export TRIAL --format ctml`: a stored trial written in a standard form.

The document goes to stdout (JSON); what the format cannot say goes to stderr, one warning
per criterion left out.
"""

from __future__ import annotations

from pathlib import Path

import typer

from trialmatch.cli import output
from trialmatch.cli.find_cmd import DB_OPTION
from trialmatch.errors import UsageError

FORMATS = ("ctml",)


def export_command(
    trial: str = typer.Argument(..., help="Trial id (NCT number or curated id)."),
    fmt: str = typer.Option("ctml", "--format", "-f", help="Output format: ctml (MatchMiner "
                            "CTML as JSON)."),
    db: Path = DB_OPTION,
) -> None:
    """Write a stored trial as MatchMiner CTML (JSON on stdout)."""
    from trialmatch.app.convert import export_ctml

    if fmt.lower() not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    result = export_ctml(trial, db)
    for w in result.warnings:
        output.warn(w)
    output.write_json(result.document)


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
