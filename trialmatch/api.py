"""The library face of every command: plain functions returning plain data.

The CLI parses arguments, calls one of these, and hands the result to its output layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from trialmatch.catalog import open_catalog, stored_trials
from trialmatch.match.engine import CohortValue, Matcher
from trialmatch.ontology import Ontology
from trialmatch.patients import LoadedPatients, load_patients
from trialmatch.rank.reasons import explain_cohort
from trialmatch.rank.score import score, sort_key
from trialmatch.rules.evaluate import status_of
from trialmatch.rules.facts import PatientFacts
from trialmatch.rules.trial import Trial
from trialmatch.store.db import Store

SCHEMA_VERSION = 1


@dataclass
class FindReport:
    results: list[dict[str, Any]] = field(default_factory=list)  # one per patient
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    no_panel: list[str] = field(default_factory=list)  # patient ids matched without a panel


def build_matches(values: list[CohortValue], patients: list[PatientFacts], matcher: Matcher,
                  trials: dict[str, Trial], *, include_ineligible: bool
                  ) -> dict[str, list[dict[str, Any]]]:
    """The DESIGN 2.3 match objects per patient: best cohort per trial, ranked."""
    wanted = [v for v in values if include_ineligible or v.value != 0]
    node_values = matcher.node_values([(v.patient_id, v.cohort_key) for v in wanted])
    by_patient = {p.id: p for p in patients}
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for v in wanted:
        trial = trials[v.trial_id]
        cohort = next(c for c in trial.cohorts if c.id == v.cohort_id)
        p = by_patient[v.patient_id]
        status = status_of(v.value)
        vals = node_values.get((v.patient_id, v.cohort_key), {})
        reasons, unknown, lits = explain_cohort(cohort.rule, vals, p, matcher.ontology,
                                                with_failures=status == "ineligible")
        total, parts = score(lits, p, matcher.ontology, cohort.status or trial.status,
                             trial.phase, len(unknown))
        match = {"trial_id": trial.trial_id, "cohort": cohort.id, "title": trial.title,
                 "phase": trial.phase, "status": status, "score": total, "reasons": reasons,
                 "unknown": unknown, "manual_review": trial.manual_review(cohort),
                 "cohort_label": cohort.label, "trial_status": trial.status,
                 "score_parts": parts}
        key = (v.patient_id, trial.trial_id)
        if key not in best or sort_key(match) < sort_key(best[key]):
            best[key] = match
    out: dict[str, list[dict[str, Any]]] = {p.id: [] for p in patients}
    for (pid, _), match in best.items():
        out[pid].append(match)
    for matches in out.values():
        matches.sort(key=sort_key)
    return out


def match_patients(store: Store, ont: Ontology, patients: list[PatientFacts], *,
                   include_ineligible: bool = False) -> dict[str, list[dict[str, Any]]]:
    matcher = Matcher(store, ont)
    values = matcher.evaluate(patients, every_cohort=include_ineligible)
    trials = stored_trials(store, [v.trial_id for v in values
                                   if include_ineligible or v.value != 0])
    return build_matches(values, patients, matcher, trials,
                         include_ineligible=include_ineligible)


def find(patient_file: str | Path, *, db: str | Path | None = None, top: int | None = None,
         include_ineligible: bool = False, today: date | None = None,
         ontology: Ontology | None = None) -> FindReport:
    """Match the patient(s) of one file against every stored trial."""
    store, ont = open_catalog(db, ontology)
    try:
        loaded: LoadedPatients = load_patients(Path(patient_file), ont, today)
        report = FindReport(warnings=loaded.warnings, problems=loaded.problems)
        if not loaded.patients:
            return report
        per_patient = match_patients(store, ont, loaded.patients,
                                     include_ineligible=include_ineligible)
    finally:
        store.close()
    for p in loaded.patients:
        matches = per_patient[p.id]
        if top is not None:
            matches = matches[:top]
        report.results.append({"schema_version": SCHEMA_VERSION, "patient_id": p.id,
                               "matches": matches})
        if p.tested_genes is None:
            report.no_panel.append(p.id)
    return report
