"""`trialmatch find PATIENT`: the trials a patient may join, ranked and explained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from trialmatch.cli import output
from trialmatch.cli.output import Format
from trialmatch.errors import EXIT_PARTIAL

CSV_COLUMNS = ["patient_id", "trial_id", "cohort", "title", "phase", "status", "score",
               "met", "unknown", "manual_review"]
_STYLE = {"eligible": "green", "possible": "yellow", "ineligible": "red"}

DB_OPTION = typer.Option(None, "--db", help="Database file (default: $TRIALMATCH_DB, else "
                         "a per-user data directory).", dir_okay=False)
FORMAT_OPTION = typer.Option(None, "--format", "-f", help="Output format (default: table on "
                             "a terminal, json otherwise).", case_sensitive=False)
WAIT_OPTION = typer.Option(None, "--wait", min=0.0, help="Wait up to S seconds for a load "
                           "or bulk run on the same database to finish (default: 10).")


def flat_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (patient, match), as `bulk` writes them."""
    return [{"patient_id": r["patient_id"], **m} for r in results for m in r["matches"]]


def render_table(results: list[dict[str, Any]]) -> None:
    from rich.table import Table

    safe = output.safe
    console = output.out_console()
    for r in results:
        table = Table(title=f"Trials for patient {safe(r['patient_id'])}", title_justify="left",
                      show_lines=True)
        for col in ("#", "trial", "status", "score", "why", "unknown", "review"):
            table.add_column(col, overflow="fold")
        for i, m in enumerate(r["matches"], 1):
            style = _STYLE[m["status"]]
            why = "\n".join(
                f"{'✔' if x['result'] == 'met' else '✘'} {safe(x['criterion'])}"
                + (f"  [dim]({safe(' → '.join(x['via']))})[/dim]" if x["via"] else "")
                for x in m["reasons"][:6])
            title = (f"[bold]{safe(m['trial_id'])}[/bold] {safe(m['cohort'])}\n"
                     f"{safe(m['title'] or '')}")
            table.add_row(str(i), title, f"[{style}]{m['status']}[/{style}]",
                          f"{m['score']:.2f}", why, "\n".join(safe(u) for u in m["unknown"]),
                          str(m["manual_review"]))
        if not r["matches"]:
            console.print(f"No trial matched patient {safe(r['patient_id'])}.")
        else:
            console.print(table)


def find_command(
    patient: Path = typer.Argument(..., help="patient.json (one profile, a list, or JSONL)."),
    db: Path = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
    top: int = typer.Option(None, "--top", "-n", min=1, help="Show only the best N trials."),
    include_all: bool = typer.Option(False, "--all", help="Include ineligible trials."),
    wait: float = WAIT_OPTION,
) -> None:
    """Find the trials a patient may join, best first, with reasons."""
    from trialmatch.api import find

    report = find(patient, db=db, top=top, include_ineligible=include_all, wait=wait)
    if report.problems and not report.results:
        from trialmatch.errors import InputError

        raise InputError(f"{patient}: invalid patient profile", report.problems)
    for w in report.warnings:
        output.warn(w)
    for pid in report.no_panel:
        output.info(f"note: patient {pid} lists no tested_genes; genes without a reported "
                    "alteration were taken as not altered")
    fmt = output.resolve(fmt)
    if fmt is Format.json:
        output.write_json(report.results[0] if len(report.results) == 1 else report.results)
    elif fmt is Format.jsonl:
        output.write_jsonl(flat_rows(report.results))
    elif fmt is Format.csv:
        rows = flat_rows(report.results)
        for row in rows:
            row["met"] = [x["criterion"] for x in row["reasons"] if x["result"] == "met"]
        output.write_csv(rows, CSV_COLUMNS)
    else:
        render_table(report.results)
    if report.problems:
        for p in report.problems:
            output.error(p)
        output.error(f"{len(report.problems)} problem(s); the other patients were matched")
        raise typer.Exit(EXIT_PARTIAL)


def register(app: typer.Typer) -> None:
    app.command("find")(find_command)
