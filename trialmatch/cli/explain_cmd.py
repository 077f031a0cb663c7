"""`trialmatch explain PATIENT TRIAL_ID`: every criterion of one trial for one patient."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from trialmatch.cli import output
from trialmatch.cli.find_cmd import WAIT_OPTION
from trialmatch.cli.output import Format

_MARK = {"met": ("✔", "green"), "not met": ("✘", "red"), "unknown": ("?", "yellow"),
         "manual review": ("…", "cyan")}
_STATUS = {"eligible": "green", "possible": "yellow", "ineligible": "red"}
CSV_COLUMNS = ["patient_id", "trial_id", "cohort", "path", "result", "criterion", "text",
               "finding", "via"]


def criteria_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per criterion (connectives included), for CSV."""
    rows: list[dict[str, Any]] = []

    def walk(node: dict[str, Any], cohort: str, path: str) -> None:
        rows.append({"patient_id": doc["patient_id"], "trial_id": doc["trial_id"],
                     "cohort": cohort, "path": path or "/", **{k: node.get(k) for k in (
                         "result", "criterion", "text", "finding", "via")}})
        for i, child in enumerate(node.get("children", [])):
            walk(child, cohort, f"{path}/{i}")

    for c in doc["cohorts"]:
        walk(c["tree"], c["id"], "")
    return rows


def _label(node: dict[str, Any]) -> str:
    from trialmatch.cli.output import safe as escape

    mark, colour = _MARK[node["result"]]
    head = f"[{colour}]{mark} {node['result']}[/{colour}]  {escape(node['criterion'])}"
    if "children" in node:
        return head
    parts = [head]
    if node.get("text") and node["text"] not in node["criterion"]:
        parts.append(f'[dim]"{escape(node["text"])}"[/dim]')
    if node.get("finding"):
        parts.append(f"patient: {escape(node['finding'])}")
    if node.get("via"):
        parts.append(f"[dim]via {escape(' → '.join(node['via']))}[/dim]")
    return "\n".join(parts)


def _tree(node: dict[str, Any], into) -> None:
    branch = into.add(_label(node))
    for child in node.get("children", []):
        _tree(child, branch)


def render_table(doc: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.tree import Tree

    from trialmatch.cli.output import safe as escape

    console = output.out_console()
    colour = _STATUS[doc["status"]]
    console.print(f"[bold]{escape(doc['trial_id'])}[/bold] {escape(doc['title'] or '')}")
    console.print(f"patient {escape(doc['patient_id'])}: [{colour}]{doc['status']}[/{colour}]"
                  f" (best cohort {escape(doc['best_cohort'])})")
    for c in doc["cohorts"]:
        colour = _STATUS[c["status"]]
        title = (f"cohort [bold]{escape(c['id'])}[/bold]"
                 f"{' – ' + escape(c['label']) if c['label'] else ''}: "
                 f"[{colour}]{c['status']}[/{colour}], score {c['score']:.2f}, "
                 f"{c['manual_review']} for manual review")
        tree = Tree(title)
        _tree(c["tree"], tree)
        console.print(tree)
        parts = Table(show_header=True, box=None, padding=(0, 1))
        for col in ("factor", "weight", "value", "why", "via"):
            parts.add_column(col)
        for p in c["score_parts"]:
            parts.add_row(p["factor"], f"{p['weight']:.2f}", f"{p['value']:.2f}",
                          escape(str(p["why"])), escape(" → ".join(p.get("via") or [])))
        console.print(parts)


def explain_command(
    patient: Path = typer.Argument(..., help="patient.json (one profile; with several, "
                                   "choose with --patient)."),
    trial_id: str = typer.Argument(..., help="Trial id, e.g. NCT01234567 or TM-LUNG-001."),
    db: Path = typer.Option(None, "--db", help="Database file (default: $TRIALMATCH_DB, "
                            "else a per-user data directory).", dir_okay=False),
    fmt: Format = typer.Option(None, "--format", "-f", help="Output format (default: table "
                               "on a terminal, json otherwise).", case_sensitive=False),
    patient_id: str = typer.Option(None, "--patient", help="The patient to explain when the "
                                   "file holds several."),
    wait: float = WAIT_OPTION,
) -> None:
    """Explain one trial for one patient: every criterion, met or not, and why."""
    from trialmatch.app.explain import explain_trial

    doc = explain_trial(patient, trial_id, db=db, patient_id=patient_id, wait=wait)
    for w in doc["warnings"]:
        output.warn(w)
    fmt = output.resolve(fmt)
    if fmt is Format.json:
        output.write_json(doc)
    elif fmt is Format.jsonl:
        output.write_jsonl([doc])
    elif fmt is Format.csv:
        output.write_csv(criteria_rows(doc), CSV_COLUMNS)
    else:
        render_table(doc)


def register(app: typer.Typer) -> None:
    app.command("explain")(explain_command)
