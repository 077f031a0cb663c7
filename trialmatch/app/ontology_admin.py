"""The library behind `trialmatch ontology ...`: import official files, show a term, check
stored trials against the ontology, forget imports. Plain functions returning plain data.

An import is one transaction: the file is parsed and validated, stored, merged with the
embedded ontology (validated again), and the derived matching tables are rebuilt. Any
problem leaves the database with its previous ontology.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialmatch.app.catalog import refresh_derived, sync_curated
from trialmatch.errors import UsageError
from trialmatch.ontology import Ontology, store_ontology
from trialmatch.ontology.check import leaf_problems
from trialmatch.ontology.stored import (
    MODES,
    SOURCES,
    cancer_doc,
    delete_source,
    save_source,
    source_summaries,
    stored_sources,
)
from trialmatch.ontology.terms import closest, lookup, term_dict, unknown_message
from trialmatch.rules.dsl import parse_text
from trialmatch.store.db import Store


@dataclass
class ImportReport:
    source: str
    mode: str
    file: str
    rows: int
    added: list[str] = field(default_factory=list)  # node ids new to the ontology
    successors: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # stored trial terms now unknown

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "mode": self.mode, "file": self.file,
                "rows": self.rows, "added": len(self.added),
                "revoked_codes": self.successors, "notes": self.notes,
                "warnings": self.warnings}


def import_ontology(source: str, file: str | Path, *, db: str | Path | None = None,
                    replace: bool = False, wait: float = 0.0) -> ImportReport:
    """Import an OncoTree or HGNC file into the database's ontology (all or nothing)."""
    from trialmatch.ontology.hgnc import read_hgnc
    from trialmatch.ontology.oncotree import read_oncotree

    if source not in SOURCES:
        raise UsageError(f"unknown ontology source {source!r}; expected one of "
                         f"{', '.join(SOURCES)}")
    path = Path(file)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    mode = MODES[1] if replace else MODES[0]
    store = Store(db, wait=wait)
    try:
        before = store_ontology(store)
        if source == "oncotree":
            data = read_oncotree(path)
            report = ImportReport(source, mode, str(path), len(data.rows),
                                  sorted(data.codes - set(before.cancers)),
                                  dict(data.successors), list(data.notes))
            doc = cancer_doc(data.rows, data.successors, data.notes)
            genes = None
        else:
            hgnc = read_hgnc(path)
            report = ImportReport(source, mode, str(path), len(hgnc.rows),
                                  sorted(r[0] for r in hgnc.rows if not before.has_gene(r[0])),
                                  notes=[f"{hgnc.withdrawn} withdrawn entries skipped"])
            doc, genes = {"withdrawn": hgnc.withdrawn}, hgnc.rows
        with store.transaction():
            save_source(store, source, mode, path.name, report.rows, doc, genes)
            ont = store_ontology(store)
            sync_curated(store)
            refresh_derived(store, ont)
        report.warnings = stored_term_problems(store, ont)
        if source == "oncotree":
            report.successors = {k: v for k, v in report.successors.items()
                                 if k in ont.successors}
    finally:
        store.close()
    return report


def reset_ontology(source: str | None = None, *, db: str | Path | None = None) -> int:
    """Forget imported files (one source, or all); the embedded ontology is used again."""
    if source is not None and source not in SOURCES:
        raise UsageError(f"unknown ontology source {source!r}; expected one of "
                         f"{', '.join(SOURCES)}")
    store = Store(db)
    try:
        with store.transaction():
            n = delete_source(store, source)
            refresh_derived(store, store_ontology(store))
    finally:
        store.close()
    return n


def ontology_sources(db: str | Path | None = None) -> list[dict[str, Any]]:
    store = Store(db)
    try:
        return source_summaries(store)
    finally:
        store.close()


def db_ontology(db: str | Path | None = None) -> Ontology:
    """The ontology of a database (embedded, or merged with its imports)."""
    store = Store(db)
    try:
        stored_sources(store)  # creates the tables on a fresh database
        return store_ontology(store)
    finally:
        store.close()


def show_term(text: str, *, db: str | Path | None = None,
              ontology: Ontology | None = None) -> list[dict[str, Any]]:
    """Every node `text` names (LUAD, HER2, osimertinib, "EGFR sensitizing"), with its
    synonyms, parents and children; unknown words raise UsageError with the closest names."""
    ont = ontology or db_ontology(db)
    found = lookup(ont, text)
    if not found:
        kinds = ("cancer", "gene", "drug", "variant_group")
        raise UsageError(unknown_message("term", text, closest(ont, text, kinds)))
    return [term_dict(t) for t in found]


def stored_term_problems(store: Store, ont: Ontology) -> list[str]:
    """Terms of stored trials' criteria the ontology does not know (or that were revoked),
    each with the trials that use it."""
    rows = store.con.execute(
        """SELECT l.canon, list(DISTINCT c.trial_id ORDER BY c.trial_id)
           FROM leaves l JOIN nodes n ON n.leaf_id = l.leaf_id
           JOIN cohorts c ON c.cohort_key = n.cohort_key
           WHERE l.kind IN ('diagnosis', 'alteration', 'wildtype', 'fusion', 'prior')
           GROUP BY l.canon ORDER BY l.canon""").fetchall()
    out: list[str] = []
    for canon, trials in rows:
        shown = ", ".join(trials[:5]) + (f" and {len(trials) - 5} more"
                                         if len(trials) > 5 else "")
        out.extend(f"{msg} (in {shown})" for msg in leaf_problems(ont, parse_text(canon)))
    return out


def check_terms(*, db: str | Path | None = None) -> list[str]:
    """`stored_term_problems` for the catalogue of a database."""
    from trialmatch.app.catalog import open_catalog

    store, ont = open_catalog(db)
    try:
        return stored_term_problems(store, ont)
    finally:
        store.close()
