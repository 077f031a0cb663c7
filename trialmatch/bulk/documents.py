"""The stored match document of an explanation class, built without `build_matches`.

`app.find.build_matches` makes a DESIGN 2.3 match object from the matcher's literal rows:
it parses each literal, describes it, finds its ontology path (`via`) and scores the cohort,
for every (patient, cohort) pair it is given. In a bulk run almost every new explanation
class is a new document (real trials have many literals, and a biomarker's `via` names the
patient's own protein change), so that per-pair work was most of a run's time.

`DocumentBuilder` writes the same objects' JSON (the bulk-equals-find tests and
`tests/bulk/test_documents.py` compare it with `build_matches`) from parts that do not
depend on the patient, prepared once per cohort (`CohortTemplate`: each literal's node,
description, words, specificity, reading order and reason as JSON, the trial's fields as
JSON), and the parts that do, each computed once per batch: the leaf values (the arrays the
matcher read for its fold, as a leaf x patient matrix), the `via` of each (leaf, patient)
and the cancer-type closeness of each (leaf, value, cancer type). The scoring follows
`rank.score.score` step by step, so the floats add up in the same order, and only those
parts are encoded per document, so the JSON text is byte for byte the one `find` would
print, without encoding the trial's words again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

import numpy as np

from trialmatch.app.find import _literal_node
from trialmatch.match.vector import NO_VALUE
from trialmatch.ontology import Ontology
from trialmatch.rank.reasons import LABELS, Literal, via
from trialmatch.rank.score import (
    NO_BIOMARKER,
    NO_CANCER_CRITERION,
    PHASE,
    RECRUITMENT,
    WEIGHTS,
    cancer_closeness,
    specificity,
)
from trialmatch.rules.english import describe
from trialmatch.rules.evaluate import status_of
from trialmatch.rules.facts import PatientFacts
from trialmatch.rules.nodes import Diagnosis

_json = json.JSONEncoder(ensure_ascii=False).encode  # as `json.dumps(x, ensure_ascii=False)`
_str = encode_basestring  # a string as `_json` writes it
NO_PATH: tuple[list[str], str] = ([], "[]")

TEMPLATE_SQL = """
SELECT n.cohort_key, n.path, n.words, n.op = 'not' AS negated, l.canon, n.lit_leaf
FROM nodes n JOIN leaves l ON l.leaf_id = n.lit_leaf
WHERE n.literal AND l.kind <> 'unparsed'
  AND n.cohort_key IN (SELECT unnest(?::INTEGER[]))
ORDER BY n.cohort_key, n.node_key
"""

INFO_SQL = """
SELECT c.cohort_key, c.trial_id, c.cohort_id, c.label, c.status, c.manual_review,
       t.title, t.phase, t.status
