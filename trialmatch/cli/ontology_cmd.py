"""`trialmatch ontology show|import|sources|reset|check`: look at and extend the ontology."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from trialmatch.cli import output
from trialmatch.cli.output import Format
from trialmatch.errors import EXIT_CHECK_FAILED

MAX_CHILDREN = 40
DB_OPTION = typer.Option(None, "--db", help="Database file (default: $TRIALMATCH_DB, else a "
                         "per-user data directory).", dir_okay=False)
FORMAT_OPTION = typer.Option(None, "--format", "-f", help="Output format (default: table on "
                             "a terminal, json otherwise).", case_sensitive=False)


class Source(StrEnum):
    oncotree = "oncotree"
    hgnc = "hgnc"


ontology_app = typer.Typer(name="ontology", no_args_is_help=True, add_completion=False,
                           rich_markup_mode=None,
                           help="Show ontology terms; import OncoTree and HGNC files.")


def _names(items: list[str], limit: int = MAX_CHILDREN) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items) - limit} more)" if len(items) > limit else "")


def render_terms(terms: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from trialmatch.cli.output import safe as escape

    console = output.out_console()
    for t in terms:
        table = Table(title=f"{t['id']} ({t['kind'].replace('_', ' ')})", title_justify="left",
                      show_header=False, box=None, padding=(0, 2))
        table.add_column("field", style="bold")
        table.add_column("value", overflow="fold")
        for key, value in t.items():
            if key in ("id", "kind") or value in (None, [], ""):
                continue
            text = _names([str(v) for v in value]) if isinstance(value, list) else str(value)
            table.add_row(key.replace("_", " "), escape(text))
        console.print(table)


@ontology_app.command("show")
def show_command(
    term: str = typer.Argument(..., help='A code, symbol, alias, drug, class or group: LUAD, '
                               'HER2, osimertinib, "EGFR sensitizing".'),
    db: Path = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Show a term: the node, its synonyms, parents and children."""
    from trialmatch.app.ontology_admin import show_term

    terms = show_term(term, db=db)
    fmt = output.resolve(fmt)
    if fmt is Format.json:
        output.write_json(terms[0] if len(terms) == 1 else terms)
    elif fmt is Format.jsonl:
        output.write_jsonl(terms)
    elif fmt is Format.csv:
        output.write_csv(terms, ["id", "kind", "name", "synonyms", "parents", "children"])
    else:
        render_terms(terms)


@ontology_app.command("import")
def import_command(
    source: Source = typer.Argument(..., help="oncotree (JSON tree or TSV) or hgnc (TSV).",
                                    case_sensitive=False),
    file: Path = typer.Argument(..., help="The file to import.", dir_okay=False),
    replace: bool = typer.Option(False, "--replace", help="Replace the embedded cancer types "
                                 "or genes instead of extending them."),
    db: Path = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
    wait: float = typer.Option(0.0, "--wait", min=0.0, help="Wait up to S seconds for "
                               "another trialmatch process on the database to finish."),
) -> None:
    """Import an official OncoTree or HGNC file into the database's ontology."""
    from trialmatch.app.ontology_admin import import_ontology

    with output.progress(f"importing {source.value}"):
        report = import_ontology(source.value, file, db=db, replace=replace, wait=wait)
    for w in report.warnings:
        output.warn(w)
    for n in report.notes:
        output.info(f"note: {n}")
    what = "tumour types" if source is Source.oncotree else "approved genes"
    summary = f"imported {report.rows} {what} from {file} ({report.mode}): " \
              f"{len(report.added)} new"
    if source is Source.oncotree:
        summary += f"; {len(report.successors)} revoked or renamed codes now read as " \
                   "their successors"
    output.info(summary)
    if fmt in (Format.json, Format.jsonl):
        output.write_json(report.to_dict())


@ontology_app.command("sources")
def sources_command(db: Path = DB_OPTION, fmt: Format = FORMAT_OPTION) -> None:
    """List the files imported into the database's ontology."""
    from trialmatch.app.ontology_admin import ontology_sources

    rows = ontology_sources(db)
    fmt = output.resolve(fmt)
    if fmt is Format.table:
        if not rows:
            output.info("no imported files: the embedded ontology is in use")
        for r in rows:
            output.out_console().print(f"{r['name']}: {r['file']} ({r['mode']}, {r['rows']} "
                                       f"rows, {r['imported_at']})", markup=False)
    elif fmt is Format.csv:
        output.write_csv(rows, ["name", "mode", "file", "rows", "imported_at"])
    elif fmt is Format.jsonl:
        output.write_jsonl(rows)
    else:
        output.write_json(rows)


@ontology_app.command("reset")
def reset_command(
    source: Source = typer.Argument(None, help="Forget only this source (default: all).",
                                    case_sensitive=False),
    db: Path = DB_OPTION,
) -> None:
    """Forget imported files; the embedded ontology is used again."""
    from trialmatch.app.ontology_admin import reset_ontology

    n = reset_ontology(source.value if source else None, db=db)
    output.info(f"removed {n} imported source(s)")


@ontology_app.command("check")
def check_command(db: Path = DB_OPTION) -> None:
    """List terms of stored trials that the ontology does not know (exit 1 if any)."""
    from trialmatch.app.ontology_admin import check_terms

    problems = check_terms(db=db)
    for p in problems:
        output.error(p)
    if problems:
        output.info(f"{len(problems)} unknown or revoked term(s)")
        raise typer.Exit(EXIT_CHECK_FAILED)
    output.info("ok: every term of the stored trials is known")


def register(app: typer.Typer) -> None:
    app.add_typer(ontology_app, name="ontology")
