"""Opening the trial catalogue: the database, with the embedded trials and derived tables current.

On first use (and whenever the files in `criteria/` change) the curated trials shipped with
the package are loaded, so `find` works on a fresh install without a load step. Derived
tables are rebuilt when the ontology or the set of leaves changed. Both happen inside one
transaction: a failure leaves the database as it was.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from trialmatch.match.derive import ontology_fingerprint, rebuild
from trialmatch.ontology import Ontology, store_ontology
from trialmatch.resources import curated_files, data_dir
from trialmatch.store.db import READER_WAIT, NeedsWriter, Store

if TYPE_CHECKING:  # the trial model is not needed to open the catalogue (find's start-up)
    from trialmatch.rules.trial import Trial

CURATED = "curated"


def _files_hash(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def store_trials(store: Store, trials: list[Trial], origin: str) -> list[int]:
    """Compile the trials' trees (`match.compile`) and write them (`store.trials`),
    replacing trials with the same ids, inside the caller's transaction; returns the new
    leaf ids."""
    from trialmatch.match.compile import compile_trials
    from trialmatch.store.trials import write_trials

    return write_trials(store, trials, compile_trials(store, trials), origin)


def _leaves_stamp(store: Store) -> str:
    return store.get_meta("leaves_generation") or "0"


def _curated_state(folder: Path | None) -> tuple[Path, list[Path], str]:
    folder = folder or data_dir("criteria") / "trials"
    files = curated_files(folder) if folder.is_dir() else []
    return folder, files, _files_hash(files)


def sync_curated(store: Store, folder: Path | None = None) -> bool:
    """Load the embedded curated trials if they changed; True when something was written."""
    folder, files, stamp = _curated_state(folder)
    if store.get_meta("curated") == stamp:
        return False
    from trialmatch.ingest.curated import load_curated_dir  # YAML: only when files changed
    from trialmatch.store.trials import delete_trials

    trials = load_curated_dir(folder) if files else []
    old = [r[0] for r in store.con.execute(
        "SELECT trial_id FROM trials WHERE origin = ?", [CURATED]).fetchall()]
    delete_trials(store.con, old)
    store_trials(store, trials, CURATED)
    store.set_meta("curated", stamp)
    return True


def _derived_stamp(store: Store, ont: Ontology) -> str:
    return f"{ontology_fingerprint(ont)}/{_leaves_stamp(store)}"


def refresh_derived(store: Store, ont: Ontology, force: bool = False) -> None:
    stamp = _derived_stamp(store, ont)
    if force or store.get_meta("derived") != stamp:
        rebuild(store, ont)
        store.set_meta("derived", stamp)


def _open_shared(db: str | Path | None, ontology: Ontology | None, wait: float,
                 curated: bool) -> tuple[Store, Ontology] | None:
    """The store opened read-only, if it needs no write (so readers run side by side)."""
    try:
        store = Store(db, wait=wait, read_only=True)
    except NeedsWriter:
        return None
    try:
        ont = ontology or store_ontology(store)
        current = (store.get_meta("derived") == _derived_stamp(store, ont)
                   and (not curated or store.get_meta("curated") == _curated_state(None)[2]))
    except BaseException:
        store.close()
        raise
    if current:
        return store, ont
    store.close()
    return None


def open_catalog(db: str | Path | None = None, ontology: Ontology | None = None, *,
                 wait: float | None = None, curated: bool = True, read_only: bool = False
                 ) -> tuple[Store, Ontology]:
    """The store, ready for matching: embedded trials present, derived tables current.

    The ontology is `ontology` if given, else the database's (the embedded one with any
    imported OncoTree / HGNC files). `read_only` (find, explain): open the file shared with
    other readers when nothing needs writing, else as the one writer that brings it up to
    date. `wait`: seconds to wait for another process's write to finish (default: a
    reader waits `READER_WAIT` seconds by itself, a writer not at all); None also means the
    command has no --wait option for the "in use" message to name."""
    if wait is None and read_only:
        wait = READER_WAIT
    if read_only:
        shared = _open_shared(db, ontology, READER_WAIT if wait is None else wait, curated)
        if shared is not None:
            return shared
    store = Store(db, wait=wait)
    try:
        ont = ontology or store_ontology(store)
        with store.transaction():
            if curated:
                sync_curated(store)
            refresh_derived(store, ont)
    except BaseException:
        store.close()
        raise
    return store, ont


def replace_trials(store: Store, ont: Ontology, trials: list[Trial], origin: str, *,
                   sites: dict | None = None) -> None:
    """Store trials (replacing the same ids) and refresh derived tables, all or nothing.

    `sites` (trial id -> its registry sites) replaces the sites of those trials too."""
    from trialmatch.store.sites import replace_sites

    with store.transaction():
        store_trials(store, trials, origin)
        replace_sites(store.con, sites or {})
        refresh_derived(store, ont)


def stored_trials(store: Store, trial_ids: list[str]) -> dict[str, Trial]:
    import json

    from trialmatch.rules.trial import Trial

    rows = store.con.execute(
        "SELECT trial_id, doc FROM trials WHERE trial_id IN (SELECT unnest(?::VARCHAR[]))",
        [sorted(set(trial_ids))]).fetchall()
    return {tid: Trial.from_dict(json.loads(doc)) for tid, doc in rows}
