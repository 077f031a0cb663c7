"""The SQL of set-based matching, one statement per step, each over whole sets.

Truth values are the integers of `rules.nodes.Tri` (0 not met, 1 unknown, 2 met), so the
Kleene connectives are aggregates: AND = min, OR = max, NOT = 2 - x. Unparsed leaves have
no rows at all, which is how a connective comes to ignore them. A leaf left to manual
review for one patient only (an unreported expression marker) has the value -1
(`rules.evaluate.MANUAL`), which the fold reads by the node's polarity (`FOLD_LEVEL`);
such trees have no stored CNF (`rules.cnf`), and -1 never leaves the fold (a root or
literal of -1 is NULL).

Inputs are temporary tables `p_patients`, `p_findings`, `p_panel`, `p_priors`,
`p_numbers`, `p_statuses` (one batch of patients) and `pl(patient_id, leaf_id)` (the leaves
to evaluate). Each `LEAF_SQL` statement computes `(patient_id, leaf_id, v)` for one family
of leaf kinds; together they mirror `rules.evaluate.evaluate_leaf` exactly, which the
property tests check. No value is ever interpolated: the statements are constants.
"""

MACROS = [
    # three-valued comparison of a closed interval [lo, hi] with a threshold
    """CREATE OR REPLACE TEMP MACRO tm_cmp(lo, hi, op, v) AS CASE
        WHEN lo IS NULL THEN 1
        WHEN op = '>=' THEN CASE WHEN lo >= v THEN 2 WHEN hi < v THEN 0 ELSE 1 END
        WHEN op = '>' THEN CASE WHEN lo > v THEN 2 WHEN hi <= v THEN 0 ELSE 1 END
        WHEN op = '<=' THEN CASE WHEN hi <= v THEN 2 WHEN lo > v THEN 0 ELSE 1 END
        WHEN op = '<' THEN CASE WHEN hi < v THEN 2 WHEN lo >= v THEN 0 ELSE 1 END
        WHEN op = '=' THEN CASE WHEN lo = v AND hi = v THEN 2 WHEN v < lo OR v > hi THEN 0
                                ELSE 1 END
        ELSE 2 - CASE WHEN lo = v AND hi = v THEN 2 WHEN v < lo OR v > hi THEN 0 ELSE 1 END
    END""",
]

# (patient, gene) pairs known to be tested: on the panel, or named by a finding
TESTED = """
DELETE FROM p_tested;
INSERT INTO p_tested SELECT DISTINCT patient_id, gene FROM (
    SELECT patient_id, gene FROM p_panel
    UNION ALL SELECT patient_id, gene FROM p_findings
    UNION ALL SELECT patient_id, partner FROM p_findings WHERE partner IS NOT NULL)
"""

_ABSENT = """CASE WHEN NOT pp.has_panel OR t.gene IS NOT NULL THEN 0 ELSE 1 END"""

# an insertion or duplication, not a deletion (`rules.variants.may_be_event`)
_INSERTION = ("NOT contains(f.protein, 'del') AND (contains(f.protein, 'ins') "
              "OR contains(f.protein, 'dup'))")

_VARIANT = f"""CASE
    WHEN s.mode IS NULL THEN 2
    WHEN s.mode = 'none' THEN 0
    WHEN s.mode = 'exon' THEN CASE
        WHEN coalesce(f.exon, f.event_exon) IS NULL THEN 1
        WHEN coalesce(f.exon, f.event_exon) = s.exon THEN 2 ELSE 0 END
    WHEN s.mode = 'event' THEN CASE
        WHEN f.event IS NOT NULL THEN CASE WHEN f.event = s.value THEN 2 ELSE 0 END
        WHEN f.protein IS NULL THEN CASE
            WHEN f.exon IS NULL OR s.event_exon IS NULL OR f.exon = s.event_exon THEN 1
            ELSE 0 END
        WHEN s.value = 'ITD' THEN CASE WHEN {_INSERTION} THEN 1 ELSE 0 END
        WHEN f.exon IS NOT NULL THEN 0
        WHEN s.value LIKE '%del' THEN CASE WHEN contains(f.protein, 'del') THEN 1 ELSE 0 END
        WHEN s.value LIKE '%ins' THEN CASE WHEN {_INSERTION} THEN 1 ELSE 0 END
        ELSE 0 END
    WHEN f.protein IS NULL THEN 1
    WHEN s.mode = 'codon' THEN CASE WHEN f.codon = s.value THEN 2 ELSE 0 END
    ELSE CASE WHEN f.protein = s.value THEN 2 ELSE 0 END
END"""

