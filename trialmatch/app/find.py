"""`trialmatch find`, library face: the patients of one file matched, explained and ranked.

`find` / `find_iter` return plain data (DESIGN 2.3); `build_matches` makes the match objects
from the matcher's rows, for `bulk` too (`bulk.explanation_classes`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from trialmatch.app.catalog import open_catalog
from trialmatch.geo import Place
from trialmatch.match.engine import CohortValue, Matcher
from trialmatch.match.place import OPEN_STATUSES, find_scope
from trialmatch.ontology import Ontology
from trialmatch.patients import LoadedPatients, iter_patients
from trialmatch.patients.read import iter_records
from trialmatch.rank.reasons import Literal, explain_literals
from trialmatch.rank.score import score, sort_key
from trialmatch.rules.dsl import parse_text
from trialmatch.rules.evaluate import status_of
from trialmatch.rules.facts import PatientFacts
from trialmatch.rules.nodes import Node, Not, Provenance, with_prov
from trialmatch.store.db import Store

SCHEMA_VERSION = 1


@dataclass
class FindReport:
    results: list[dict[str, Any]] = field(default_factory=list)  # one per patient
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    no_panel: list[str] = field(default_factory=list)  # patient ids matched without a panel
    closed_trials: int = 0  # trials left out for their status (none with `statuses=None`)
    far_trials: int = 0  # open trials left out for having no wanted site in range


@lru_cache(maxsize=65536)
def _literal_node(canon: str, words: str | None, negated: bool) -> tuple[Node, Node]:
    """(node, leaf) of a stored literal, carrying the trial's words (cached: they recur)."""
    prov = Provenance(text=words) if words else None
    leaf = with_prov(parse_text(canon), prov)
    return (Not(leaf, prov=prov) if negated else leaf), leaf


def build_matches(values: list[CohortValue], patients: list[PatientFacts], matcher: Matcher,
                  *, include_ineligible: bool) -> dict[str, list[dict[str, Any]]]:
    """The DESIGN 2.3 match objects per patient: best cohort per trial, ranked.

    Everything comes from SQL rows of the last evaluation (literal values, the trial's
    words, trial and cohort metadata); no trial document is decoded."""
    wanted = {(v.patient_id, v.cohort_key): v for v in values
              if include_ineligible or v.value != 0}
    rows, info_rows = matcher.literal_rows(list(wanted))
    info = {r[0]: r for r in info_rows}
    lits: dict[tuple[str, int], list[Literal]] = {key: [] for key in wanted}
    for pid, ck, path, words, negated, canon, v in rows:
        node, leaf = _literal_node(canon, words, bool(negated))
        lits[(pid, ck)].append(Literal(node, leaf, path, bool(negated), v))
    by_patient = {p.id: p for p in patients}
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for (pid, ck), v in wanted.items():
        _, trial_id, cohort_id, label, cohort_status, manual, title, phase, trial_status = \
            info[ck]
        p = by_patient[pid]
        status = status_of(v.value)
        reasons, unknown, cohort_lits = explain_literals(
            lits[(pid, ck)], p, matcher.ontology, with_failures=status == "ineligible")
        total, parts = score(cohort_lits, p, matcher.ontology, cohort_status or trial_status,
                             phase, len(unknown))
        match = {"trial_id": trial_id, "cohort": cohort_id, "title": title, "phase": phase,
                 "status": status, "score": total, "reasons": reasons, "unknown": unknown,
                 "manual_review": manual, "cohort_label": label, "trial_status": trial_status,
                 "score_parts": parts}
        key = (pid, trial_id)
        if key not in best or sort_key(match) < sort_key(best[key]):
            best[key] = match
    out: dict[str, list[dict[str, Any]]] = {p.id: [] for p in patients}
    for (pid, _), match in best.items():
        out[pid].append(match)
    for matches in out.values():
        matches.sort(key=sort_key)
    return out


def match_patients(store: Store, ont: Ontology, patients: list[PatientFacts], *,
                   include_ineligible: bool = False, cohorts: list[int] | None = None
                   ) -> dict[str, list[dict[str, Any]]]:
    """`cohorts`: match only these cohort keys (None: every cohort)."""
    matcher = Matcher(store, ont)
    values = matcher.evaluate(patients, every_cohort=include_ineligible, cohorts=cohorts)
    return build_matches(values, patients, matcher, include_ineligible=include_ineligible)


def find(patient_file: str | Path, *, db: str | Path | None = None, top: int | None = None,
         include_ineligible: bool = False, today: date | None = None,
         ontology: Ontology | None = None,
         statuses: Collection[str] | None = OPEN_STATUSES, near: Place | None = None,
         within_km: float | None = None, wait: float | None = None) -> FindReport:
    """Match the patient(s) of one file against the stored trials that are open for
    recruitment (`statuses`; None: any status) and, with `near`, have a wanted site within
    `within_km` of it (each match then names its nearest site). See `match.place`;
    `wait`: see `open_catalog`."""
    report = FindReport()
    report.results.extend(find_iter(patient_file, report, db=db, top=top,
                                    include_ineligible=include_ineligible, today=today,
                                    ontology=ontology, statuses=statuses, near=near,
                                    within_km=within_km, wait=wait))
    return report


def find_iter(patient_file: str | Path, report: FindReport, *, db: str | Path | None = None,
              top: int | None = None, include_ineligible: bool = False,
              today: date | None = None, ontology: Ontology | None = None,
              statuses: Collection[str] | None = OPEN_STATUSES, near: Place | None = None,
              within_km: float | None = None, wait: float | None = None
              ) -> Iterator[dict[str, Any]]:
    """`find`, one patient at a time: each patient's result is yielded as soon as it is
    matched (a JSONL file of any size is read line by line); warnings, rejected records,
    patients without a panel and the trials the status and place filters left out are added
    to `report` as they are met."""
    if within_km is not None and (within_km < 0 or within_km != within_km):
        from trialmatch.errors import UsageError

        raise UsageError("--within: the distance must be a number of kilometres >= 0")
    store, ont = open_catalog(db, ontology, read_only=True, wait=wait)
    # One patient at a time: DuckDB's statements here touch a few thousand rows, and with
    # several worker threads each costs more in hand-offs than it gains (measured on the
    # embedded trials and on the 10,000-trial real corpus; issue 12's start-up figure).
    store.con.execute("SET threads = 1")
    try:
        scope = find_scope(store.con, statuses, near, within_km)
        report.closed_trials, report.far_trials = scope.closed_trials, scope.far_trials
        matcher = Matcher(store, ont)
        seen = LoadedPatients(warnings=report.warnings, problems=report.problems)
        for p in iter_patients(iter_records(Path(patient_file)), ont, today, seen):
            values = matcher.evaluate([p], every_cohort=include_ineligible,
                                      cohorts=scope.cohorts)
            matches = build_matches(values, [p], matcher,
                                    include_ineligible=include_ineligible)[p.id]
            if near is not None:
                for m in matches:
                    m["nearest_site"] = scope.nearest.get(m["trial_id"])
            if p.tested_genes is None:
                report.no_panel.append(p.id)
            yield {"schema_version": SCHEMA_VERSION, "patient_id": p.id,
                   "matches": matches if top is None else matches[:top]}
    finally:
        store.close()
