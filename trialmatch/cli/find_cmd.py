"""`trialmatch find PATIENT`: the trials a patient may join, ranked and explained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from trialmatch.cli import output
from trialmatch.cli.output import Format
from trialmatch.errors import EXIT_PARTIAL
from trialmatch.match.place import OPEN_STATUSES

CSV_COLUMNS = ["patient_id", "trial_id", "cohort", "title", "phase", "status", "score",
               "met", "unknown", "manual_review"]
DEFAULT_WITHIN_KM = 100.0
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


def site_text(site: dict[str, Any]) -> str:
    """"Facility, City, Country (12.3 km)" for the table."""
    where = ", ".join(str(site[k]) for k in ("facility", "city", "country") if site.get(k))
    return f"{where or 'site'} ({site['distance_km']:g} km)"


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
            if m.get("nearest_site"):
                title += "\n[dim]nearest site: " + safe(site_text(m["nearest_site"])) + "[/dim]"
            table.add_row(str(i), title, f"[{style}]{m['status']}[/{style}]",
                          f"{m['score']:.2f}", why, "\n".join(safe(u) for u in m["unknown"]),
                          str(m["manual_review"]))
        if not r["matches"]:
            console.print(f"No trial matched patient {safe(r['patient_id'])}.")
        else:
            console.print(table)


def _notes(report) -> None:
    """Print (and forget) the warnings and notes gathered so far, so a long file streams."""
    for w in report.warnings:
        output.warn(w)
    for pid in report.no_panel:
        output.info(f"note: patient {pid} lists no tested_genes; genes without a reported "
                    "alteration were taken as not altered")
    report.warnings.clear()
    report.no_panel.clear()


class _Writer:
    """Writes each patient's result as it comes: one JSON object (a list from the second
    patient on), JSONL or CSV rows, or a table per patient."""

    def __init__(self, fmt: Format) -> None:
        self.fmt, self.count = fmt, 0
        self.first: dict[str, Any] | None = None

    def write(self, result: dict[str, Any]) -> None:
        self.count += 1
        if self.fmt is Format.json:
            if self.count == 1:
                self.first = result  # one patient is printed as an object, not a list
                return
            if self.count == 2:
                output.write_raw("[\n" + _indented(self.first) + ",\n")
            else:
                output.write_raw(",\n")
            output.write_raw(_indented(result))
        elif self.fmt is Format.jsonl:
            output.write_jsonl(flat_rows([result]))
        elif self.fmt is Format.csv:
            rows = flat_rows([result])
            for row in rows:
                row["met"] = [x["criterion"] for x in row["reasons"] if x["result"] == "met"]
            output.write_csv(rows, CSV_COLUMNS, header=self.count == 1)
        else:
            render_table([result])

    def close(self) -> None:
        if self.fmt is Format.json:
            if self.count == 1:
                output.write_json(self.first)
            elif self.count > 1:
                output.write_raw("\n]\n")
            else:
                output.write_json([])


def _indented(obj: Any) -> str:
    """A list item as `json.dumps(list, indent=2)` prints it."""
    return "\n".join("  " + line for line in output.json_text(obj).splitlines())


def find_command(
    patient: Path = typer.Argument(..., help="patient.json (one profile, a list, or JSONL)."),
    db: Path = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
    top: int = typer.Option(None, "--top", "-n", min=1, help="Show only the best N trials."),
    include_all: bool = typer.Option(False, "--all", help="Include ineligible trials."),
    any_status: bool = typer.Option(False, "--any-status", help="Also trials and cohorts "
                                    "that are not recruiting or not yet recruiting."),
    near: str = typer.Option(None, "--near", help="Keep trials with a recruiting site near "
                             "\"LAT,LON\" or \"City, Country\" (built-in list of major "
                             "cities)."),
    within: float = typer.Option(None, "--within", help="Radius for --near in km "
                                 "(default 100)."),
    wait: float = WAIT_OPTION,
) -> None:
    """Find the trials a patient may join, best first, with reasons."""
    from trialmatch.app.find import FindReport, find_iter

    place, within_km = _place(near, within)
    report = FindReport()
    writer = _Writer(output.resolve(fmt))
    for result in find_iter(patient, report, db=db, top=top, include_ineligible=include_all,
                            statuses=None if any_status else OPEN_STATUSES, near=place,
                            within_km=within_km, wait=wait):
        _notes(report)
        writer.write(result)
    if report.problems and not writer.count:
        from trialmatch.errors import InputError

        raise InputError(f"{patient}: invalid patient profile", report.problems)
    _notes(report)
    writer.close()
    if report.closed_trials:
        output.info(f"note: {report.closed_trials} trial(s) not recruiting were left out "
                    "(--any-status shows them)")
    if place is not None:
        kind = "site" if any_status else "recruiting site"
        output.info(f"note: {report.far_trials} trial(s) were left out for having no {kind} "
                    f"within {within_km:g} km of {place.label}")
    if report.problems:
        for p in report.problems:
            output.error(p)
        output.error(f"{len(report.problems)} problem(s); the other patients were matched")
        raise typer.Exit(EXIT_PARTIAL)


def _place(near: str | None, within: float | None):
    """(Place or None, radius in km) from --near / --within, checked (exit 2 when bad)."""
    from trialmatch.errors import UsageError

    if within is not None and (within != within or within < 0):
        raise UsageError("--within: the distance must be a number of kilometres >= 0")
    if near is None:
        if within is not None:
            raise UsageError("--within needs --near (the place to measure from)")
        return None, None
    from trialmatch.geo import resolve_place

    return resolve_place(near), DEFAULT_WITHIN_KM if within is None else within


def register(app: typer.Typer) -> None:
    app.command("find")(find_command)
