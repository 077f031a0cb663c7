"""Explaining a batch's matches once per *explanation class*, not once per patient.

A match object (DESIGN 2.3) of a (patient, cohort) pair, as `app.find.build_matches` makes
it, depends on only these inputs: the cohort, the values of its root and literals, the
patient's cancer type (cancer-type reasons and closeness) and the ontology paths (`via`) that
connect the patient's findings and prior drugs to the met alteration, fusion and
prior-therapy criteria. Pairs that agree on all of them get the same object, so bulk computes
the class key of every matched pair in SQL, builds the object once per new class (on one
representative pair, with `bulk.documents.DocumentBuilder`, which makes what `build_matches`
makes from parts prepared once per cohort and per batch), and stores it once (`result_docs`,
addressed by content); each result row points to it. The bulk-equals-find test checks that
the key leaves nothing out."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pyarrow as pa

from trialmatch.bulk.documents import DocumentBuilder
from trialmatch.match.engine import Matcher
from trialmatch.ontology import Ontology
from trialmatch.rank.reasons import Literal, via
from trialmatch.rules.dsl import parse_text
from trialmatch.rules.facts import PatientFacts
from trialmatch.store.db import Store, registered

SETUP = [
    # the evaluable leaves of every cohort, numbered in reading order (a literal is such a
    # leaf or a `not` right above it; the leaf's value determines the literal's)
    """CREATE OR REPLACE TEMP TABLE b_lits AS
       SELECT n.cohort_key, n.leaf_id,
              row_number() OVER (PARTITION BY n.cohort_key ORDER BY n.node_key) AS ord
       FROM nodes n JOIN leaves l ON l.leaf_id = n.leaf_id AND l.kind <> 'unparsed'
       WHERE n.op = 'leaf'""",
    # the cohorts whose match object can depend on the patient's cancer type: those with a
    # cancer-type criterion (its reason's `via`, the cancer-type part of the score)
    """CREATE OR REPLACE TEMP TABLE b_dx AS
       SELECT DISTINCT b.cohort_key FROM b_lits b JOIN leaves l USING (leaf_id)
       WHERE l.kind = 'diagnosis'""",
    """CREATE OR REPLACE TEMP TABLE b_classes (ckey VARCHAR, trial_id VARCHAR,
        cohort VARCHAR, status VARCHAR, score DOUBLE, doc_id VARCHAR)""",
    "CREATE OR REPLACE TEMP TABLE b_via (patient_id VARCHAR, leaf_id INTEGER, via_id INTEGER)",
    # the match objects new in this run, written to `result_docs` when the run completes
    "CREATE OR REPLACE TEMP TABLE s_docs AS SELECT * FROM main.result_docs LIMIT 0",
]

PAIRS = """
CREATE OR REPLACE TEMP TABLE b_pairs AS
SELECT patient_id, cohort_key, v AS root FROM roots WHERE v IS NULL OR v > 0
"""

# (patient, leaf) pairs whose `via` may be non-empty: met alteration, fusion and prior
# criteria, and fusion criteria of patients with a fusion (a fusion's `via` names the
# family member even when the partner does not match)
VIA_NEEDED = """
SELECT lt.patient_id, lt.leaf_id FROM lt JOIN leaves l ON l.leaf_id = lt.leaf_id
WHERE l.kind IN ('alteration', 'fusion', 'prior')
  AND (lt.v = 2 OR (l.kind = 'fusion' AND lt.patient_id IN
       (SELECT patient_id FROM p_findings WHERE type = 'fusion')))
"""

# the class key of every matched pair: a 128-bit digest of the cohort, the root value, the
# patient's cancer type (for cohorts with a cancer-type criterion: only those read it) and
# the multiset {(literal, its leaf's value, via)} (a sum of element hashes). Leaf values
# (`lt`, one row per patient and leaf) determine the literal values.
KEYS = """
CREATE OR REPLACE TEMP TABLE b_keys AS
WITH lv AS (
    SELECT m.patient_id, m.cohort_key,
           sum(hash(l.ord, coalesce(x.v, 9), coalesce(bv.via_id, 0))::HUGEINT) AS h1,
           sum(hash(l.ord, coalesce(x.v, 9), coalesce(bv.via_id, 0), 'tm')::HUGEINT) AS h2
    FROM b_pairs m JOIN b_lits l ON l.cohort_key = m.cohort_key
    LEFT JOIN lt x ON x.patient_id = m.patient_id AND x.leaf_id = l.leaf_id
    LEFT JOIN b_via bv ON bv.patient_id = m.patient_id AND bv.leaf_id = l.leaf_id
    GROUP BY m.patient_id, m.cohort_key)
