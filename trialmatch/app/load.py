"""`trialmatch load`: parse trial files and store them in the catalogue, one transaction per file.

Library first: `load_files(paths, db)` opens the catalogue (`trialmatch.app.catalog.open_catalog`),
reads each file (a MatchMiner CTML trial is read as curated rules, `ingest.ctml`), parses
its good records with the catalogue's ontology, and stores them with
`trialmatch.app.catalog.replace_trials(..., origin="ctgov")` (`"ctml"` for CTML): one transaction
per file, so a file that fails to store changes nothing, and a trial loaded again (same NCT id) is replaced.
Derived tables are refreshed in the same transaction, so `trialmatch find` sees the trials
at once. Bad records are listed in `problems` (file and line or NCT id); the caller exits 3
when some records were rejected and others loaded, 2 when nothing could be loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialmatch.errors import InputError, StoreError, TrialmatchError
from trialmatch.ingest.ctgov import bad_trial_id, read_records
from trialmatch.ingest.ctml import ORIGIN as CTML_ORIGIN
from trialmatch.ingest.ctml import is_ctml_file
from trialmatch.ingest.record import Record

ORIGIN = "ctgov"


@dataclass(slots=True)
class LoadSummary:
    """What a load did: counts for the summary line, and one line per rejected record."""

    files: int = 0
    trials: int = 0
    criteria: int = 0
    biomarker_criteria: int = 0
    manual_review: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "trials": self.trials, "criteria": self.criteria,
                "biomarker_criteria": self.biomarker_criteria,
                "manual_review": self.manual_review, "problems": list(self.problems),
                "notes": list(self.notes)}

    def line(self) -> str:
        return (f"loaded {self.trials} trial{'s' if self.trials != 1 else ''} from "
                f"{self.files} file{'s' if self.files != 1 else ''}: {self.criteria} criteria, "
                f"{self.biomarker_criteria} biomarker criteria, {self.manual_review} criteria "
                f"left for manual review")


def count(trial, summary: LoadSummary) -> None:
    """Add one parsed trial's criteria, biomarker criteria and unparsed criteria.

    A criterion is a top-level item of a cohort's rule written in the trial's text (the age
    and sex read from structured fields are not counted); cohorts share criteria."""
    from trialmatch.nlp.output import biomarkers, unparsed

    seen: set[tuple] = set()
    for cohort in trial.cohorts:
        for item in cohort.rule.children:
            prov = item.prov
            if prov is not None and prov.section == "structured":
                continue
            seen.add((prov.start, prov.end) if prov and prov.start is not None else (id(item),))
    summary.criteria += len(seen)
    summary.biomarker_criteria += len(biomarkers(trial))
    summary.manual_review += len(unparsed(trial))


def _where(record: Record, path: Path) -> str:
    return f"{record.source or path}: {record.nct_id}"


def parse_file(path: Path, summary: LoadSummary, ontology=None, fmt: str | None = None,
               tick: Callable[[], None] | None = None) -> list:
    """The parsed trials of one file (the last record wins for a repeated NCT id); rejected
    records go to `summary.problems`. `fmt` "auto" reads a file that is not recognised as
    eligibility text; `tick()` is called after each record."""
    from trialmatch.nlp.parse import parse_record

    try:
        records, problems = read_records(path, fmt)
    except InputError as exc:
        summary.problems.append(str(exc))
        return []
    summary.problems.extend(problems)
    by_id: dict[str, Any] = {}
    for record in records:
        if tick is not None:
            tick()
        if (bad := bad_trial_id(record.nct_id)) is not None:
            summary.problems.append(f"{record.source or path}: not loaded: the trial id is "
                                    f"{bad}; name a text file after its trial "
                                    "(NCT01234567.txt)")
            continue
        try:
            trial = parse_record(record, ontology)
        except TrialmatchError as exc:
            summary.problems.append(f"{_where(record, path)}: not parsed: {exc}")
            continue
        except Exception as exc:  # a parser bug must not cost the rest of the batch
            summary.problems.append(f"{_where(record, path)}: not parsed (internal error "
                                    f"{type(exc).__name__}; this is a bug)")
            continue
        if record.nct_id in by_id:
            summary.notes.append(f"{_where(record, path)}: appears again in this file; the "
                                 "later record replaces the earlier")
            del by_id[record.nct_id]
        if record.sites is not None:
            trial.extra["sites"] = record.sites  # stored beside the trial (find --near)
        by_id[record.nct_id] = trial
    return list(by_id.values())


def ctml_file(path: Path, summary: LoadSummary, ontology=None) -> list:
    """The trial of a MatchMiner CTML file (its rules are curated: stored as read, never
    parsed from text); a bad file goes to `summary.problems` whole."""
    from trialmatch.ingest.ctml import read_ctml

    try:
        trial, notes = read_ctml(path, ontology)
    except InputError as exc:
        summary.problems.append(str(exc))
        return []
    summary.notes.extend(notes)
    return [trial]


def load_files(paths: Iterable[str | Path], db: str | Path | None = None, *,
               progress: Callable[[Path, int], None] | None = None,
               wait: float = 0.0, fmt: str | None = None,
               tick: Callable[[], None] | None = None) -> LoadSummary:
    """Parse and store every trial record in `paths` (see the module docstring).

    `progress(path, n_trials)` is called after each file is stored, `tick()` after each
    record is parsed; `fmt` "auto" reads unrecognised files as eligibility text."""
    import duckdb

    from trialmatch.app.catalog import open_catalog, replace_trials
    from trialmatch.store.db import corrupt_message, is_corrupt_error

    summary = LoadSummary()
    store, ont = open_catalog(db, wait=wait)
    try:
        for raw in paths:
            path = Path(raw)
            summary.files += 1
            origin = CTML_ORIGIN if is_ctml_file(path) else ORIGIN
            trials = (ctml_file(path, summary, ont) if origin == CTML_ORIGIN
                      else parse_file(path, summary, ont, fmt, tick))
            if not trials:
                continue
            try:
                replace_trials(store, ont, trials, origin=origin,
                               sites={t.trial_id: t.extra["sites"] for t in trials
                                      if "sites" in t.extra})
            except (TrialmatchError, duckdb.Error) as exc:
                if is_corrupt_error(exc):  # the database, not this file: stop here
                    raise StoreError(corrupt_message(store.path)) from None
                summary.problems.append(f"{path}: nothing stored from this file: {exc}")
                continue
            summary.trials += len(trials)
            for t in trials:
                count(t, summary)
            if progress is not None:
                progress(path, len(trials))
    finally:
        store.close()
    return summary
