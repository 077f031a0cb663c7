"""Standards in and out, library face: a stored trial as MatchMiner CTML (`export`), and any
patient file trialmatch reads shown as the patient.json v1 profiles it understood (`convert`).
"""

from __future__ import annotations

from pathlib import Path

from trialmatch.errors import UsageError
from trialmatch.ingest.ctml_export import Export, export_trial


def export_ctml(trial_id: str, db: str | Path | None = None) -> Export:
    """The CTML document of a stored trial, and what CTML could not say (warnings)."""
    from trialmatch.catalog import open_catalog, stored_trials

    store, ont = open_catalog(db, read_only=True)
    try:
        found = stored_trials(store, [trial_id])
    finally:
        store.close()
    if trial_id not in found:
        raise UsageError(f"{trial_id}: no such trial in the catalogue (load it first)")
    return export_trial(found[trial_id], ont)
