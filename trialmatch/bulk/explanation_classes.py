"""Explaining a batch's matches once per *explanation class*, not once per patient.

A match object (DESIGN 2.3) of a (patient, cohort) pair, as `app.find.build_matches` makes
it, depends on only these inputs: the cohort, the values of its root and literals, the
patient's cancer type (cancer-type reasons and closeness) and the ontology paths (`via`) that
connect the patient's findings and prior drugs to the met alteration, fusion and
prior-therapy criteria. Pairs that agree on all of them get the same object, so bulk computes
the class key of every matched pair (numpy over the batch's leaf values), builds the object
once per new class (on one representative pair, with `bulk.documents.DocumentBuilder`, which
makes what `build_matches` makes from parts prepared once per cohort and per batch), and
stores it once (`result_docs`, addressed by content); each result row points to it. The
bulk-equals-find test checks that the key leaves nothing out."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pyarrow as pa

from trialmatch.bulk.docprocess import DocumentProcess, Job
from trialmatch.bulk.documents import DocumentBuilder, value_matrix
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
    # the match objects new in this run, written to `result_docs` when the run completes
    "CREATE OR REPLACE TEMP TABLE s_docs AS SELECT * FROM main.result_docs LIMIT 0",
    # the classes built or being built (with a document process, a batch's classes reach
    # `b_classes` only when the next batch has been matched), and the keys of the pairs
    # whose rows wait for them
    "CREATE OR REPLACE TEMP TABLE b_sent (ckey VARCHAR)",
    "CREATE OR REPLACE TEMP TABLE b_pending (patient_id VARCHAR, ckey VARCHAR)",
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

# the class key of every matched pair: the cohort, the root value, the patient's cancer type
# (for cohorts with a cancer-type criterion: only those read it) and a 128-bit digest of the
# multiset {(literal, its leaf's value, via)} (two sums of element hashes, `_digests`, computed
# in numpy from the batch's leaf x patient values: no join of every pair with its literals)
KEYS = """
CREATE OR REPLACE TEMP TABLE b_keys AS
SELECT m.patient_id, m.cohort_key, m.root,
       concat_ws('|', m.cohort_key, coalesce(m.root, 9),
                 CASE WHEN dx.cohort_key IS NULL THEN '*' ELSE coalesce(pp.oncotree, '') END,
                 m.h1, m.h2) AS ckey
FROM $digests m JOIN p_patients pp ON pp.patient_id = m.patient_id
LEFT JOIN b_dx dx ON dx.cohort_key = m.cohort_key
"""
# the matched pairs with the column of their patient in the batch's matrices
PAIR_ROWS = """SELECT m.patient_id, m.cohort_key, m.root, x.i FROM b_pairs m
JOIN $index x USING (patient_id)"""
LITS = "SELECT cohort_key, ord, leaf_id FROM b_lits ORDER BY cohort_key, ord"

# the batch's classes not built yet, numbered so they can be built in bounded chunks
NEW_CLASSES = """
CREATE OR REPLACE TEMP TABLE b_new AS
SELECT row_number() OVER (ORDER BY ckey) AS i, * FROM (
    SELECT k.ckey, any_value(k.patient_id) AS patient_id,
           any_value(k.cohort_key) AS cohort_key, any_value(k.root) AS root
    FROM b_keys k ANTI JOIN b_sent c ON c.ckey = k.ckey
    GROUP BY k.ckey)
"""
NEW_CHUNK = "SELECT ckey, patient_id, cohort_key, root FROM b_new WHERE i > ? AND i <= ? ORDER BY i"
# the batch's rows: every matched pair, best cohort per trial (as `find` chooses it: best
# status, then highest score, then cohort label; the label is unique in a trial, so the order
# is total). A grouped arg_min, not a window over every pair: DuckDB hashes the pairs
# instead of sorting them (most trials have one cohort)
STAGE_ROWS = """
INSERT INTO stage
SELECT patient_id, trial_id, best.cohort, best.status, best.score, best.doc_id FROM (
    SELECT k.patient_id, c.trial_id,
           arg_min({'cohort': c.cohort, 'status': c.status, 'score': c.score,
                    'doc_id': c.doc_id},
                   {'rank': CASE c.status WHEN 'eligible' THEN 0 WHEN 'possible' THEN 1
                                          ELSE 2 END,
                    'score': coalesce(-c.score, 'inf'::DOUBLE), 'cohort': c.cohort}) AS best
    FROM $keys k JOIN b_classes c ON c.ckey = k.ckey
    GROUP BY k.patient_id, c.trial_id)
