"""Helpers for the ontology tests: the embedded ontology (the mini one while it is absent),
patients from profiles, and matching trials through the SQL matcher and the evaluator."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from trialmatch.app.catalog import replace_trials
from trialmatch.app.find import match_patients
from trialmatch.ontology import Ontology, load_ontology
from trialmatch.patients import normalize_records
from trialmatch.patients.read import RawRecord
from trialmatch.resources import data_dir
from trialmatch.rules.dsl import parse_text
from trialmatch.rules.evaluate import evaluate, status_of
from trialmatch.rules.facts import PatientFacts
from trialmatch.rules.trial import Cohort, Trial
from trialmatch.store.db import Store

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_ontology"
TODAY = date(2026, 11, 21)


def shared_file(*parts: str) -> Path:
    """A path in ../shared/data, or skip (the one helper of tests/conftest.py)."""
    from tests.conftest import shared

    return shared(*parts)


def embedded_or_mini() -> Ontology:
    """The embedded ontology once its files exist, else the mini one."""
    if (data_dir("ontologies") / "cancer_types.tsv").exists():
        return load_ontology()
    return load_ontology(MINI)


def make_patient(ont: Ontology, **profile) -> PatientFacts:
    profile.setdefault("id", "P-T")
    out = normalize_records([RawRecord(profile, "p.json", "")], ont, TODAY)
    assert not out.problems, out.problems
    (p,) = out.patients
    return p


def trial(tid: str, rule: str, **meta) -> Trial:
    return Trial(tid, (Cohort("main", parse_text(rule)),), **meta)


def statuses(ont: Ontology, trials: list[Trial], patients: list[PatientFacts]
             ) -> dict[tuple[str, str], str]:
    """(patient, trial) -> status from the SQL matcher, checked against the evaluator."""
    with Store(memory=True) as store:
        replace_trials(store, ont, trials, "test")
        got = match_patients(store, ont, patients, include_ineligible=True)
    sql = {(pid, m["trial_id"]): m["status"] for pid, ms in got.items() for m in ms}
    ref = {(p.id, t.trial_id): status_of(evaluate(t.cohorts[0].rule, p, ont))
           for p in patients for t in trials}
    assert sql == ref
    return sql
