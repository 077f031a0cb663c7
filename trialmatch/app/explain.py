"""`explain`: one patient against one trial, criterion by criterion.

The trial's whole tree, every node marked met / not met / unknown / manual review, with the
trial's words, the patient's finding it was checked against and the ontology path that
connected the two. Values come from the SQL matcher (every cohort evaluated); the
reference evaluator computes them again and any disagreement is reported as a warning
(it would be a bug).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from trialmatch.app.catalog import open_catalog, stored_trials
from trialmatch.errors import InputError, UsageError
from trialmatch.match.engine import Matcher
from trialmatch.ontology import Ontology
from trialmatch.ontology.check import tree_problems
from trialmatch.ontology.terms import unknown_message
from trialmatch.patients import load_patients
from trialmatch.rank.findings import finding_text
from trialmatch.rank.reasons import Literal, explain_cohort, via
from trialmatch.rank.score import score, sort_key
from trialmatch.rules.english import describe
from trialmatch.rules.evaluate import evaluate, status_of
from trialmatch.rules.facts import PatientFacts
from trialmatch.rules.nodes import CONNECTIVES, Diagnosis, Node, Not, leaves
from trialmatch.rules.trial import Cohort, Trial
from trialmatch.store.db import Store

SCHEMA_VERSION = 1
RESULTS = {2: "met", 1: "unknown", 0: "not met", None: "manual review"}
_CONNECTIVE_WORDS = {"all": "all of", "any": "any of", "not": "none of"}


def closest_ids(wanted: str, ids: list[str], limit: int = 5) -> list[str]:
    from rapidfuzz import fuzz, process, utils

    hits = process.extract(wanted, ids, scorer=fuzz.WRatio, processor=utils.default_process,
                           limit=limit, score_cutoff=50)
    return [h[0] for h in sorted(hits, key=lambda h: (-h[1], h[0]))]


def resolve_trial_id(store: Store, wanted: str) -> str:
    """The stored trial id for `wanted` (exact, else case-insensitive), or UsageError
    naming the closest ids."""
    ids = [r[0] for r in store.con.execute("SELECT trial_id FROM trials").fetchall()]
    if wanted in ids:
        return wanted
    folded = [i for i in ids if i.lower() == wanted.strip().lower()]
    if len(folded) == 1:
        return folded[0]
    raise UsageError(unknown_message("trial id", wanted, closest_ids(wanted, ids)))


def pick_patient(patients: list[PatientFacts], patient_id: str | None) -> PatientFacts:
    if patient_id is None:
        if len(patients) == 1:
            return patients[0]
        raise UsageError(f"the file holds {len(patients)} patients; choose one with "
                         f"--patient ({', '.join(p.id for p in patients[:5])}"
                         f"{', ...' if len(patients) > 5 else ''})")
    for p in patients:
        if p.id == patient_id:
            return p
    raise UsageError(unknown_message("patient id", patient_id,
                                     closest_ids(patient_id, [p.id for p in patients])))


# ----------------------------------------------------------------------------- the tree

def _paths(node: Node, path: str = "") -> dict[int, str]:
    """id(node) -> its path in the tree ("" root, "/0", "/0/1"), as the matcher names them."""
    out = {id(node): path}
    for i, child in enumerate(node.children):
        out.update(_paths(child, f"{path}/{i}"))
    return out


def _text(*nodes: Node) -> str | None:
    for n in nodes:
        if n.prov is not None and n.prov.text:
            return n.prov.text
    return None


def _section(*nodes: Node) -> str | None:
    for n in nodes:
        if n.prov is not None and n.prov.section:
            return n.prov.section
    return None


def _via(leaf: Node, node: Node, path: str, leaf_value: int | None, p: PatientFacts,
         ont: Ontology) -> list[str]:
    if leaf_value == 2:
        return via(Literal(node, leaf, path, node is not leaf, leaf_value), p, ont)
    if isinstance(leaf, Diagnosis) and leaf_value == 1 and p.oncotree:
        return ont.cancer_path(leaf.code, p.oncotree)  # the trial's type lies below
    return []


def node_report(node: Node, values: dict[str, int], p: PatientFacts, ont: Ontology,
                path: str = "") -> dict[str, Any]:
    """One node of the explained tree (criteria are leaves, or `not` over a leaf)."""
    value = values.get(path)
    if isinstance(node, CONNECTIVES) and not (isinstance(node, Not)
                                              and not isinstance(node.item, CONNECTIVES)):
        return {"kind": node.kind, "result": RESULTS[value],
                "criterion": _CONNECTIVE_WORDS[node.kind], "text": _text(node),
                "children": [node_report(c, values, p, ont, f"{path}/{i}")
                             for i, c in enumerate(node.children)]}
    negated = isinstance(node, Not)
    leaf = node.item if isinstance(node, Not) else node
    leaf_path = f"{path}/0" if negated else path
    leaf_value = values.get(leaf_path)
    return {"kind": leaf.kind, "negated": negated, "result": RESULTS[value],
            "criterion": describe(node), "text": _text(node, leaf),
            "section": _section(node, leaf), "finding": finding_text(leaf, p, ont),
            "via": _via(leaf, node, path, leaf_value, p, ont)}


def reference_values(root: Node, p: PatientFacts, ont: Ontology) -> dict[str, int]:
    trace: dict[int, int | None] = {}
    evaluate(root, p, ont, trace)
    paths = _paths(root)
    return {paths[k]: v for k, v in trace.items() if v is not None}


def cohort_report(trial: Trial, cohort: Cohort, values: dict[str, int], p: PatientFacts,
                  ont: Ontology) -> dict[str, Any]:
    status = status_of(values.get(""))
    _reasons, unknown, lits = explain_cohort(cohort.rule, values, p, ont,
                                             with_failures=status == "ineligible")
    total, parts = score(lits, p, ont, cohort.status or trial.status, trial.phase,
                         len(unknown))
    return {"id": cohort.id, "label": cohort.label, "status": status, "score": total,
            "unknown": unknown, "manual_review": trial.manual_review(cohort),
            "score_parts": parts, "tree": node_report(cohort.rule, values, p, ont)}


# ----------------------------------------------------------------------------- the command

def explain_trial(patient_file: str | Path, trial_id: str, *, db: str | Path | None = None,
                  patient_id: str | None = None, ontology: Ontology | None = None,
                  today: date | None = None, wait: float | None = None) -> dict[str, Any]:
    """The explained match of one patient and one stored trial (every cohort)."""
    store, ont = open_catalog(db, ontology, read_only=True, wait=wait)
    try:
        loaded = load_patients(Path(patient_file), ont, today)
        if not loaded.patients:
            raise InputError(f"{patient_file}: invalid patient profile", loaded.problems)
        p = pick_patient(loaded.patients, patient_id)
        tid = resolve_trial_id(store, trial_id)
        trial = stored_trials(store, [tid])[tid]
        matcher = Matcher(store, ont)
        mine = [v for v in matcher.evaluate([p], every_cohort=True) if v.trial_id == tid]
        node_values = matcher.node_values([(p.id, v.cohort_key) for v in mine])
        by_cohort = {v.cohort_id: node_values.get((p.id, v.cohort_key), {}) for v in mine}
    finally:
        store.close()
    warnings = list(loaded.warnings)
    cohorts = []
    for cohort in trial.cohorts:
        values = by_cohort.get(cohort.id, {})
        expected = reference_values(cohort.rule, p, ont)
        if expected != values:
            bad = sorted(set(expected.items()) ^ set(values.items()))
            warnings.append(f"cohort {cohort.id}: the SQL matcher and the reference "
                            f"evaluator disagree at {', '.join(sorted({b[0] or '/' for b in bad}))}"
                            " (a bug; the matcher's values are shown)")
        cohorts.append(cohort_report(trial, cohort, values, p, ont))
    warnings.extend(tree_problems(ont, (leaf for c in trial.cohorts for leaf in leaves(c.rule))))
    best = min(cohorts, key=lambda c: sort_key({**c, "trial_id": tid, "cohort": c["id"]}))
    return {"schema_version": SCHEMA_VERSION, "patient_id": p.id, "trial_id": tid,
            "title": trial.title, "phase": trial.phase, "trial_status": trial.status,
            "status": best["status"], "best_cohort": best["id"], "cohorts": cohorts,
            "warnings": warnings}