SELECT m.patient_id, m.cohort_key, m.root,
       concat_ws('|', m.cohort_key, coalesce(m.root, 9),
                 CASE WHEN dx.cohort_key IS NULL THEN '*' ELSE coalesce(pp.oncotree, '') END,
                 coalesce(lv.h1, 0), coalesce(lv.h2, 0)) AS ckey
FROM b_pairs m JOIN p_patients pp ON pp.patient_id = m.patient_id
LEFT JOIN b_dx dx ON dx.cohort_key = m.cohort_key
LEFT JOIN lv ON lv.patient_id = m.patient_id AND lv.cohort_key = m.cohort_key
"""

# the batch's classes not built yet, numbered so they can be built in bounded chunks
NEW_CLASSES = """
CREATE OR REPLACE TEMP TABLE b_new AS
SELECT row_number() OVER (ORDER BY ckey) AS i, * FROM (
    SELECT k.ckey, any_value(k.patient_id) AS patient_id,
           any_value(k.cohort_key) AS cohort_key, any_value(k.root) AS root
    FROM b_keys k WHERE k.ckey NOT IN (SELECT ckey FROM b_classes)
    GROUP BY k.ckey)
"""
NEW_CHUNK = "SELECT ckey, patient_id, cohort_key, root FROM b_new WHERE i > ? AND i <= ? ORDER BY i"
# the batch's rows: every matched pair, best cohort per trial (as `find` chooses it)
STAGE_ROWS = """
INSERT INTO stage
SELECT k.patient_id, c.trial_id, c.cohort, c.status, c.score, c.doc_id
FROM b_keys k JOIN b_classes c ON c.ckey = k.ckey
QUALIFY row_number() OVER (
    PARTITION BY k.patient_id, c.trial_id
    ORDER BY CASE c.status WHEN 'eligible' THEN 0 WHEN 'possible' THEN 1 ELSE 2 END,
             c.score DESC, c.cohort) = 1
"""

_REASONS = '[{"criterion": "VARCHAR", "result": "VARCHAR", "text": "VARCHAR", "via": ["VARCHAR"]}]'
# each document is parsed twice (its strings, its JSON parts), not once per field
INSERT_DOCS = f"""
INSERT INTO s_docs
SELECT doc_id, doc, s[1], s[2], from_json(j[1], '{_REASONS}'), from_json(j[2], '["VARCHAR"]'),
       CAST(s[3] AS INTEGER), s[4], s[5], j[3]
FROM (SELECT d.doc_id, d.doc,
             json_extract_string(d.doc, ['$.title', '$.phase', '$.manual_review',
                                         '$.cohort_label', '$.trial_status']) AS s,
             json_extract(d.doc, ['$.reasons', '$.unknown', '$.score_parts']) AS j
      FROM $new_docs d
      WHERE d.doc_id NOT IN (SELECT doc_id FROM main.result_docs)
        AND d.doc_id NOT IN (SELECT doc_id FROM s_docs))
