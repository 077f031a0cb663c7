"""The shortcuts of large bulk batches give what `find` gives, on patients built to differ
only in the facts a shortcut groups by.

* The CNF of every cohort is folded over leaf-truth arrays (`match.vector`), every pair at
  once, instead of the gated join: patients the gates would drop, or keep, must come out
  the same.
* A match object is built once per explanation class, and the class reads the patient's
  cancer type only for cohorts with a cancer-type criterion: patients who differ only in
  their cancer type share the object of a cohort without one, and get their own where the
  cohort names a cancer type (plainly or under a `not`).
"""

from __future__ import annotations

from conftest import TODAY, read_jsonl, write_jsonl

from trialmatch.app.catalog import open_catalog, replace_trials
from trialmatch.app.find import find
from trialmatch.bulk import run_bulk
from trialmatch.rules.dsl import parse_text
from trialmatch.rules.trial import Cohort, Trial

RULES = {
    "T-AGE": "all(age >= 18, ecog <= 2)",  # no cancer type: one class for every cancer type
    "T-LUNG": "all(diagnosis(NSCLC), age >= 18)",
    "T-NOT-BREAST": "all(not(diagnosis(BRCA)), ecog <= 1)",
    "T-EGFR": "all(alteration(EGFR, mutation), any(diagnosis(LUAD), ecog <= 0))",
    "T-GATELESS": 'all(sex = female, unparsed("measurable disease"), age < 70)',
    "T-EMPTY": 'unparsed("investigator judgement")',  # nothing evaluable: possible for all
}
CANCERS = ["LUAD", "LUSC", "NSCLC", "BRCA", "IDC", "COAD", None]


def _patients() -> list[dict]:
    out = []
    for i, cancer in enumerate(CANCERS * 3):
        p = {"id": f"S-{i:03d}", "age": (17, 45, 75)[i // len(CANCERS)], "sex": "female",
             "ecog": 1, "tested_genes": ["EGFR", "KRAS"],
             "alterations": [{"gene": "EGFR", "type": "mutation", "protein": "p.L858R"}]}
        if cancer:
            p["diagnosis"] = {"oncotree": cancer}
        out.append(p)
    return out


def _db(tmp_path):
    path = tmp_path / "shortcuts.duckdb"
    store, ont = open_catalog(path)
    try:
        trials = [Trial(tid, (Cohort("main", parse_text(rule)),), title=tid)
                  for tid, rule in RULES.items()]
        replace_trials(store, ont, trials, "test")
    finally:
        store.close()
    return path


def test_vector_fold_and_classes_equal_find(tmp_path, monkeypatch):
    from trialmatch.bulk.documents import DocumentBuilder
    from trialmatch.match.engine import Matcher

    db = _db(tmp_path)
    cohort = write_jsonl(tmp_path / "cohort.jsonl", _patients())
    out = tmp_path / "results.jsonl"
    built: list[str] = []  # the trial of every match object built
    build = DocumentBuilder.document

    def spy(self, ck, root, values, p):
        built.append(self.templates[ck].info[0])
        return build(self, ck, root, values, p)

    monkeypatch.setattr(DocumentBuilder, "document", spy)
    # one batch of all patients, on the large-batch path
    monkeypatch.setattr(Matcher, "single_pass_limit", 0)
    report = run_bulk(cohort, db=db, out=out, batch_size=100, today=TODAY)
    rows = read_jsonl(out)
    expected = find(cohort, db=db, today=TODAY, statuses=None)
    assert not expected.problems
    by_patient: dict[str, list[dict]] = {}
    for r in rows:
        by_patient.setdefault(r.pop("patient_id"), []).append(r)
    for r in expected.results:
        assert by_patient.get(r["patient_id"], []) == r["matches"], r["patient_id"]
    assert report.matches == len(rows) > 0
    # every patient is possible for the trial with nothing evaluable
    assert sum(r["trial_id"] == "T-EMPTY" for r in rows) == len(CANCERS) * 3
    # patients of one age differ only in their cancer type: a cohort without a cancer-type
    # criterion is explained once for all of them (and ages 45 and 75 read the same), one
    # with a criterion once per cancer type it matches: LUAD, LUSC, NSCLC and not given
    # (unknown); under the `not`, COAD too (BRCA and its IDC are not met)
    assert built.count("T-AGE") == 1 and built.count("T-GATELESS") == 1
    assert built.count("T-LUNG") == 4
    assert built.count("T-NOT-BREAST") == 5


def _rows(db) -> list[tuple]:
    from trialmatch.store.db import Store

    with Store(db) as store:
        return store.con.execute("""SELECT r.patient_id, r.trial_id, r.cohort, r.status,
                                           r.score, CAST(d.doc AS VARCHAR)
                                    FROM results r JOIN result_docs d USING (doc_id)
                                    ORDER BY 1, 2""").fetchall()


def test_vector_fold_on_changed_trials_only(tmp_path, monkeypatch):
    """`--since-last-run` re-matches unchanged patients against the changed trials only: the
    array fold then reads the CNF of those cohorts alone, and the results equal a full run."""
    import shutil

    from trialmatch.match.engine import Matcher

    monkeypatch.setattr(Matcher, "single_pass_limit", 0)
    db = _db(tmp_path)
    cohort = write_jsonl(tmp_path / "cohort.jsonl", _patients())
    run_bulk(cohort, db=db, today=TODAY)
    store, ont = open_catalog(db)
    try:  # the age trial now wants patients of 50 or more, and a cancer type
        rule = parse_text("all(age >= 50, any(diagnosis(NSCLC), diagnosis(COAD)))")
        replace_trials(store, ont, [Trial("T-AGE", (Cohort("main", rule),), title="T-AGE")],
                       "test")
    finally:
        store.close()
    full_db = tmp_path / "full.duckdb"
    shutil.copy(db, full_db)
    report = run_bulk(cohort, db=db, since_last_run=True, today=TODAY)
    assert report.partial == len(CANCERS) * 3 and report.changed_trials == 1
    assert report.lost > 0  # the patients of 45 no longer match it
    run_bulk(cohort, db=full_db, today=TODAY)
    assert _rows(db) == _rows(full_db)
