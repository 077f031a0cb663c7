"""The DuckDB schema, versioned. `SCHEMA_VERSION` goes up with every change to the DDL.

Trials are stored three ways at once: the whole trial as JSON (`trials.doc`, what `explain`
and the result reasons read), its cohorts, and the flattened rule trees (`nodes`) whose
leaves are de-duplicated across all trials (`leaves`), also in conjunctive normal form
(`clauses`). Leaf expansions through the ontology
(`alt_specs`, `fusion_specs`, closures) are derived tables, rebuilt whenever the ontology
or the trials change.
"""

SCHEMA_VERSION = 10

CLAUSES_DDL = """CREATE TABLE IF NOT EXISTS clauses (
        cohort_key INTEGER, clause INTEGER, leaf_id INTEGER, neg BOOLEAN)"""
# which patients each bulk cohort (by its resolved path) held at its last completed run: a
# patient absent from a later run of the same cohort is removed, with its matches lost
MEMBERS_DDL = """CREATE TABLE IF NOT EXISTS cohort_members (cohort VARCHAR,
        patient_id VARCHAR)"""

# a patient's cancer code of unstated subtype and the trial codes it leaves open (unknown)
UNSTATED_DDL = """CREATE TABLE IF NOT EXISTS cancer_unstated (code VARCHAR, covers VARCHAR)"""
# a patient's broader cancer code and the trial codes below it that a record would name if
# the patient had them (`cancer_stated.tsv`): not that subtype (unmet, not unknown)
STATED_DDL = """CREATE TABLE IF NOT EXISTS cancer_stated (code VARCHAR, covers VARCHAR)"""

# what the registry says about a trial, kept apart from its rules (`trialmatch sync`, `load`):
# its sites with their geo points (`find --near`), the version of each synced record, and
# where each sync query stands (its last success, and the page to resume from)
REGISTRY_DDL = [
    """CREATE TABLE IF NOT EXISTS sites (
        trial_id VARCHAR, facility VARCHAR, city VARCHAR, state VARCHAR, country VARCHAR,
        status VARCHAR, lat DOUBLE, lon DOUBLE)""",
    """CREATE TABLE IF NOT EXISTS registry_records (
        trial_id VARCHAR PRIMARY KEY, version_date VARCHAR, record_hash VARCHAR,
        text_hash VARCHAR, status VARCHAR, fetched_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS sync_state (
        query_key VARCHAR PRIMARY KEY, query JSON, last_success_date VARCHAR,
        last_success_at TIMESTAMP, run_since VARCHAR, run_started VARCHAR,
        next_page_token VARCHAR, pages_done INTEGER, state VARCHAR)""",
]