_SPEC_VS_FINDING = f"""CASE
    WHEN NOT (CASE WHEN s.alteration = 'any'
                   THEN f.type IN ('mutation', 'amplification', 'deletion', 'fusion')
                   ELSE f.type = s.alteration END) THEN 0
    WHEN s.origin IS NOT NULL AND f.origin IS NOT NULL AND f.origin <> s.origin THEN 0
    ELSE least(CASE WHEN s.origin IS NOT NULL AND f.origin IS NULL THEN 1 ELSE 2 END,
               {_VARIANT})
END"""

LEAF_SQL = {
    "alteration": f"""
WITH specs AS (
    SELECT pl.patient_id, s.* FROM pl JOIN alt_specs s USING (leaf_id)),
hits AS (
    SELECT s.patient_id, s.spec_id, max({_SPEC_VS_FINDING}) AS h
    FROM specs s JOIN p_findings f
      ON f.patient_id = s.patient_id AND f.gene = s.gene AND f.type <> 'wildtype'
    GROUP BY s.patient_id, s.spec_id)
SELECT s.patient_id, s.leaf_id, max(greatest(coalesce(h.h, 0), {_ABSENT})) AS v
FROM specs s JOIN p_patients pp USING (patient_id)
LEFT JOIN hits h ON h.patient_id = s.patient_id AND h.spec_id = s.spec_id
LEFT JOIN p_tested t ON t.patient_id = s.patient_id AND t.gene = s.gene
GROUP BY s.patient_id, s.leaf_id""",
    "wildtype": """
WITH mine AS (
    SELECT patient_id, gene, count(*) AS n,
           count(*) FILTER (WHERE type <> 'wildtype') AS altered
    FROM p_findings GROUP BY patient_id, gene)
SELECT pl.patient_id, pl.leaf_id, min(CASE
        WHEN m.altered > 0 THEN 0
        WHEN m.n > 0 OR NOT pp.has_panel OR t.gene IS NOT NULL THEN 2
        ELSE 1 END) AS v
FROM pl JOIN wt_genes g USING (leaf_id) JOIN p_patients pp ON pp.patient_id = pl.patient_id
LEFT JOIN mine m ON m.patient_id = pl.patient_id AND m.gene = g.gene
LEFT JOIN p_tested t ON t.patient_id = pl.patient_id AND t.gene = g.gene
GROUP BY pl.patient_id, pl.leaf_id""",
    "fusion": f"""
WITH ends AS (
    SELECT patient_id, gene AS g, partner AS other FROM p_findings WHERE type = 'fusion'
    UNION ALL
    SELECT patient_id, partner AS g, gene AS other FROM p_findings
    WHERE type = 'fusion' AND partner IS NOT NULL),
specs AS (SELECT pl.patient_id, fs.* FROM pl JOIN fusion_specs fs USING (leaf_id)),
hits AS (
    SELECT s.patient_id, s.leaf_id, s.gene, max(CASE
            WHEN s.any_partner THEN 2 WHEN e.other IS NULL THEN 1
            WHEN fp.partner IS NOT NULL THEN 2 ELSE 0 END) AS h
    FROM specs s JOIN ends e ON e.patient_id = s.patient_id AND e.g = s.gene
    LEFT JOIN fusion_partners fp ON fp.leaf_id = s.leaf_id AND fp.partner = e.other
    GROUP BY s.patient_id, s.leaf_id, s.gene)
SELECT s.patient_id, s.leaf_id, max(greatest(coalesce(h.h, 0), {_ABSENT})) AS v
FROM specs s JOIN p_patients pp USING (patient_id)
LEFT JOIN hits h ON h.patient_id = s.patient_id AND h.leaf_id = s.leaf_id AND h.gene = s.gene
LEFT JOIN p_tested t ON t.patient_id = s.patient_id AND t.gene = s.gene
GROUP BY s.patient_id, s.leaf_id""",
    "number": """
SELECT pl.patient_id, pl.leaf_id, tm_cmp(n.lo, n.hi, l.op, l.num) AS v
FROM pl JOIN leaves l ON l.leaf_id = pl.leaf_id AND l.kind = 'number'
LEFT JOIN p_numbers n ON n.patient_id = pl.patient_id AND n.field = l.field""",
    "status": """
SELECT pl.patient_id, pl.leaf_id, CASE
        WHEN s.value IS NULL THEN 1
        WHEN l.op = '!=' THEN 2 - coalesce(c.v, 1)
        ELSE coalesce(c.v, 1) END AS v
FROM pl JOIN leaves l ON l.leaf_id = pl.leaf_id AND l.kind = 'status'
LEFT JOIN p_statuses s ON s.patient_id = pl.patient_id AND s.field = l.field
LEFT JOIN status_compat c ON c.field = l.field AND c.crit = l.str AND c.have = s.value""",
    "sex": """
SELECT pl.patient_id, pl.leaf_id, CASE
        WHEN pp.sex IS NULL THEN 1 WHEN pp.sex = l.str THEN 2 ELSE 0 END AS v
FROM pl JOIN leaves l ON l.leaf_id = pl.leaf_id AND l.kind = 'sex'
JOIN p_patients pp ON pp.patient_id = pl.patient_id""",
    "diagnosis": """
SELECT pl.patient_id, pl.leaf_id, CASE
        WHEN pp.oncotree IS NULL THEN 1
        WHEN pp.oncotree = l.str OR up.code IS NOT NULL THEN 2
        WHEN (down.code IS NOT NULL AND stated.code IS NULL) OR unstated.code IS NOT NULL THEN 1
        WHEN NOT EXISTS (SELECT 1 FROM cancer_closure k WHERE k.code = pp.oncotree) THEN 1
        ELSE 0 END AS v
FROM pl JOIN leaves l ON l.leaf_id = pl.leaf_id AND l.kind = 'diagnosis'
JOIN p_patients pp ON pp.patient_id = pl.patient_id
LEFT JOIN cancer_closure up ON up.code = pp.oncotree AND up.ancestor = l.str
LEFT JOIN cancer_closure down ON down.code = l.str AND down.ancestor = pp.oncotree
LEFT JOIN cancer_unstated unstated ON unstated.code = pp.oncotree AND unstated.covers = l.str
LEFT JOIN cancer_stated stated ON stated.code = pp.oncotree AND stated.covers = l.str""",
    "expression": """
SELECT pl.patient_id, pl.leaf_id, CASE
        WHEN s.value IS NULL THEN -1
        WHEN s.value = l.str THEN 2
        WHEN l.str = 'positive' AND s.value IN ('high', 'low') THEN 2
        WHEN l.str IN ('high', 'low') AND s.value = 'positive' THEN 1
        ELSE 0 END AS v
FROM pl JOIN leaves l ON l.leaf_id = pl.leaf_id AND l.kind = 'expression'
LEFT JOIN p_statuses s ON s.patient_id = pl.patient_id AND s.field = 'expression:' || l.gene""",
    "population": """
SELECT pl.patient_id, pl.leaf_id, CASE
        WHEN l.str = 'non_oncology' AND pp.oncotree IS NOT NULL THEN 0 ELSE 1 END AS v
FROM pl JOIN leaves l ON l.leaf_id = pl.leaf_id AND l.kind = 'population'
JOIN p_patients pp ON pp.patient_id = pl.patient_id""",
    "prior": """
WITH taken AS (
    SELECT pr.patient_id, pr.drug, dc.concept
    FROM p_priors pr JOIN drug_closure dc ON dc.drug = pr.drug
    UNION SELECT patient_id, drug, drug FROM p_priors),
tagged AS (SELECT patient_id, drug, list(concept) AS concepts FROM taken
           GROUP BY patient_id, drug)
SELECT pl.patient_id, pl.leaf_id, CASE
        WHEN NOT pp.has_priors THEN 1
        WHEN bool_or(tg.drug IS NOT NULL AND (l.field IS NULL OR NOT list_has_any(
             tg.concepts, string_split(l.field, '|')))) THEN 2
        ELSE 0 END AS v
FROM pl JOIN leaves l ON l.leaf_id = pl.leaf_id AND l.kind = 'prior'
JOIN p_patients pp ON pp.patient_id = pl.patient_id
LEFT JOIN tagged tg ON tg.patient_id = pl.patient_id AND list_contains(tg.concepts, l.str)
GROUP BY pl.patient_id, pl.leaf_id, pp.has_priors, l.field""",
}

