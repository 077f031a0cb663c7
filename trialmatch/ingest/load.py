"""`trialmatch load`: parse trial files and store them, one transaction per file.

Library first: `load_files(paths, store)` reads each file, parses its good records, and hands
them to `store.replace_trials` (the store replaces trials with the same NCT id and owns the
transaction: a file that fails to store changes nothing). Bad records are listed in
`problems`; the caller exits 3 when there are some and others loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialmatch.errors import InputError, TrialmatchError
from trialmatch.ingest.ctgov import read_records


@dataclass(slots=True)
class LoadSummary:
    """What a load did: counts for the summary line, and one line per rejected record."""

    files: int = 0
    trials: int = 0
    criteria: int = 0
    biomarker_criteria: int = 0
    manual_review: int = 0
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "trials": self.trials, "criteria": self.criteria,
                "biomarker_criteria": self.biomarker_criteria,
                "manual_review": self.manual_review, "problems": list(self.problems)}


def count(trial, summary: LoadSummary) -> None:
    """Add one parsed trial's criteria, biomarker criteria and unparsed criteria."""
    from trialmatch.nlp.output import biomarkers, unparsed

    seen: set[tuple] = set()
    for cohort in trial.cohorts:
        for item in cohort.rule.children:
            prov = item.prov
            key = (prov.start, prov.end) if prov and prov.start is not None else (id(item),)
            seen.add(key)
    summary.criteria += len(seen)
    summary.biomarker_criteria += len(biomarkers(trial))
    summary.manual_review += len(unparsed(trial))


def load_files(paths: Iterable[str | Path], store, ontology=None) -> LoadSummary:
    """Parse and store every trial record in `paths` (see the module docstring)."""
    from trialmatch.nlp.parse import parse_record

    summary = LoadSummary()
    for path in paths:
        summary.files += 1
        try:
            records, problems = read_records(path)
        except InputError as exc:
            summary.problems.append(str(exc))
            continue
        summary.problems.extend(problems)
        trials = []
        for record in records:
            try:
                trials.append(parse_record(record, ontology))
            except TrialmatchError as exc:
                summary.problems.append(f"{record.source or path}: {record.nct_id}: {exc}")
        if not trials:
            continue
        try:
            store.replace_trials(trials)
        except TrialmatchError as exc:
            summary.problems.append(f"{path}: not stored: {exc}")
            continue
        summary.trials += len(trials)
        for t in trials:
            count(t, summary)
    return summary
