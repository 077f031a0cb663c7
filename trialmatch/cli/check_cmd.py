"""`trialmatch check [PATH...]`: validate curated trial files and the ontology (exit 1 if not)."""

from __future__ import annotations

from pathlib import Path

import typer

from trialmatch.cli import output
from trialmatch.errors import EXIT_CHECK_FAILED, InputError, OntologyError


def check_command(
    paths: list[Path] = typer.Argument(None, help="Curated trial files or folders "
                                       "(default: the embedded criteria/trials)."),
    ontology: Path = typer.Option(None, "--ontology", help="Ontology folder to validate "
                                  "(default: the embedded one).", file_okay=False),
) -> None:
    """Check curated trial files and ontology files; list every problem."""
    from trialmatch.ingest.curated import load_curated_dir, load_curated_file
    from trialmatch.ontology import load_ontology
    from trialmatch.resources import data_dir

    targets = list(paths or [data_dir("criteria") / "trials"])
    problems: list[str] = []
    curated = []
    for target in targets:
        if not target.exists():
            raise InputError(f"{target}: no such file or folder")
        try:
            curated.extend(load_curated_dir(target) if target.is_dir()
                           else [load_curated_file(target)])
        except InputError as exc:
            problems.extend(exc.problems or [str(exc)])
    try:
        ont = load_ontology(ontology)
    except OntologyError as exc:
        problems.extend(exc.problems or [str(exc)])
    else:
        problems.extend(_unknown_terms(curated, ont))
    for p in problems:
        output.error(p)
    if problems:
        output.info(f"{len(problems)} problem(s)")
        raise typer.Exit(EXIT_CHECK_FAILED)
    output.info(f"ok: {len(curated)} curated trial(s) and the ontology are valid")


def _unknown_terms(trials, ont) -> list[str]:
    """Genes, codes, drugs and variant groups of the trials that the ontology lacks."""
    from trialmatch.ontology.check import tree_problems
    from trialmatch.rules.nodes import leaves

    out: list[str] = []
    for t in trials:
        for c in t.cohorts:
            out.extend(f"{t.source or t.trial_id} cohort {c.id}: {m}"
                       for m in tree_problems(ont, leaves(c.rule)))
    return list(dict.fromkeys(out))


def register(app: typer.Typer) -> None:
    app.command("check")(check_command)