FROM cohorts c JOIN trials t ON t.trial_id = c.trial_id
WHERE c.cohort_key IN (SELECT unnest(?::INTEGER[]))
"""


@dataclass(frozen=True, slots=True)
class LiteralTemplate:
    """One literal of a cohort, as far as it does not depend on the patient."""

    literal: Literal  # node, leaf, path, negation (value None: filled per class)
    leaf_id: int
    criterion: str  # describe(node)
    text: str  # the trial's words, else the criterion
    diagnosis: bool
    spec: tuple[float, str] | None  # specificity(leaf) (None for a diagnosis)
    criterion_json: str  # the criterion as JSON (an entry of `unknown`)
    met: str  # its reason as JSON up to the `via` value, met and not met
    not_met: str


@dataclass(frozen=True, slots=True)
class CohortTemplate:
    info: tuple  # trial_id, cohort_id, label, cohort status, manual, title, phase, trial status
    lits: tuple[LiteralTemplate, ...]  # in node order, as `build_matches` reads them
    reading: tuple[int, ...]  # indexes of `lits` in reading order (the score's)
    leaf_ids: tuple[int, ...]  # the distinct leaves of the literals
    head: str  # the document's JSON up to the status value
    tail: str  # from after `unknown` up to the `score_parts` value


class DocumentBuilder:
    """Match objects of (patient, cohort, root value) triples; see the module docstring."""

    def __init__(self, con: Any, ont: Ontology) -> None:
        self.con, self.ont = con, ont
        self.templates: dict[int, CohortTemplate] = {}
        self._spec: dict[int, tuple[float, str]] = {}
        self._closeness: dict[tuple[int, int | None, str | None], tuple[float, str]] = {}
        self._cancer_path: dict[tuple[str, str], tuple[list[str], str]] = {}
        # (leaf, patient) -> via and its JSON, for the current batch
        self.vias: dict[tuple[int, str], tuple[list[str], str]] = {}
        self._matrix: np.ndarray | None = None

    def new_batch(self) -> None:
        """Forget the per-patient `via` paths of the previous batch (patient ids recur)."""
        self.vias = {}
        self._matrix = None

    def new_values(self, ids: list[str], index: np.ndarray, leaf_ids: np.ndarray,
                   values: np.ndarray) -> None:
        """The batch's leaf values (`Matcher.leaf_values`) as a leaf x patient matrix, with
        a last row of no values for leaves that have none in the batch."""
        self.set_values(ids, *value_matrix(len(ids), index, leaf_ids, values))

    def set_values(self, ids: list[str], matrix: np.ndarray, leaves: np.ndarray) -> None:
        """The batch's leaf values as `value_matrix` makes them (patients in `ids` order)."""
        self._matrix, self._leaves = matrix, leaves
        self._column = {pid: j for j, pid in enumerate(ids)}
        self._rows: dict[int, np.ndarray] = {}

    def values(self, ck: int, pid: str) -> list[int]:
        """The value of each literal's leaf of cohort `ck` for patient `pid` of the batch,
        in the template's order, NO_VALUE where it has none."""
        rows = self._rows.get(ck)
        if rows is None:
            want = np.array([t.leaf_id for t in self.templates[ck].lits], dtype=np.int64)
            leaves = self._leaves
            rows = np.searchsorted(leaves, want)
            if len(leaves):
                found = leaves[np.minimum(rows, len(leaves) - 1)] == want
                rows[~found] = len(leaves)
            else:
                rows[:] = 0
            self._rows[ck] = rows
        return self._matrix[rows, self._column[pid]].tolist()  # type: ignore[index]

    # ------------------------------------------------------------------ per cohort
    def prepare(self, cohort_keys: set[int]) -> None:
        """Read the templates of these cohorts that are not read yet."""
        todo = sorted(ck for ck in cohort_keys if ck not in self.templates)
        if not todo:
            return
        info = {r[0]: r[1:] for r in self.con.execute(INFO_SQL, [todo]).fetchall()}
        rows: dict[int, list[tuple]] = {ck: [] for ck in todo}
        for ck, path, words, negated, canon, leaf_id in self.con.execute(
                TEMPLATE_SQL, [todo]).fetchall():
            rows[ck].append((path, words, bool(negated), canon, leaf_id))
        for ck in todo:
            lits = tuple(self._literal(*r) for r in rows[ck])
            reading = sorted(range(len(lits)), key=lambda i: _reading_order(lits[i].literal.path))
            trial_id, cohort_id, label, _, manual, title, phase, trial_status = info[ck]
            head = _json({"trial_id": trial_id, "cohort": cohort_id, "title": title,
                          "phase": phase})[:-1] + ', "status": '
            tail = _json({"manual_review": manual, "cohort_label": label,
                          "trial_status": trial_status})[1:-1]
            self.templates[ck] = CohortTemplate(
                info[ck], lits, tuple(reading), tuple(dict.fromkeys(x.leaf_id for x in lits)),
                head, f', {tail}, "score_parts": ')

    def _literal(self, path: str, words: str | None, negated: bool, canon: str,
                 leaf_id: int) -> LiteralTemplate:
        node, leaf = _literal_node(canon, words, negated)
        lit = Literal(node, leaf, path, negated, None)
        criterion = describe(node)
        diagnosis = isinstance(leaf, Diagnosis)
        spec = None
        if not diagnosis:
            spec = self._spec.get(leaf_id)
            if spec is None:
                spec = self._spec[leaf_id] = specificity(leaf, self.ont)
        text = lit.text or criterion
        met, not_met = (_json({"criterion": criterion, "result": LABELS[v], "text": text,
                               "via": []})[:-3] for v in (2, 0))
        return LiteralTemplate(lit, leaf_id, criterion, text, diagnosis, spec,
                               _json(criterion), met, not_met)

    # ------------------------------------------------------------------ per class
    def via(self, t: LiteralTemplate, p: PatientFacts) -> tuple[list[str], str]:
        """The literal's `via` for the patient, and its JSON."""
        if t.diagnosis:  # depends on the cancer type only
            if not p.oncotree:
                return NO_PATH
            key = (p.oncotree, t.literal.leaf.code)  # type: ignore[attr-defined]
            got = self._cancer_path.get(key)
            if got is None:
                path = via(t.literal, p, self.ont)
                got = self._cancer_path[key] = (path, _json(path))
            return got
        got = self.vias.get((t.leaf_id, p.id))
        if got is None:
            path = via(t.literal, p, self.ont)
            got = self.vias[(t.leaf_id, p.id)] = (path, _json(path))
        return got

    def closeness(self, t: LiteralTemplate, value: int, p: PatientFacts) -> tuple[float, str]:
        key = (t.leaf_id, value, p.oncotree)
        got = self._closeness.get(key)
        if got is None:
            got = self._closeness[key] = cancer_closeness(
                t.literal.leaf, value, p, self.ont)  # type: ignore[arg-type]
        return got

    def document(self, ck: int, root: int | None, values: list[int], p: PatientFacts
                 ) -> tuple[str, str, str, float, str]:
        """(trial id, cohort id, status, score, the match object's JSON) of this pair: the
        object `build_matches` makes, as `json.dumps(..., ensure_ascii=False)` writes it
        (`values`: the value of each literal's leaf for the patient, in template order,
        NO_VALUE when it has none: see `values`).
        The parts that do not depend on the patient are JSON already (the template's)."""
        tmpl = self.templates[ck]
        trial_id, cohort_id, _, cohort_status, _, _, phase, trial_status = tmpl.info
        status = status_of(root)
        with_failures = status == "ineligible"
        lit_values: list[int | None] = []
        for t, x in zip(tmpl.lits, values):
            lit_values.append(None if x < 0 else 2 - x if t.literal.negated else x)
        # rank.reasons.explain_literals: met reasons first, then failures, in order
        reasons: list[str] = []
        failures: list[str] = []
        unknown: list[str] = []
        seen: set[tuple[str, int | None]] = set()
        for t, v in zip(tmpl.lits, lit_values):
            if (t.criterion, v) in seen:
                continue
            seen.add((t.criterion, v))
            if v == 2:
                reasons.append(f"{t.met}{self.via(t, p)[1]}}}")
            elif with_failures and v == 0:
                failures.append(f"{t.not_met}{self.via(t, p)[1] if t.literal.negated else '[]'}}}")
            elif v == 1:
                unknown.append(t.criterion_json)
        reasons += failures
        # rank.score.score
        n_unknown = len(unknown)
        spec_value, spec_why = NO_BIOMARKER, "no matched biomarker criterion"
        spec_lit: LiteralTemplate | None = None
        cancer: tuple[float, str, LiteralTemplate, int] | None = None
        for i in tmpl.reading:
            t, v = tmpl.lits[i], lit_values[i]
            if t.literal.negated or v is None or v not in (1, 2):
                continue
            if t.diagnosis:
                c, why = self.closeness(t, v, p)
                if cancer is None or c > cancer[0]:
                    cancer = (c, why, t, v)
            elif v == 2:
                s, why = t.spec  # type: ignore[misc]
                if s > spec_value:
                    spec_value, spec_why, spec_lit = s, why, t
        spec_part = _part("specificity", spec_value, spec_why, spec_lit,
                          self.via(spec_lit, p)[1] if spec_lit is not None else None)
        if cancer is None:
            cancer_value = NO_CANCER_CRITERION
            cancer_part = _part("cancer_type", cancer_value,
                                "no cancer-type criterion (any cancer type)", None, None)
        else:
            cancer_value, why, t, v = cancer
            if v == 1 and p.oncotree:  # coarser patient
                path = _json(self.ont.cancer_path(t.literal.leaf.code,  # type: ignore[attr-defined]
                                                  p.oncotree))
            else:
                path = self.via(t, p)[1]
            cancer_part = _part("cancer_type", cancer_value, why, t, path)
        rec_status = cohort_status or trial_status
        completeness = 1.0 / (1 + n_unknown)
        recruitment = RECRUITMENT.get(rec_status or "", 0.1 if rec_status else 0.5)
        phase_value = PHASE.get(phase or "", 0.75)
        score = round(sum((WEIGHTS["specificity"] * spec_value,
                           WEIGHTS["cancer_type"] * cancer_value,
                           WEIGHTS["completeness"] * completeness,
                           WEIGHTS["recruitment"] * recruitment,
                           WEIGHTS["phase"] * phase_value)), 4)
        parts = [spec_part, cancer_part,
                 _part("completeness", completeness,
                       f"{n_unknown} unknown criteri{'on' if n_unknown == 1 else 'a'}",
                       None, None),
                 _part("recruitment", recruitment,
                       (rec_status or "status not given").lower().replace("_", " "), None,
                       None),
                 _part("phase", phase_value, phase or "phase not given", None, None)]
        doc = (f'{tmpl.head}"{status}", "score": {score!r}, "reasons": [{", ".join(reasons)}], '
               f'"unknown": [{", ".join(unknown)}]{tmpl.tail}[{", ".join(parts)}]}}')
        return trial_id, cohort_id, status, score, doc


def value_matrix(n: int, index: np.ndarray, leaf_ids: np.ndarray, values: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(matrix, leaves): the values of `n` patients as a leaf x patient int8 matrix, rows in
    the order of `leaves` (the distinct leaf ids), with a last row of no values for leaves
    that have none."""
    leaves = np.unique(leaf_ids)
    matrix = np.full((len(leaves) + 1, n), NO_VALUE, dtype=np.int8)
    matrix[np.searchsorted(leaves, leaf_ids), index] = values
    return matrix, leaves


def _part(factor: str, value: float, why: str, lit: LiteralTemplate | None,
          via_json: str | None) -> str:
    """`rank.score._part`, as JSON (numbers as `json` writes them: their repr)."""
    weight = WEIGHTS[factor]
    out = (f'{{"factor": "{factor}", "weight": {weight!r}, "value": {round(value, 3)!r}, '
           f'"contribution": {round(weight * value, 4)!r}, "why": {_str(why)}')
    if lit is not None:
        return f'{out}, "criterion": {_json(lit.literal.text)}, "via": {via_json}}}'
    return out + "}"


def _reading_order(path: str) -> tuple[int, ...]:
    return tuple(int(i) for i in path.split("/") if i)