# The cohorts to evaluate: all of them, or those the caller named (`scope_keys`).
ALL_COHORTS = "CREATE OR REPLACE TEMP VIEW c_scope AS SELECT * FROM cohorts"
SOME_COHORTS = """
CREATE OR REPLACE TEMP VIEW c_scope AS
SELECT * FROM cohorts WHERE cohort_key IN (SELECT cohort_key FROM scope_keys)
"""

# Candidate (patient, cohort) pairs: every cohort whose gate leaf is not "not met",
# plus every cohort without a gate. The gates' truth comes from the same LEAF_SQL.
# (CANDIDATES, ALL_PAIRS and SCOPE_LEAVES are queries: the engine fills `cand` / `pl`.)
GATE_LEAVES = """
CREATE OR REPLACE TEMP TABLE pl AS
SELECT p.patient_id, g.leaf_id
FROM p_patients p CROSS JOIN (SELECT DISTINCT gate_leaf AS leaf_id FROM c_scope
                              WHERE gate_leaf IS NOT NULL
                              UNION SELECT leaf_id FROM c_conj) g
"""

# Large batches prune the candidates further before folding: a cohort is not met when one
# conjunct of its root (a leaf, or a `not` over a leaf, right under the root's `all`, or
# the root itself) is not met. `neg` marks the conjuncts that are a `not`.
CONJUNCTS = """
CREATE OR REPLACE TEMP TABLE c_conj AS
WITH tops AS (
    SELECT c.cohort_key, n.node_key, n.op, n.leaf_id
    FROM c_scope c JOIN nodes r ON r.node_key = c.root_key AND r.op = 'all'
    JOIN nodes n ON n.parent_key = r.node_key
    UNION ALL
    SELECT c.cohort_key, r.node_key, r.op, r.leaf_id
    FROM c_scope c JOIN nodes r ON r.node_key = c.root_key)
SELECT t.cohort_key, l.leaf_id, t.op = 'not' AS neg
FROM tops t LEFT JOIN nodes g ON g.parent_key = t.node_key AND g.op = 'leaf'
JOIN leaves l ON l.leaf_id = CASE t.op WHEN 'leaf' THEN t.leaf_id WHEN 'not' THEN g.leaf_id END
WHERE l.kind <> 'unparsed'
"""

