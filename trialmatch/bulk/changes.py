"""Reading what a run changed: new, lost and changed matches, grouped per patient."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from trialmatch.store.db import Store

KINDS = ("new", "lost", "changed")


def iter_changes(store: Store, run_id: int) -> Iterator[dict[str, Any]]:
    """One dict per patient with a change: {patient_id, new: [...], lost: [...], changed: [...]}.

    Each entry names the trial, cohort, title, status (and the previous status), and score.
    A patient no longer in its cohort also has `"removed": true` (its matches are lost).
    """
    reader = store.con.sql(
        """SELECT patient_id, change, trial_id, cohort, title, status, previous_status, score
           FROM changes WHERE run_id = ?
           ORDER BY patient_id, change, trial_id""", params=[run_id]).to_arrow_reader(20_000)
    current: dict[str, Any] | None = None
    for batch in reader:
        for row in batch.to_pylist():
            if current is None or current["patient_id"] != row["patient_id"]:
                if current is not None:
                    yield current
                current = {"patient_id": row["patient_id"], **{k: [] for k in KINDS}}
            if row["change"] == "removed":
                current["removed"] = True
                continue
            entry = {"trial_id": row["trial_id"], "cohort": row["cohort"],
                     "title": row["title"], "status": row["status"]}
            if row["change"] != "new":
                entry["previous_status"] = row["previous_status"]
            if row["score"] is not None:
                entry["score"] = row["score"]
            current[row["change"]].append(entry)
    if current is not None:
        yield current
