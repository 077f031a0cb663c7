"""`bulk.documents.DocumentBuilder` writes, byte for byte, the JSON of the match objects
`build_matches` makes (the code `find` prints them with), for every (patient, cohort) pair: eligible,
possible and ineligible ones, with and without a cancer type, over many patients whose
`via` paths and cancer-type closeness are cached across pairs."""

from __future__ import annotations

import json

from conftest import ROOT, TODAY, read_jsonl, synth

from trialmatch.app.catalog import open_catalog
from trialmatch.app.find import build_matches
from trialmatch.bulk.documents import DocumentBuilder
from trialmatch.match.engine import CohortValue, Matcher
from trialmatch.match.vector import NO_VALUE
from trialmatch.patients import normalize_records
from trialmatch.patients.read import RawRecord


def test_documents_equal_build_matches(db):
    raw = read_jsonl(ROOT / "examples" / "cohort.jsonl") + synth.patients(40, seed=17)
    for i, p in enumerate(raw[:6]):  # the same facts without a cancer type
        raw.append({k: v for k, v in p.items() if k != "diagnosis"} | {"id": f"NODX-{i}"})
    store, ont = open_catalog(db)
    try:
        patients = normalize_records([RawRecord(p, "test", "") for p in raw], ont,
                                     TODAY).patients
        assert len(patients) == len(raw)
        matcher = Matcher(store, ont)
        values = matcher.evaluate(patients, every_cohort=True)
        by_id = {p.id: p for p in patients}
        leaf_values: dict[str, dict[int, int]] = {}
        for pid, leaf_id, v in store.con.execute(
                "SELECT patient_id, leaf_id, v FROM lt WHERE v IS NOT NULL").fetchall():
            leaf_values.setdefault(pid, {})[leaf_id] = v
        builder = DocumentBuilder(store.con, ont)
        builder.prepare({v.cohort_key for v in values})
        ids = [p.id for p in patients]
        builder.new_values(ids, *matcher.leaf_values(ids))
        # build_matches keeps the best cohort per (patient, trial): one round per cohort rank
        rounds: list[dict[tuple[str, str], CohortValue]] = []
        for v in values:
            key = (v.patient_id, v.trial_id)
            free = next((r for r in rounds if key not in r), None)
            if free is None:
                free = {}
                rounds.append(free)
            free[key] = v
        compared, statuses = 0, set()
        for r in rounds:
            expected = build_matches(list(r.values()), patients, matcher,
                                     include_ineligible=True)
            for v in r.values():
                want = next(m for m in expected[v.patient_id] if m["trial_id"] == v.trial_id)
                mine = leaf_values.get(v.patient_id, {})
                leaves = builder.values(v.cohort_key, v.patient_id)
                assert leaves == [mine.get(t.leaf_id, NO_VALUE)
                                  for t in builder.templates[v.cohort_key].lits]
                trial_id, cohort, status, score, doc = builder.document(
                    v.cohort_key, v.value, leaves, by_id[v.patient_id])
                assert doc == json.dumps(want, ensure_ascii=False), (v.patient_id, v.trial_id)
                assert (trial_id, cohort, status, score) == (
                    want["trial_id"], want["cohort"], want["status"], want["score"])
                compared += 1
                statuses.add(status)
        assert compared == len(values) > 5_000
        assert statuses == {"eligible", "possible", "ineligible"}
    finally:
        store.close()