PRUNE = """
CREATE OR REPLACE TEMP TABLE cand AS
SELECT c.* FROM cand c ANTI JOIN (
    SELECT DISTINCT c.patient_id, c.cohort_key
    FROM cand c JOIN c_conj j ON j.cohort_key = c.cohort_key
    JOIN lt ON lt.patient_id = c.patient_id AND lt.leaf_id = j.leaf_id
    WHERE lt.v = CASE WHEN j.neg THEN 2 ELSE 0 END) f
  ON f.patient_id = c.patient_id AND f.cohort_key = c.cohort_key
"""

CANDIDATES = """
SELECT lt.patient_id, c.cohort_key
FROM lt JOIN c_scope c ON c.gate_leaf = lt.leaf_id WHERE lt.v > 0
UNION ALL
SELECT p.patient_id, c.cohort_key FROM p_patients p CROSS JOIN c_scope c
WHERE c.gate_leaf IS NULL
"""

# every pair of the batch's patients and the cohorts in scope whose CNF is not stored
FOLDED_PAIRS = """
SELECT p.patient_id, c.cohort_key FROM p_patients p CROSS JOIN c_scope c
WHERE c.n_clauses IS NULL
"""

ALL_PAIRS = """
SELECT p.patient_id, c.cohort_key FROM p_patients p CROSS JOIN c_scope c
"""

