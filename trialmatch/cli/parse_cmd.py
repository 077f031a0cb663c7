"""`trialmatch parse FILE | --text TEXT`: what the parser understood, as DESIGN 2.2 objects.

On a terminal (table format) the trial's text is shown with what was understood
highlighted, followed by the biomarker list; json / jsonl print the contract objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from trialmatch.cli import output
from trialmatch.cli.output import Format
from trialmatch.errors import EXIT_PARTIAL, EXIT_USAGE, UsageError

_STYLES = {"gene": "bold cyan", "variant": "bold magenta", "exon": "bold magenta",
           "codon": "magenta", "signature": "bold green", "measure": "bold green",
           "tmb": "bold green", "her2_ihc": "green", "philadelphia": "bold cyan",
           "triple_negative": "bold green", "cancer": "yellow", "drug": "blue", "age": "dim",
           "ecog": "dim", "karnofsky": "dim", "cue": "underline"}


def highlighted(text: str, ontology=None):
    """The text as rich Text with every mention styled by its kind."""
    from rich.text import Text

    from trialmatch.nlp import parse_doc

    doc = parse_doc(text, ontology)
    rich_text = Text(text)
    for m in doc._.tm_mentions:
        style = _STYLES.get(m.label)
        if style:
            rich_text.stylize(style, m.start, m.end)
    return rich_text


_CONNECTIVE_LABELS = {"all": "all of", "any": "any of", "not": "not"}


def rule_tree(rule: dict[str, Any], label: str):
    """A cohort's rule as a rich Tree: all / any / not, each leaf in English with the
    trial's own words under it, and what is left for manual review marked as such."""
    from rich.tree import Tree

    from trialmatch.cli.output import safe as escape
    from trialmatch.rules import load
    from trialmatch.rules.english import describe
    from trialmatch.rules.nodes import CONNECTIVES, Unparsed

    def add(parent, node) -> None:
        if isinstance(node, CONNECTIVES):
            branch = parent.add(f"[bold]{_CONNECTIVE_LABELS[node.kind]}[/bold]")
            for child in node.children:
                add(branch, child)
            return
        words = node.prov.text if node.prov is not None and node.prov.text else None
        if isinstance(node, Unparsed):
            head = "[yellow]manual review[/yellow]" + (
                f" ({escape(node.reason)})" if node.reason else "")
            leaf = parent.add(head)
            leaf.add(f"[dim]{escape(' '.join(node.text.split())[:200])}[/dim]")
            return
        leaf = parent.add(f"[green]{escape(describe(node))}[/green]")
        if words:
            leaf.add(f"[dim]\"{escape(' '.join(words.split())[:200])}\"[/dim]")

    tree = Tree(f"[bold]{escape(label)}[/bold]")
    add(tree, load(rule))
    return tree


def render(objs: list[dict[str, Any]], texts: list[str]) -> None:
    from rich.panel import Panel
    from rich.table import Table

    console = output.out_console()
    for obj, text in zip(objs, texts, strict=False):
        shown = output.CONTROL.sub("\ufffd", text)  # same length: mention offsets hold
        console.print(Panel(highlighted(shown), title=output.safe(obj["trial_id"]),
                            title_align="left"))
        table = Table(title="biomarkers", title_justify="left")
        for col in ("polarity", "gene", "signature", "alteration", "variant", "text"):
            table.add_column(col, overflow="fold")
        for b in obj["biomarkers"]:
            table.add_row(*(output.safe(b[c] or "") for c in ("polarity", "gene", "signature",
                                                                "alteration", "variant", "text")))
        console.print(table)
        for cohort in obj["cohorts"]:
            name = f"cohort {cohort['id']}" + (f": {cohort['label']}" if cohort.get("label")
                                                 else "")
            console.print(rule_tree(cohort["rule"], name))
        console.print(f"cohorts: {output.safe(', '.join(c['id'] for c in obj['cohorts']))}; "
                      f"{len(obj['unparsed'])} criteria for manual review")


def register(app: typer.Typer) -> None:
    @app.command("parse")
    def parse(
        file: Path | None = typer.Argument(None, help="Trial file: API v2 JSON, NDJSON, XML "
                                           "or text.", dir_okay=False),
        text: str | None = typer.Option(None, "--text", help="Eligibility text to parse."),
        fmt: Format | None = typer.Option(None, "--format", "-f", help="table, json or jsonl "
                                          "(default: table on a terminal, json otherwise).",
                                          case_sensitive=False),
    ) -> int:
        """Parse eligibility text into rule trees, biomarkers and unparsed criteria."""
        from trialmatch.ingest import read_records, text_record
        from trialmatch.nlp import parse_output, parse_record

        if (file is None) == (text is None):
            raise UsageError("give a FILE or --text, not both")
        if file is not None:
            if not file.exists():
                raise UsageError(f"{file}: no such file")
            records, problems = read_records(file, fmt="auto")  # nothing is stored
        else:
            records, problems = [text_record(text or "")], []
        for p in problems:
            output.warn(p)
        with output.progress("parsing", total=len(records)) as advance:
            objs = []
            for r in records:
                objs.append(parse_output(parse_record(r)))
                advance()
        fmt = output.resolve(fmt)
        if fmt == Format.table:
            render(objs, [r.eligibility for r in records])
        elif fmt == Format.jsonl:
            output.write_jsonl(objs)
        elif fmt == Format.json:
            output.write_json(objs[0] if len(objs) == 1 and text is not None else objs)
        else:
            raise UsageError("parse writes table, json or jsonl")
        if problems:
            return EXIT_PARTIAL if records else EXIT_USAGE
        return 0