"""

_REASONS = '[{"criterion": "VARCHAR", "result": "VARCHAR", "text": "VARCHAR", "via": ["VARCHAR"]}]'
# each document is parsed twice (its strings, its JSON parts), not once per field. The
# documents already stored are left out by anti-joins, not `NOT IN`: `s_docs` grows with the
# run (millions of rows at 100,000 patients), and `NOT IN` hashes all of it for every chunk,
# where an anti-join hashes the chunk and scans the doc ids once
INSERT_DOCS = f"""
INSERT INTO s_docs
SELECT doc_id, doc, s[1], s[2], from_json(j[1], '{_REASONS}'), from_json(j[2], '["VARCHAR"]'),
       CAST(s[3] AS INTEGER), s[4], s[5], j[3]
FROM (SELECT d.doc_id, d.doc,
             json_extract_string(d.doc, ['$.title', '$.phase', '$.manual_review',
                                         '$.cohort_label', '$.trial_status']) AS s,
             json_extract(d.doc, ['$.reasons', '$.unknown', '$.score_parts']) AS j
      FROM $new_docs d
      ANTI JOIN main.result_docs r ON r.doc_id = d.doc_id
      ANTI JOIN s_docs s ON s.doc_id = d.doc_id)
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
    key_chunk = 100_000  # pairs whose literals are expanded at once (class keys)

    def __init__(self, store: Store, matcher: Matcher, ont: Ontology,
                 process: DocumentProcess | None = None) -> None:
        """`process`: build the documents there, one batch behind (see `bulk.docprocess`);
        `finish` must then be called after the last batch."""
        self.store, self.con, self.matcher, self.ont = store, store.con, matcher, ont
        self.process = process
        self.leaves: dict[int, Any] = {}
        self.via_ids: dict[str, int] = {"[]": 0}  # a via path's JSON -> its id
        self.via_paths: list[list[str]] = [[]]  # id -> the path
        self.via_texts: list[str] = ["[]"]  # id -> the path as the documents write it
        self.docs = DocumentBuilder(self.con, ont)
        self.via_cache: dict[tuple[int, int], int] = {}
        # a patient's `via` inputs (findings, prior therapies, cancer type) -> a small int:
        # the cache key of (leaf, patient) hashes two ints, not the patient's findings
        self.via_profiles: dict[tuple, int] = {}
        self._lits: tuple[np.ndarray, ...] | None = None
        for ddl in SETUP:
            self.con.execute(ddl)

    def stage(self, patients: list[PatientFacts]) -> None:
        """After `matcher.evaluate(..., fetch=False)`: stage the batch's result rows."""
        con = self.con
        con.execute(PAIRS)
        by_id = {p.id: p for p in patients}
        ids = [p.id for p in patients]
        self.docs.new_batch()
        via_rows = self._vias(by_id)
        values = self.matcher.leaf_values(ids)
        self._keys(ids, values, via_rows)
        con.execute(NEW_CLASSES)
        n = con.execute("SELECT count(*) FROM b_new").fetchall()[0][0]
        if self.process is not None:
            job = self._job(ids, values, by_id) if n else None
            self.finish()  # the previous batch's documents, and its rows
            con.execute("INSERT INTO b_sent SELECT ckey FROM b_new")
            con.execute("INSERT INTO b_pending SELECT patient_id, ckey FROM b_keys")
            if job is None:
                self._stage_pending()
            else:
                self.process.submit(job)
            return
        if n:
            self.docs.new_values(ids, *values)
        for start in range(0, n, self.chunk):
            self._build(start, start + self.chunk, by_id)
        con.execute("INSERT INTO b_sent SELECT ckey FROM b_new")
        con.execute(STAGE_ROWS.replace("$keys", "b_keys"))

    def finish(self) -> None:
        """With a document process: wait for the documents of the batch it is building,
        store them and stage that batch's rows. Nothing to do otherwise."""
        if self.process is None or not self.process.busy:
            return
        classes, docs = self.process.result()
        for lo in range(0, len(classes), self.chunk):
            self._insert_classes(classes[lo:lo + self.chunk])
        self._insert_docs(docs)
        self._stage_pending()

    def _stage_pending(self) -> None:
        self.con.execute(STAGE_ROWS.replace("$keys", "b_pending"))
        self.con.execute("DELETE FROM b_pending")

    def _job(self, ids: list[str], values: tuple[Any, Any, Any],
             by_id: dict[str, PatientFacts]) -> Job:
        """What the document process needs for the batch's new classes (`b_new`)."""
        classes = self.con.execute(
            "SELECT ckey, patient_id, cohort_key, root FROM b_new ORDER BY i").fetchall()
        reps = {pid for _, pid, _, _ in classes}
        matrix, leaves = value_matrix(len(ids), *values)
        vias = {k: v for k, v in self.docs.vias.items() if k[1] in reps}
        return Job(classes, {pid: by_id[pid] for pid in reps}, ids, matrix, leaves, vias)

    # ------------------------------------------------------------------ via paths
    def _leaf(self, leaf_id: int):
        node = self.leaves.get(leaf_id)
        if node is None:
            canon = self.con.execute("SELECT canon FROM leaves WHERE leaf_id = ?",
                                     [leaf_id]).fetchall()[0][0]
            node = self.leaves[leaf_id] = parse_text(canon)
        return node

    def _via_id(self, leaf_id: int, profile: int, p: PatientFacts) -> int:
        key = (leaf_id, profile)
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
            self.via_cache[key] = vid
        return vid

    def _profiles(self, by_id: dict[str, PatientFacts]) -> dict[str, int]:
        """Each patient's profile number (equal `via` inputs, equal number). The cache and
        the numbering are dropped together when either grows past `via_cache_size`."""
        if (len(self.via_cache) >= self.via_cache_size
                or len(self.via_profiles) >= self.via_cache_size):
            self.via_cache.clear()
            self.via_profiles.clear()
        profiles = self.via_profiles
        out = {}
        for pid, p in by_id.items():
            key = (p.findings, p.prior_therapies, p.oncotree)
            n = profiles.get(key)
            if n is None:
                n = profiles[key] = len(profiles)
            out[pid] = n
        return out

    def _vias(self, by_id: dict[str, PatientFacts]) -> list[tuple[str, int, int]]:
        need = self.con.execute(VIA_NEEDED).fetchall()
        profile = self._profiles(by_id)
        via_id = self._via_id
        rows = [(pid, lid, via_id(lid, profile[pid], by_id[pid])) for pid, lid in need]
        # the paths just found serve the documents too (`via` of a leaf and patient)
        paths, known = self.via_paths, self.docs.vias
        texts = self.via_texts
        for pid, lid, vid in rows:
            known[(lid, pid)] = (paths[vid], texts[vid])
        return rows

    # ------------------------------------------------------------------ class keys
    def _literals(self) -> tuple[np.ndarray, ...]:
        """The evaluable literals of every cohort (static for the run), as arrays: cohort keys
        (sorted), the start of each cohort's literals, their count; each literal's reading
        number and the row of its leaf in `leaf_ids` (the distinct leaves)."""
        if self._lits is None:
            got = self.con.execute(LITS).fetchnumpy()
            ck = np.asarray(got["cohort_key"], dtype=np.int64)
            leaf = np.asarray(got["leaf_id"], dtype=np.int64)
            cohorts, starts, counts = np.unique(ck, return_index=True, return_counts=True)
            leaf_ids = np.unique(leaf)
            self._lits = (cohorts, starts, counts,
                          np.asarray(got["ord"], dtype=np.uint64),
                          np.searchsorted(leaf_ids, leaf), leaf_ids)
        return self._lits

    def _keys(self, ids: list[str], values: tuple[Any, Any, Any],
              via_rows: list[tuple[str, int, int]]) -> None:
        """`b_keys`: the class key of every pair of `b_pairs` (see KEYS)."""
        cohorts, starts, counts, ords, lit_rows, leaf_ids = self._literals()
        n = len(ids)
        index, leaf, v = values
        # leaf x patient matrices over the literals' leaves: value (9: none) and via id (0: [])
        vals = np.full((len(leaf_ids), n), 9, dtype=np.uint8)
        rows = np.searchsorted(leaf_ids, leaf)
        ok = (rows < len(leaf_ids)) & (leaf_ids[np.minimum(rows, len(leaf_ids) - 1)] == leaf)
        vals[rows[ok], index[ok]] = v[ok]
        vias = np.zeros((len(leaf_ids), n), dtype=np.uint32)
        if via_rows:
            column = {pid: j for j, pid in enumerate(ids)}
            vleaf = np.fromiter((r[1] for r in via_rows), np.int64, len(via_rows))
            vcol = np.fromiter((column[r[0]] for r in via_rows), np.int64, len(via_rows))
            vid = np.fromiter((r[2] for r in via_rows), np.uint32, len(via_rows))
            rows = np.searchsorted(leaf_ids, vleaf)
            ok = ((rows < len(leaf_ids))
                  & (leaf_ids[np.minimum(rows, len(leaf_ids) - 1)] == vleaf))
            vias[rows[ok], vcol[ok]] = vid[ok]
        tm_index = pa.table({"patient_id": pa.array(ids, pa.string()),
                             "i": pa.array(range(n), pa.int32())})
        with registered(self.con, tm_index) as name:
            pairs = self.con.sql(PAIR_ROWS.replace("$index", name)).to_arrow_table()
        ck = pairs.column("cohort_key").to_numpy().astype(np.int64)
        col = pairs.column("i").to_numpy().astype(np.int64)
        h1 = np.zeros(len(ck), dtype=np.uint64)
        h2 = np.zeros(len(ck), dtype=np.uint64)
        at = np.searchsorted(cohorts, ck)
        known = (at < len(cohorts)) & (cohorts[np.minimum(at, len(cohorts) - 1)] == ck)
        for lo in range(0, len(ck), self.key_chunk):
            sel = np.arange(lo, min(lo + self.key_chunk, len(ck)))
            sel = sel[known[sel]]
            if len(sel):
                h1[sel], h2[sel] = _digests(starts[at[sel]], counts[at[sel]], col[sel],
                                            ords, lit_rows, vals, vias)
        digests = pairs.drop_columns(["i"]).append_column(
            "h1", pa.array(h1.view(np.int64))).append_column("h2", pa.array(h2.view(np.int64)))
        with registered(self.con, digests) as name:
            self.con.execute(KEYS.replace("$digests", name))

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