# the working tables (re-filled, never re-created, by small batches: a prepared statement
# is re-planned when a table it reads is re-created)
WORK_TABLES = [
    "CREATE TEMP TABLE IF NOT EXISTS p_tested (patient_id VARCHAR, gene VARCHAR)",
    "CREATE TEMP TABLE IF NOT EXISTS lt (patient_id VARCHAR, leaf_id INTEGER, v INTEGER)",
    "CREATE TEMP TABLE IF NOT EXISTS pl (patient_id VARCHAR, leaf_id INTEGER)",
    "CREATE TEMP TABLE IF NOT EXISTS cand (patient_id VARCHAR, cohort_key INTEGER)",
]

# every evaluable leaf of the cohorts in scope, for every patient of the batch
SCOPE_LEAVES = """
SELECT p.patient_id, l.leaf_id
FROM p_patients p CROSS JOIN (SELECT leaf_id FROM scope_leaves) l
"""

# every evaluable leaf of the cohorts in scope (all stored leaves when no scope is set)
SCOPE_LEAF_SET = """
CREATE OR REPLACE TEMP TABLE scope_leaves AS
SELECT DISTINCT n.leaf_id FROM c_scope c JOIN nodes n ON n.cohort_key = c.cohort_key
JOIN leaves l ON l.leaf_id = n.leaf_id
WHERE n.op = 'leaf' AND l.kind <> 'unparsed'
"""
ALL_LEAF_SET = """
CREATE OR REPLACE TEMP TABLE scope_leaves AS
SELECT leaf_id FROM leaves WHERE kind <> 'unparsed'
"""

CAND_LEAVES = """
CREATE OR REPLACE TEMP TABLE pl AS
SELECT DISTINCT c.patient_id, n.leaf_id
FROM cand c JOIN nodes n ON n.cohort_key = c.cohort_key AND n.op = 'leaf'
JOIN leaves l ON l.leaf_id = n.leaf_id AND l.kind <> 'unparsed'
"""

# the leaf values of the trees to fold: those of the pairs in `cand` (cohorts whose CNF is
# too large), or in `want` (explain folds only the trees it shows)
LEAF_VALUES = """
CREATE OR REPLACE TEMP TABLE vals AS
SELECT c.patient_id, n.node_key, n.parent_key, n.depth, lt.v
FROM {pairs} c JOIN nodes n ON n.cohort_key = c.cohort_key AND n.op = 'leaf'
JOIN lt ON lt.patient_id = c.patient_id AND lt.leaf_id = n.leaf_id
"""