"""


class Explainer:
    """Builds and stages the match objects of each evaluated batch.

    Memory is bounded by `chunk` (match objects built at once) and `via_cache_size`, not by
    the number of matches: on real trials almost every matched pair is its own class (many
    literals, patient-specific ontology paths), so a batch of 1,000 patients against a real
    corpus can hold millions of new classes.
    """

    chunk = 5_000
    via_cache_size = 200_000

    def __init__(self, store: Store, matcher: Matcher, ont: Ontology) -> None:
        self.store, self.con, self.matcher, self.ont = store, store.con, matcher, ont
        self.leaves: dict[int, Any] = {}
        self.via_ids: dict[str, int] = {"[]": 0}  # a via path's JSON -> its id
        self.via_paths: list[list[str]] = [[]]  # id -> the path
        self.via_texts: list[str] = ["[]"]  # id -> the path as the documents write it
        self.docs = DocumentBuilder(self.con, ont)
        self.via_cache: dict[tuple, int] = {}
        for ddl in SETUP:
            self.con.execute(ddl)

    def stage(self, patients: list[PatientFacts]) -> None:
        """After `matcher.evaluate(..., fetch=False)`: stage the batch's result rows."""
        con = self.con
        con.execute(PAIRS)
        by_id = {p.id: p for p in patients}
        self.docs.new_batch()
        self._vias(by_id)
        con.execute(KEYS)
        con.execute(NEW_CLASSES)
        n = con.execute("SELECT count(*) FROM b_new").fetchall()[0][0]
        if n:
            self.docs.new_values([p.id for p in patients],
                                 *self.matcher.leaf_values([p.id for p in patients]))
        for start in range(0, n, self.chunk):
            self._build(start, start + self.chunk, by_id)
        con.execute(STAGE_ROWS)

    # ------------------------------------------------------------------ via paths
    def _leaf(self, leaf_id: int):
        node = self.leaves.get(leaf_id)
        if node is None:
            canon = self.con.execute("SELECT canon FROM leaves WHERE leaf_id = ?",
                                     [leaf_id]).fetchall()[0][0]
            node = self.leaves[leaf_id] = parse_text(canon)
        return node

    def _via_id(self, leaf_id: int, p: PatientFacts) -> int:
        key = (leaf_id, p.findings, p.prior_therapies, p.oncotree)
        vid = self.via_cache.get(key)
        if vid is None:
            leaf = self._leaf(leaf_id)
            path = via(Literal(leaf, leaf, "", False, 2), p, self.ont)
            text = json.dumps(path)
            vid = self.via_ids.get(text)
            if vid is None:
                vid = self.via_ids[text] = len(self.via_paths)
                self.via_paths.append(path)
                self.via_texts.append(json.dumps(path, ensure_ascii=False))
            if len(self.via_cache) >= self.via_cache_size:
                self.via_cache.clear()
            self.via_cache[key] = vid
        return vid

    def _vias(self, by_id: dict[str, PatientFacts]) -> None:
        need = self.con.execute(VIA_NEEDED).fetchall()
        rows = [(pid, lid, self._via_id(lid, by_id[pid])) for pid, lid in need]
        # the paths just found serve the documents too (`via` of a leaf and patient)
        paths, known = self.via_paths, self.docs.vias
        texts = self.via_texts
        for pid, lid, vid in rows:
            known[(lid, pid)] = (paths[vid], texts[vid])
        via_rows = pa.table({"patient_id": pa.array([r[0] for r in rows], pa.string()),
                             "leaf_id": pa.array([r[1] for r in rows], pa.int32()),
                             "via_id": pa.array([r[2] for r in rows], pa.int32())})
        self.con.execute("DELETE FROM b_via")
        with registered(self.con, via_rows) as name:
            self.con.execute(f"INSERT INTO b_via SELECT * FROM {name}")

    # ------------------------------------------------------------------ classes
    def _build(self, lo: int, hi: int, by_id: dict[str, PatientFacts]) -> None:
        """Build one match object per new class numbered in (lo, hi], from its
        representative pair."""
        new = self.con.execute(NEW_CHUNK, [lo, hi]).fetchall()
        self.docs.prepare({ck for _, _, ck, _ in new})
        classes, docs = [], {}
        document, values, sha1 = self.docs.document, self.docs.values, hashlib.sha1
        for ckey, pid, ck, root in new:
            trial_id, cohort, status, score, doc = document(ck, root, values(ck, pid),
                                                            by_id[pid])
            doc_id = sha1(doc.encode()).hexdigest()[:20]
            docs[doc_id] = doc
            classes.append((ckey, trial_id, cohort, status, score, doc_id))
        self._insert_classes(classes)
        self._insert_docs(docs)

    def _insert_classes(self, classes: list[tuple]) -> None:
        cols = list(zip(*classes))
        types = [pa.string()] * 4 + [pa.float64(), pa.string()]
        names = ["ckey", "trial_id", "cohort", "status", "score", "doc_id"]
        class_rows = pa.Table.from_arrays(
            [pa.array(list(c), t) for c, t in zip(cols, types)], names=names)
        with registered(self.con, class_rows) as name:
            self.con.execute(f"INSERT INTO b_classes SELECT * FROM {name}")

    def _insert_docs(self, docs: dict[str, str]) -> None:
        new_docs = pa.table({"doc_id": pa.array(list(docs), pa.string()),
                             "doc": pa.array(list(docs.values()), pa.string())})
        with registered(self.con, new_docs) as name:
            self.con.execute(INSERT_DOCS.replace("$new_docs", name))