DDL = [
    """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS trials (
        trial_id VARCHAR PRIMARY KEY, title VARCHAR, phase VARCHAR, status VARCHAR,
        conditions VARCHAR[], source VARCHAR, origin VARCHAR, content_hash VARCHAR,
        loaded_at TIMESTAMP, doc JSON)""",
    """CREATE TABLE IF NOT EXISTS cohorts (
        cohort_key INTEGER PRIMARY KEY, trial_id VARCHAR, cohort_id VARCHAR, label VARCHAR,
        status VARCHAR, root_key BIGINT, manual_review INTEGER, gate_leaf INTEGER,
        n_clauses INTEGER)""",
    """CREATE TABLE IF NOT EXISTS nodes (
        node_key BIGINT PRIMARY KEY, cohort_key INTEGER, parent_key BIGINT, depth INTEGER,
        op VARCHAR, leaf_id INTEGER, path VARCHAR,
        literal BOOLEAN, lit_leaf INTEGER, label VARCHAR, words VARCHAR,
        odd BOOLEAN)""",  # odd: under an odd number of `not`s (how the fold reads MANUAL)
    # each cohort's tree in conjunctive normal form (`rules.cnf`): the cohort's value is the
    # min over its clauses of the max over their literals. `cohorts.n_clauses` is NULL when
    # the CNF would be too large (the matcher then folds `nodes`), 0 when nothing is evaluable
    CLAUSES_DDL,
    """CREATE TABLE IF NOT EXISTS leaves (
        leaf_id INTEGER PRIMARY KEY, kind VARCHAR, canon VARCHAR UNIQUE, field VARCHAR,
        op VARCHAR, num DOUBLE, str VARCHAR, gene VARCHAR)""",
    # derived from the ontology
    """CREATE TABLE IF NOT EXISTS alt_specs (
        leaf_id INTEGER, spec_id INTEGER, gene VARCHAR, alteration VARCHAR, mode VARCHAR,
        value VARCHAR, exon INTEGER, origin VARCHAR, event_exon INTEGER)""",
    """CREATE TABLE IF NOT EXISTS wt_genes (leaf_id INTEGER, gene VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS fusion_specs (leaf_id INTEGER, gene VARCHAR,
        any_partner BOOLEAN)""",
    """CREATE TABLE IF NOT EXISTS fusion_partners (leaf_id INTEGER, partner VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS cancer_closure (code VARCHAR, ancestor VARCHAR,
        distance INTEGER)""",
    UNSTATED_DDL,
    STATED_DDL,
    """CREATE TABLE IF NOT EXISTS drug_closure (drug VARCHAR, concept VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS status_compat (field VARCHAR, crit VARCHAR, have VARCHAR,
        v INTEGER)""",
    # patients of bulk runs (find uses temporary tables of the same shape)
    """CREATE TABLE IF NOT EXISTS patients (
        patient_id VARCHAR PRIMARY KEY, sex VARCHAR, oncotree VARCHAR, has_panel BOOLEAN,
        has_priors BOOLEAN, content_hash VARCHAR, age_lo DOUBLE, updated_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS findings (patient_id VARCHAR, gene VARCHAR, type VARCHAR,
        protein VARCHAR, codon VARCHAR, event VARCHAR, exon INTEGER, event_exon INTEGER,
        origin VARCHAR, partner VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS panel (patient_id VARCHAR, gene VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS priors (patient_id VARCHAR, drug VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS numbers (patient_id VARCHAR, field VARCHAR, lo DOUBLE,
        hi DOUBLE)""",
    """CREATE TABLE IF NOT EXISTS statuses (patient_id VARCHAR, field VARCHAR, value VARCHAR)""",
    # runs and results of `bulk`
    """CREATE TABLE IF NOT EXISTS runs (
        run_id INTEGER PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP,
        cohort VARCHAR, input_hash VARCHAR, trials_hash VARCHAR, patients INTEGER,
        rejected INTEGER, matches INTEGER, state VARCHAR, since_last_run BOOLEAN,
        evaluated INTEGER, new INTEGER, lost INTEGER, changed INTEGER)""",
    # one row per (patient, trial), unique by construction (a run replaces rows in one
    # transaction); the DESIGN 2.3 match object is `result_docs.doc` (without patient_id):
    # many patients share one explanation, so it is stored once (content-addressed)
    """CREATE TABLE IF NOT EXISTS results (
        patient_id VARCHAR, trial_id VARCHAR, cohort VARCHAR, status VARCHAR, score DOUBLE,
        doc_id VARCHAR, first_run INTEGER, last_run INTEGER)""",
    """CREATE TABLE IF NOT EXISTS result_docs (
        doc_id VARCHAR, doc JSON, title VARCHAR, phase VARCHAR,
        reasons STRUCT(criterion VARCHAR, result VARCHAR, "text" VARCHAR, via VARCHAR[])[],
        "unknown" VARCHAR[], manual_review INTEGER, cohort_label VARCHAR,
        trial_status VARCHAR, score_parts JSON)""",
    # the results as DESIGN 2.3 match objects with patient_id, one per (patient, trial)
    """CREATE OR REPLACE VIEW result_matches AS
        SELECT r.patient_id, r.trial_id, r.cohort, r.status, r.score, r.first_run, r.last_run,
               json(concat('{"patient_id": ', to_json(r.patient_id), ', ',
                           substr(CAST(d.doc AS VARCHAR), 2))) AS doc
        FROM results r JOIN result_docs d ON d.doc_id = r.doc_id""",
    # the trials (and their content) as the last completed run matched them
    """CREATE TABLE IF NOT EXISTS run_trials (trial_id VARCHAR, content_hash VARCHAR)""",
    MEMBERS_DDL,
    # what each run changed: new, lost and changed (status) matches per patient, and
    # 'removed' (trial_id NULL) for a patient no longer in its cohort
    """CREATE TABLE IF NOT EXISTS changes (
        run_id INTEGER, patient_id VARCHAR, trial_id VARCHAR, change VARCHAR, cohort VARCHAR,
        title VARCHAR, status VARCHAR, previous_status VARCHAR, score DOUBLE)""",
    *REGISTRY_DDL,
]

PATIENT_TABLES = ("patients", "findings", "panel", "priors", "numbers", "statuses")
DERIVED_TABLES = ("alt_specs", "wt_genes", "fusion_specs", "fusion_partners",
                  "cancer_closure", "cancer_unstated", "cancer_stated", "drug_closure",
                  "status_compat")