_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_SEED1, _SEED2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xD1B54A32D192ED03)


def _mixed(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a 64-bit hash of each element (uint64, wrapping)."""
    x = (x ^ (x >> np.uint64(30))) * _MIX1
    x = (x ^ (x >> np.uint64(27))) * _MIX2
    return x ^ (x >> np.uint64(31))


def _digests(starts: np.ndarray, counts: np.ndarray, cols: np.ndarray, ords: np.ndarray,
             lit_rows: np.ndarray, vals: np.ndarray, vias: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """For each pair (its cohort's literals at `starts`, `counts`; its patient's column):
    two 64-bit sums, over its literals, of a hash of (reading number, leaf value, via id).
    A sum is a hash of the multiset, whatever the order; two make 128 bits."""
    ends = np.cumsum(counts)
    total = int(ends[-1])
    pair = np.repeat(np.arange(len(counts)), counts)
    lit = starts[pair] + (np.arange(total) - (ends - counts)[pair])
    row, col = lit_rows[lit], cols[pair]
    x = ((ords[lit] << np.uint64(40)) ^ (vals[row, col].astype(np.uint64) << np.uint64(32))
         ^ vias[row, col].astype(np.uint64))
    out = []
    for seed in (_SEED1, _SEED2):
        sums = np.concatenate(([np.uint64(0)], np.cumsum(_mixed(x ^ seed), dtype=np.uint64)))
        out.append(sums[ends] - sums[ends - counts])
    return out[0], out[1]