# one level of the fold: the nodes at depth - 1 from their children at `depth`. A -1
# child (manual review, `rules.evaluate.combine`) is ignored where the children go together
# (`all`, or `any` under an odd number of `not`s) and otherwise leaves the node -1 unless
# another child decides it (2 for an `any`, 0 for an `all`); a `not` keeps it.
FOLD_LEVEL = """
INSERT INTO vals
SELECT patient_id, node_key, parent_key, depth, CASE
        WHEN op = 'not' THEN CASE WHEN manual THEN -1 ELSE 2 - lo END
        WHEN manual AND (agg IS NULL OR ((op = 'any') <> odd AND agg <> decisive)) THEN -1
        ELSE agg END
FROM (
    SELECT v.patient_id, par.node_key, par.parent_key, par.depth, par.op, par.odd,
           min(v.v) AS lo, bool_or(v.v < 0) AS manual,
           CASE par.op WHEN 'all' THEN min(v.v) FILTER (WHERE v.v >= 0)
                       ELSE max(v.v) FILTER (WHERE v.v >= 0) END AS agg,
           CASE par.op WHEN 'any' THEN 2 ELSE 0 END AS decisive
    FROM vals v JOIN nodes par ON par.node_key = v.parent_key
    WHERE v.depth = ?
    GROUP BY v.patient_id, par.node_key, par.parent_key, par.depth, par.op, par.odd)
"""

# The CNF plan: each cohort's value is the min over its clauses of the max over their
# literals (`rules.cnf`), for the candidates whose tree has a stored CNF; one statement, no
# per-level fold. Candidates without clauses rows (nothing evaluable) get NULL.
CNF_ROOTS = """
SELECT c.patient_id, co.cohort_key, co.trial_id, co.cohort_id, r.v
FROM cand c JOIN cohorts co ON co.cohort_key = c.cohort_key AND co.n_clauses IS NOT NULL
LEFT JOIN (
    SELECT patient_id, cohort_key, min(cv) AS v FROM (
        SELECT c.patient_id, k.cohort_key, k.clause,
               max(CASE WHEN k.neg THEN 2 - lt.v ELSE lt.v END) AS cv
        FROM cand c JOIN clauses k ON k.cohort_key = c.cohort_key
        JOIN lt ON lt.patient_id = c.patient_id AND lt.leaf_id = k.leaf_id
        GROUP BY c.patient_id, k.cohort_key, k.clause)
    GROUP BY patient_id, cohort_key) r
  ON r.patient_id = c.patient_id AND r.cohort_key = c.cohort_key
"""

# the candidates left for the fold: those whose CNF was too large to store
FOLD_ONLY = """
DELETE FROM cand WHERE cohort_key IN (SELECT cohort_key FROM cohorts WHERE n_clauses IS NOT NULL)
"""

ROOTS = """
SELECT c.patient_id, co.cohort_key, co.trial_id, co.cohort_id, CASE WHEN v.v >= 0 THEN v.v END AS v
FROM cand c JOIN cohorts co ON co.cohort_key = c.cohort_key
LEFT JOIN vals v ON v.patient_id = c.patient_id AND v.node_key = co.root_key
"""

# The literals of the (patient, cohort) pairs in `want`, in reading order, with their values
# (a leaf's value, or 2 minus it under a `not`; NULL for a leaf that had no row, never for
# evaluable leaves of a candidate pair, or whose value is NULL: an expression marker the
# profile does not report, left to manual review).
LITERALS = """
SELECT w.patient_id, n.cohort_key, n.path, n.words, n.op = 'not' AS negated, l.canon,
       CASE WHEN lt.v < 0 THEN NULL WHEN n.op = 'not' THEN 2 - lt.v ELSE lt.v END
FROM want w JOIN nodes n ON n.cohort_key = w.cohort_key AND n.literal
JOIN leaves l ON l.leaf_id = n.lit_leaf
LEFT JOIN lt ON lt.patient_id = w.patient_id AND lt.leaf_id = n.lit_leaf
WHERE l.kind <> 'unparsed'
ORDER BY w.patient_id, n.cohort_key, n.node_key
"""

COHORT_INFO = """
SELECT c.cohort_key, c.trial_id, c.cohort_id, c.label, c.status, c.manual_review,
       t.title, t.phase, t.status
FROM cohorts c JOIN trials t ON t.trial_id = c.trial_id
WHERE c.cohort_key IN (SELECT DISTINCT cohort_key FROM want)
"""
