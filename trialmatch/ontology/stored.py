"""Imported ontologies kept in the database, merged over the embedded one.

An import is stored as one row per source in `ontology_sources` (an OncoTree import as a
JSON document of its rows and successors) and, for HGNC, one row per gene in
`ontology_genes`; the ontology of a database is the embedded one with each stored source
applied in a fixed order (OncoTree, then HGNC). `extend` adds the imported nodes and names
to ours (our rows win where both define a node; the official name becomes a synonym);
`replace` keeps only the imported nodes, with the official name and parent, plus our own
SOLID / HEME nodes and our curated synonyms, families and aliases for the nodes that
remain. The merged
tables are validated like our own files, so an import that would break the graph is
refused and the database keeps its previous ontology.

This module works on any store object with `con`, `get_meta` and `set_meta`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from trialmatch.errors import OntologyError
from trialmatch.ontology.graph import Ontology
from trialmatch.ontology.hgnc import GeneRow, ImportedGenes
from trialmatch.ontology.load import Row, read_sources, table_problems
from trialmatch.resources import data_dir

SOURCES = ("oncotree", "hgnc")  # also the order in which they are applied
MODES = ("extend", "replace")
DDL = ["""CREATE TABLE IF NOT EXISTS ontology_sources (
    name VARCHAR PRIMARY KEY, mode VARCHAR, file VARCHAR, imported_at TIMESTAMP,
    n_rows INTEGER, doc JSON)""",
       """CREATE TABLE IF NOT EXISTS ontology_genes (
    symbol VARCHAR, name VARCHAR, aliases VARCHAR, previous VARCHAR, line INTEGER)"""]
META_KEY = "ontology_sources"
_CANCER_COLS = ("code", "name", "parent", "main_type", "tissue")


@lru_cache(maxsize=1)
def embedded_tables() -> dict[str, list[Row]]:
    """The validated tables of the embedded ontology files (read once per process)."""
    return read_sources(data_dir("ontologies"))


# ----------------------------------------------------------------------------- documents

def cancer_doc(rows: list[Row], successors: dict[str, str], notes: list[str]) -> dict:
    return {"rows": [[r.line, *(r[c] for c in _CANCER_COLS)] for r in rows],
            "successors": successors, "notes": notes}


def _cancer_rows(doc: dict, source: str) -> list[Row]:
    return [Row(line, {**dict(zip(_CANCER_COLS, cells)), "synonyms": (), "imported": True},
                source) for line, *cells in doc["rows"]]


# ----------------------------------------------------------------------------- merging

def _merge_rows(base: list[Row], imported: list[Row], key: str, mode: str,
                combine) -> list[Row]:
    theirs = {str(r[key]) for r in imported}
    out = [r for r in base if mode == "extend" or str(r[key]) in theirs or r.get("keep")]
    at = {str(r[key]): i for i, r in enumerate(out)}
    for r in imported:
        i = at.get(str(r[key]))
        if i is None:
            out.append(r)
        else:
            out[i] = combine(out[i], r)
    return out


def _with_synonym(row: Row, synonyms: tuple[str, ...], name: str) -> Row:
    extra = tuple(dict.fromkeys(x for x in (*synonyms, name)
                                if x and x != row["name"] and x not in row["synonyms"]))
    return replace(row, values={**row.values, "synonyms": (*row["synonyms"], *extra)})


def _extend_cancer(ours: Row, theirs: Row) -> Row:
    """Our row wins; the official name becomes a synonym."""
    return _with_synonym(ours, (), str(theirs["name"]))


def _replace_cancer(ours: Row, theirs: Row) -> Row:
    """The official row wins (name, parent, main type); our synonyms are kept."""
    return _with_synonym(theirs, tuple(ours["synonyms"]), str(ours["name"]))


def merge(base: dict[str, list[Row]], sources: list[dict[str, Any]]
          ) -> tuple[dict[str, list[Row]], dict[str, str], ImportedGenes | None]:
    """The tables of the embedded ontology with the stored sources applied, the successors
    of revoked cancer codes, and the imported genes. Not validated here (see `build`)."""
    tables = dict(base)
    successors: dict[str, str] = {}
    genes: ImportedGenes | None = None
    for src in sorted(sources, key=lambda s: SOURCES.index(s["name"])):
        if src["name"] == "oncotree":
            rows = _cancer_rows(src["doc"], src["file"])
            tables["cancer_types"] = _merge_rows(
                [r if str(r["code"]) not in ("TISSUE", "SOLID", "HEME")
                 else replace(r, values={**r.values, "keep": True})
                 for r in tables["cancer_types"]],
                rows, "code", src["mode"],
                _replace_cancer if src["mode"] == "replace" else _extend_cancer)
            successors.update(src["doc"].get("successors", {}))
        elif src["name"] == "hgnc":
            genes = ImportedGenes(src["genes"], src["file"])
            if src["mode"] == "replace":
                tables["genes"] = [r for r in tables["genes"] if r["symbol"] in genes]
    current = {str(r["code"]) for r in tables["cancer_types"]}
    tables["cancer_successors"] = [
        r for r in tables.get("cancer_successors", [])
        if str(r["code"]) not in current and str(r["successor"]) in current]
    tables["cancer_also"] = [r for r in tables.get("cancer_also", [])
                             if str(r["code"]) in current and str(r["also"]) in current]
    tables["cancer_stated"] = [r for r in tables.get("cancer_stated", [])
                               if str(r["code"]) in current]
    tables["cancer_defining"] = [r for r in tables.get("cancer_defining", [])
                                 if str(r["code"]) in current]
    tables["cancer_unspecified"] = [
        r for r in tables.get("cancer_unspecified", [])
        if str(r["code"]) in current and all(str(w) in current for w in r["within"])]
    successors = {old: new for old, new in successors.items()
                  if old not in current and new in current}
    return tables, successors, genes


def build(base: dict[str, list[Row]], sources: list[dict[str, Any]]) -> Ontology:
    """Merge and validate; raises OntologyError (with file:line problems) if invalid."""
    tables, successors, genes = merge(base, sources)
    names = ", ".join(s["name"] for s in sources)
    problems = table_problems(tables, genes if genes is not None else ())
    if problems:
        raise OntologyError(f"invalid ontology after importing {names}: "
                            f"{len(problems)} problem(s)", problems)
    return Ontology.from_tables(tables, successors, genes)


# ----------------------------------------------------------------------------- the store

def _ensure(store) -> None:
    """Create the import tables if missing. A read-only store is never stale (it is only
    opened so once a writer has brought the file up to date, tables included)."""
    if store.read_only:
        return
    for ddl in DDL:
        store.con.execute(ddl)


def stored_sources(store) -> list[dict[str, Any]]:
    """The imports stored in a database, in the order they are applied."""
    _ensure(store)
    rows = store.con.execute(
        "SELECT name, mode, file, imported_at, n_rows, doc FROM ontology_sources").fetchall()
    out = [{"name": n, "mode": m, "file": f, "imported_at": t, "rows": k,
            "doc": json.loads(d) if d else {}} for n, m, f, t, k, d in rows]
    for src in out:
        if src["name"] == "hgnc":
            src["genes"] = store.con.execute(
                "SELECT symbol, name, aliases, previous, line FROM ontology_genes").fetchall()
    return sorted(out, key=lambda s: SOURCES.index(s["name"]))


def source_summaries(store) -> list[dict[str, Any]]:
    _ensure(store)
    rows = store.con.execute("SELECT name, mode, file, imported_at, n_rows FROM "
                             "ontology_sources ORDER BY name").fetchall()
    return [{"name": n, "mode": m, "file": f, "imported_at": str(t), "rows": k}
            for n, m, f, t, k in rows]


def save_source(store, name: str, mode: str, file: str, n_rows: int, doc: dict,
                genes: list[GeneRow] | None = None) -> None:
    """Store one import (inside the caller's transaction), replacing the same source."""
    import pyarrow as pa

    from trialmatch.store.db import registered

    _ensure(store)
    text = json.dumps(doc, separators=(",", ":"))
    store.con.execute("DELETE FROM ontology_sources WHERE name = ?", [name])
    store.con.execute("INSERT INTO ontology_sources VALUES (?, ?, ?, ?, ?, ?)",
                      [name, mode, file, datetime.now(), n_rows, text])
    if name == "hgnc":
        store.con.execute("DELETE FROM ontology_genes")
        data = pa.table({c: [r[i] for r in genes or []] for i, c in enumerate(
            ("symbol", "name", "aliases", "previous", "line"))})
        with registered(store.con, data) as table:
            store.con.execute("INSERT INTO ontology_genes SELECT symbol, name, aliases, "
                              f"previous, CAST(line AS INTEGER) FROM {table}")
    _stamp(store)


def delete_source(store, name: str | None = None) -> int:
    """Forget one stored import (or all); returns how many were removed."""
    _ensure(store)
    names = [name] if name else list(SOURCES)
    n = 0
    for src in names:
        n += store.con.execute("SELECT count(*) FROM ontology_sources WHERE name = ?",
                               [src]).fetchone()[0]
        store.con.execute("DELETE FROM ontology_sources WHERE name = ?", [src])
        if src == "hgnc":
            store.con.execute("DELETE FROM ontology_genes")
    _stamp(store)
    return int(n)


def _stamp(store) -> None:
    rows = store.con.execute("SELECT name, mode, md5(doc), imported_at FROM "
                             "ontology_sources ORDER BY name").fetchall()
    store.set_meta(META_KEY, hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
                   if rows else "")


_CACHE: dict[str, Ontology] = {}


def store_ontology(store, base: dict[str, list[Row]] | None = None) -> Ontology:
    """The ontology of a database: the embedded one, or it merged with stored imports.

    Built once per process for each set of stored imports."""
    from trialmatch.ontology import default_ontology

    stamp = store.get_meta(META_KEY)
    if not stamp:
        return default_ontology() if base is None else Ontology.from_tables(base)
    key = f"{id(base) if base is not None else 'embedded'}/{stamp}"
    if key not in _CACHE:
        ont = build(base if base is not None else embedded_tables(), stored_sources(store))
        _CACHE.clear()
        _CACHE[key] = ont
    return _CACHE[key]
