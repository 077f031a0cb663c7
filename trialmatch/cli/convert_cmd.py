"""`trialmatch convert FILE --to patient-json`: what trialmatch understood of a patient file.

Reads any patient form `find` and `bulk` read (patient.json, JSONL, a FHIR R4 Bundle, a GA4GH
Phenopacket) and prints the patient.json v1 profile(s) on stdout; what a reader could not map
goes to stderr as warnings naming the field's path. Exit 2 when no record could be read, 3 when
some were rejected (the others are printed).
"""

from __future__ import annotations

from pathlib import Path

import typer

from trialmatch.cli import output
from trialmatch.errors import EXIT_PARTIAL, InputError, UsageError

TARGETS = ("patient-json",)


def convert_command(
    file: Path = typer.Argument(..., help="Patient file: patient.json, JSONL, a FHIR R4 "
                                "Bundle (JSON) or a GA4GH Phenopacket v2 (JSON)."),
    to: str = typer.Option("patient-json", "--to", help="Target form: patient-json (the "
                           "patient.json v1 profile)."),
) -> None:
    """Show the patient.json v1 profile(s) a patient file is read as."""
    from trialmatch.app.convert import convert_patients

    if to.lower() not in TARGETS:
        raise UsageError(f"unknown target {to!r}; expected one of {', '.join(TARGETS)}")
    result = convert_patients(file)
    for w in result.warnings:
        output.warn(w)
    if not result.profiles:
        raise InputError(f"{file}: no patient could be read", result.problems)
    profiles = result.profiles
    output.write_json(profiles[0] if len(profiles) == 1 else profiles)
    if result.problems:
        for p in result.problems:
            output.error(p)
        output.error(f"{len(result.problems)} problem(s); the other patients were converted")
        raise typer.Exit(EXIT_PARTIAL)


def register(app: typer.Typer) -> None:
    app.command("convert")(convert_command)
