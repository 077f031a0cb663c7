"""What a bulk run reads from and writes to the database: runs, staging and the swap.

A run writes nothing the previous results depend on until its very end: its patients'
facts and its matches are staged in temporary tables (which vanish with the process), and
one final transaction swaps them in: results replaced for the patients and trials the run
re-matched, new / lost / changed matches recorded in `changes`, the persistent patient
tables and the trial snapshot brought up to date, and the run marked done. A run killed at
any moment before that commit leaves the database exactly as the previous run left it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from trialmatch.store.db import Store, registered
from trialmatch.store.schema import PATIENT_TABLES

# Bumped when what a results row contains changes: forces a full run. The code that decides
# matches is fingerprinted too, so an upgrade that changes matching re-matches everything.
# The code that explains and ranks a match is fingerprinted apart (with RANKING_VERSION):
# when only that changed, a run re-ranks the stored matches without re-matching the corpus
# (each patient is evaluated again only against the trials of its stored matches, which
# is what the explanation needs), unless the patient or those trials changed too.
RESULTS_VERSION = "1"
RANKING_VERSION = "1"
MATCH_CODE = ("match", "rules/evaluate.py", "rules/variants.py")
RANK_CODE = ("app/find.py", "rank", "rules/english.py", "bulk/explanation_classes.py",
             "bulk/documents.py", "bulk/docprocess.py")
DEFAULT_KEEP_RUNS = 30


def code_fingerprint(names: tuple[str, ...] = MATCH_CODE + RANK_CODE) -> str:
    import trialmatch

    root = Path(trialmatch.__file__).parent
    h = hashlib.sha256()
    for name in names:
        path = root / name
        for f in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            if f.exists():
                h.update(f.name.encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:12]


def rank_stamp() -> str:
    """What, when it changes, makes every stored explanation and score stale."""
    return f"{RANKING_VERSION}/{code_fingerprint(RANK_CODE)}"


STAGE_DDL = [
    """CREATE OR REPLACE TEMP TABLE stage (patient_id VARCHAR, trial_id VARCHAR,
        cohort VARCHAR, status VARCHAR, score DOUBLE, doc_id VARCHAR)""",
    "CREATE OR REPLACE TEMP TABLE s_seen (patient_id VARCHAR)",
    "CREATE OR REPLACE TEMP TABLE s_full (patient_id VARCHAR)",
    "CREATE OR REPLACE TEMP TABLE s_trials (trial_id VARCHAR)",  # changed, new or removed
    # patients of rejected records: not re-matched, and not removed either
    "CREATE OR REPLACE TEMP TABLE s_kept (patient_id VARCHAR)",
]


@dataclass(frozen=True)
class TrialDelta:
    """How the stored trials differ from those the last completed run matched."""

    everything: bool  # no previous run, or the ontology or result format changed
    changed: list[str]  # new or changed trial ids
    removed: list[str]
    cohort_keys: list[int]  # cohorts of the changed trials
    trials_hash: str
    rerank: bool = False  # only the explanation and ranking code changed




def full_stamp(store: Store) -> str:
    """What, when it changes, makes every earlier match stale: ontology, result format,
    matching code."""
    return f"{RESULTS_VERSION}/{code_fingerprint(MATCH_CODE)}/{store.get_meta('ontology')}"


def trials_hash(store: Store) -> str:
    h = hashlib.sha256(f"{full_stamp(store)}/{rank_stamp()}".encode())
    for tid, ch in store.con.execute(
            "SELECT trial_id, content_hash FROM trials ORDER BY trial_id").fetchall():
        h.update(f"{tid}={ch};".encode())
    return h.hexdigest()[:16]


def has_done_run(store: Store) -> bool:
    return store.scalar("SELECT count(*) FROM runs WHERE state IN ('done', 'partial')") > 0


def trial_delta(store: Store) -> TrialDelta:
    """Trials changed since the last completed run (everything, if there was none)."""
    current = trials_hash(store)
    con = store.con
    if not has_done_run(store) or store.get_meta("bulk_stamp") != full_stamp(store):
        return TrialDelta(True, [], [], [], current)
    changed = [r[0] for r in con.execute(
        """SELECT t.trial_id FROM trials t LEFT JOIN run_trials r USING (trial_id)
           WHERE r.content_hash IS DISTINCT FROM t.content_hash ORDER BY 1""").fetchall()]
    removed = [r[0] for r in con.execute(
        """SELECT trial_id FROM run_trials WHERE trial_id NOT IN
           (SELECT trial_id FROM trials) ORDER BY 1""").fetchall()]
    with registered(con, pa.table({"trial_id": pa.array(changed, pa.string())})) as ids:
        keys = [r[0] for r in con.execute(
            f"SELECT cohort_key FROM cohorts WHERE trial_id IN (SELECT trial_id FROM {ids})"
        ).fetchall()]
    rerank = store.get_meta("rank_stamp") != rank_stamp()
    return TrialDelta(False, changed, removed, keys, current, rerank)


def stored_cohorts(store: Store, ids: list[str]) -> list[int]:
    """Every cohort of the trials these patients have stored matches with."""
    with registered(store.con, pa.table({"patient_id": pa.array(ids, pa.string())})) as want:
        return [r[0] for r in store.con.execute(
            f"""SELECT DISTINCT c.cohort_key FROM cohorts c WHERE c.trial_id IN
               (SELECT trial_id FROM main.results WHERE patient_id IN
                (SELECT patient_id FROM {want})) ORDER BY 1""").fetchall()]


def start_run(store: Store, cohort: str, since_last_run: bool) -> int:
    """Mark runs killed before they finished, and record this one as running."""
    con = store.con
    with store.transaction():
        con.execute("UPDATE runs SET state = 'interrupted' WHERE state = 'running'")
        run_id = store.scalar("SELECT coalesce(max(run_id), 0) + 1 FROM runs")
        con.execute("INSERT INTO runs (run_id, started_at, cohort, state, since_last_run) "
                    "VALUES (?, now(), ?, 'running', ?)", [run_id, cohort, since_last_run])
    for ddl in STAGE_DDL:
        con.execute(ddl)
    for name in PATIENT_TABLES:
        con.execute(f"CREATE OR REPLACE TEMP TABLE sp_{name} AS SELECT * FROM main.{name} "
                    "LIMIT 0")
    return run_id


def mark(store: Store, run_id: int, state: str) -> None:
    with store.transaction():
        store.con.execute("UPDATE runs SET state = ?, finished_at = now() WHERE run_id = ?",
                          [state, run_id])


def previous_facts(store: Store, ids: list[str]) -> dict[str, tuple[str, float | None]]:
    """(content hash, age) of these patients as the last completed run stored them."""
    with registered(store.con, pa.table({"patient_id": pa.array(ids, pa.string())})) as want:
        return {pid: (h, age) for pid, h, age in store.con.execute(
            "SELECT patient_id, content_hash, age_lo FROM main.patients "
            f"WHERE patient_id IN (SELECT patient_id FROM {want})").fetchall()}


def stage_patients(store: Store, tables: dict[str, pa.Table], seen: list[str],
                   full: list[str]) -> None:
    """Keep the facts of re-matched patients, to be written when the run completes."""
    con = store.con
    with registered(con, pa.table({"patient_id": pa.array(seen, pa.string())})) as seen_t:
        con.execute(f"INSERT INTO s_seen SELECT patient_id FROM {seen_t}")
    with registered(con, pa.table({"patient_id": pa.array(full, pa.string())})) as full_t:
        con.execute(f"INSERT INTO s_full SELECT patient_id FROM {full_t}")
        for name in PATIENT_TABLES:
            cols = ", ".join(f'"{c}"' for c in tables[name].column_names)
            with registered(con, tables[name]) as data:
                con.execute(f"INSERT INTO sp_{name} ({cols}) SELECT {cols} FROM {data} "
                            f"WHERE patient_id IN (SELECT patient_id FROM {full_t})")


SWAP = [
    # the old rows this run re-decides: all of a re-matched patient's, and, for every patient
    # of the cohort, those of changed, new or removed trials
    """CREATE OR REPLACE TEMP TABLE s_old AS
       SELECT * FROM main.results r
       WHERE r.patient_id IN (SELECT patient_id FROM s_full)
          OR (r.trial_id IN (SELECT trial_id FROM s_trials)
              AND r.patient_id IN (SELECT patient_id FROM s_seen))""",
    """INSERT INTO main.changes
       SELECT $run, s.patient_id, s.trial_id, 'new', s.cohort, t.title, s.status, NULL,
              s.score
       FROM stage s ANTI JOIN s_old o USING (patient_id, trial_id)
       LEFT JOIN trials t ON t.trial_id = s.trial_id
       UNION ALL
       SELECT $run, o.patient_id, o.trial_id, 'lost', o.cohort, d.title, NULL, o.status,
              o.score
       FROM s_old o ANTI JOIN stage s USING (patient_id, trial_id)
       LEFT JOIN main.result_docs d ON d.doc_id = o.doc_id
       UNION ALL
       SELECT $run, s.patient_id, s.trial_id, 'changed', s.cohort, t.title, s.status,
              o.status, s.score
       FROM stage s JOIN s_old o USING (patient_id, trial_id)
       LEFT JOIN trials t ON t.trial_id = s.trial_id
       WHERE s.status <> o.status""",
    """DELETE FROM main.results r WHERE r.patient_id IN (SELECT patient_id FROM s_full)
          OR (r.trial_id IN (SELECT trial_id FROM s_trials)
              AND r.patient_id IN (SELECT patient_id FROM s_seen))""",
    """UPDATE main.results SET last_run = $run
       WHERE patient_id IN (SELECT patient_id FROM s_seen)""",
    """INSERT INTO main.results
       SELECT s.patient_id, s.trial_id, s.cohort, s.status, s.score, s.doc_id,
              coalesce(o.first_run, $run), $run
       FROM stage s LEFT JOIN s_old o USING (patient_id, trial_id)""",
    "INSERT INTO main.result_docs SELECT * FROM s_docs",
    """DELETE FROM main.result_docs WHERE doc_id NOT IN
       (SELECT DISTINCT doc_id FROM main.results)""",
]


REMOVED = [
    # the matches of removed patients are lost; each removed patient gets one 'removed' row
    """INSERT INTO main.changes
       SELECT $run, r.patient_id, r.trial_id, 'lost', r.cohort, d.title, NULL, r.status,
              r.score
       FROM main.results r LEFT JOIN main.result_docs d ON d.doc_id = r.doc_id
       WHERE r.patient_id IN (SELECT patient_id FROM s_removed)
       UNION ALL
       SELECT $run, patient_id, NULL, 'removed', NULL, NULL, NULL, NULL, NULL
       FROM s_removed""",
    "DELETE FROM main.results WHERE patient_id IN (SELECT patient_id FROM s_removed)",
    """DELETE FROM main.cohort_members WHERE cohort = $cohort
       AND patient_id IN (SELECT patient_id FROM s_absent)""",
    """INSERT INTO main.cohort_members SELECT DISTINCT $cohort, patient_id FROM s_seen
       WHERE patient_id NOT IN (SELECT patient_id FROM main.cohort_members
                                WHERE cohort = $cohort)""",
]


def _removed(store: Store, cohort: str, remove: bool) -> None:
    """s_absent: members of this cohort at its last run that it no longer holds; s_removed:
    those of them no other cohort holds (a patient of two cohorts keeps its matches)."""
    store.con.execute(
        """CREATE OR REPLACE TEMP TABLE s_absent AS
           SELECT DISTINCT patient_id FROM main.cohort_members
           WHERE cohort = ? AND ? AND patient_id NOT IN (SELECT patient_id FROM s_seen)
             AND patient_id NOT IN (SELECT patient_id FROM s_kept)""", [cohort, remove])
    store.con.execute(
        """CREATE OR REPLACE TEMP TABLE s_removed AS
           SELECT patient_id FROM s_absent WHERE patient_id NOT IN
               (SELECT patient_id FROM main.cohort_members WHERE cohort <> ?)""", [cohort])


def _forget_patients(store: Store) -> None:
    """The facts of removed patients that no other cohort holds."""
    for name in PATIENT_TABLES:
        store.con.execute(
            f"""DELETE FROM main.{name} WHERE patient_id IN (SELECT patient_id FROM s_removed)
                AND patient_id NOT IN (SELECT patient_id FROM main.cohort_members)""")


def keep_runs(store: Store, n: int) -> None:
    """Retention: the changes of the last `n` completed runs are kept, older ones dropped."""
    store.con.execute(
        """DELETE FROM main.changes WHERE run_id NOT IN (
               SELECT run_id FROM runs WHERE state IN ('done', 'partial')
               ORDER BY run_id DESC LIMIT ?)""", [n])


def swap(store: Store, run_id: int, delta: TrialDelta, counts: dict[str, object], *,
         cohort: str = "", remove: bool = False, keep: int = DEFAULT_KEEP_RUNS) -> None:
    """The one final transaction: results, changes, removed patients, patients, trial
    snapshot, run row, retention. `remove`: patients of `cohort` absent from this run are
    removed (False when a rejected record could be one of them)."""
    con = store.con
    with registered(con, pa.table({"trial_id": pa.array(delta.changed + delta.removed,
                                                       pa.string())})) as changed:
        con.execute(f"INSERT INTO s_trials SELECT trial_id FROM {changed}")
    _removed(store, cohort, remove)
    with store.transaction():
        for statement in REMOVED + SWAP:  # removed first: the last of SWAP drops orphan docs
            sql = statement.replace("$run", str(int(run_id)))
            con.execute(sql.replace("$cohort", "?"), [cohort] * sql.count("$cohort"))
        _forget_patients(store)
        for name in PATIENT_TABLES:
            con.execute(f"DELETE FROM main.{name} WHERE patient_id IN "
                        "(SELECT patient_id FROM s_full)")
            con.execute(f"INSERT INTO main.{name} SELECT * FROM sp_{name}")
        con.execute("UPDATE main.patients SET updated_at = now() WHERE patient_id IN "
                    "(SELECT patient_id FROM s_full)")
        con.execute("DELETE FROM run_trials")
        con.execute("INSERT INTO run_trials SELECT trial_id, content_hash FROM trials")
        store.set_meta("bulk_stamp", full_stamp(store))
        store.set_meta("rank_stamp", rank_stamp())
        n = dict(con.execute("SELECT change, count(*) FROM main.changes WHERE run_id = ? "
                             "GROUP BY change", [run_id]).fetchall())
        matches = store.scalar("SELECT count(*) FROM main.results WHERE patient_id IN "
                               "(SELECT patient_id FROM s_seen)")
        counts.update(new=n.get("new", 0), lost=n.get("lost", 0),
                      changed=n.get("changed", 0), removed=n.get("removed", 0),
                      matches=matches)
        con.execute(
            """UPDATE runs SET finished_at = now(), input_hash = ?, trials_hash = ?,
               patients = ?, rejected = ?, matches = ?, state = ?, evaluated = ?, new = ?,
               lost = ?, changed = ? WHERE run_id = ?""",
            [counts["input_hash"], delta.trials_hash, counts["patients"], counts["rejected"],
             matches, counts["state"], counts["evaluated"], counts["new"], counts["lost"],
             counts["changed"], run_id])
        keep_runs(store, keep)


def cleanup(store: Store) -> None:
    """Drop the staging tables (after the export, which reads `s_seen`)."""
    for t in ("stage", "s_old", "s_seen", "s_full", "s_trials", "s_docs", "s_kept",
              "s_absent", "s_removed", *(f"sp_{n}" for n in PATIENT_TABLES)):
        store.con.execute(f"DROP TABLE IF EXISTS temp.{t}")
