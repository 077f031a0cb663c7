"""Importing the official OncoTree and HGNC files into a database's ontology.

Runs on ../shared/data/oncotree and ../shared/data/hgnc (skipped when absent): the full
files load, tissues hang under SOLID / HEME, revoked codes resolve to their successors in
patients and trials, and `find` afterwards reads the stored result, rebuilding nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ontology_helpers import TODAY, shared_file

from trialmatch.app.catalog import open_catalog, replace_trials
from trialmatch.app.find import find
from trialmatch.app.ontology_admin import import_ontology, ontology_sources, reset_ontology
from trialmatch.ontology import HEME, SOLID
from trialmatch.ontology.oncotree import read_oncotree
from trialmatch.patients import normalize_records
from trialmatch.patients.read import RawRecord
from trialmatch.rules.dsl import parse_text
from trialmatch.rules.trial import Cohort, Trial

ROOT = Path(__file__).resolve().parents[2]
P0001 = ROOT / "examples" / "patients" / "P-0001.json"


def _codes(tree: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}

    def walk(node: dict) -> None:
        out[node["code"]] = node
        for child in node["children"].values():
            walk(child)

    for root in tree.values():
        walk(root)
    return out


def _db_ontology(db):
    store, ont = open_catalog(db)
    store.close()
    return ont


@pytest.fixture(scope="module")
def onco2025() -> Path:
    return shared_file("oncotree", "oncotree_2025_10_03.json")


@pytest.fixture(scope="module")
def onco2021() -> Path:
    return shared_file("oncotree", "oncotree_2021_11_02.json")


@pytest.fixture(scope="module")
def hgnc() -> Path:
    return shared_file("hgnc", "hgnc_entries.tsv")


def test_oncotree_json_imports_whole_tree_under_solid_and_heme(tmp_path, onco2025):
    db = tmp_path / "o.duckdb"
    report = import_ontology("oncotree", onco2025, db=db)
    official = _codes(json.loads(onco2025.read_text()))
    ont = _db_ontology(db)
    assert set(official) <= set(ont.cancers)
    assert report.rows >= len(official) and len(official) >= 890
    for code, node in official.items():
        if node["parent"] not in (None, "TISSUE"):
            assert ont.cancers[code]["parent"] == node["parent"], code
    for tissue in official["TISSUE"]["children"]:
        want = HEME if tissue in ("MYELOID", "LYMPH") else SOLID
        assert ont.cancer_ancestors(tissue).get(want) == 1, tissue
    assert ont.is_solid("LUAD") is True and ont.is_solid("DLBCLNOS") is False
    assert ontology_sources(db)[0]["name"] == "oncotree"


def test_revoked_codes_resolve_to_their_successors(onco2021, onco2025):
    old, new = _codes(json.loads(onco2021.read_text())), _codes(json.loads(onco2025.read_text()))
    gone = sorted(set(old) - set(new))
    assert "GBM" in gone
    data = read_oncotree(onco2025)
    for code in gone:
        assert data.successors.get(code) in new, code
    assert data.successors["GBM"] == "GB"
    assert data.successors["ALL"] not in ("BLL", "TLL")  # split: read at the common parent


def test_revoked_codes_in_patients_and_trials_after_import(tmp_path, onco2025):
    db = tmp_path / "r.duckdb"
    import_ontology("oncotree", onco2025, db=db)
    ont = _db_ontology(db)
    out = normalize_records([RawRecord({"id": "P-GBM", "diagnosis": {"oncotree": "AASTR"}},
                                       "p.json", "")], ont, TODAY)
    (p,) = out.patients
    assert p.oncotree == "ASTR"
    assert any("successor ASTR" in w for w in out.warnings)
    store, ont = open_catalog(db)
    try:
        replace_trials(store, ont, [Trial("T-AASTR", (Cohort("main", parse_text(
            "diagnosis(AASTR)")),))], "test")
    finally:
        store.close()
    from trialmatch.app.ontology_admin import check_terms

    assert any("revoked OncoTree code 'AASTR'" in w and "T-AASTR" in w
               for w in check_terms(db=db))
    patient = tmp_path / "astr.json"
    patient.write_text(json.dumps({"id": "P-ASTR", "diagnosis": {"oncotree": "ASTR"}}))
    report = find(patient, db=db, include_ineligible=True, today=TODAY)
    got = {m["trial_id"]: m["status"] for m in report.results[0]["matches"]}
    assert got["T-AASTR"] == "eligible"


def test_oncotree_tsv_export_imports_the_same_tree(tmp_path, onco2025):
    official = _codes(json.loads(onco2025.read_text()))
    lines = ["\t".join([f"level_{i}" for i in range(1, 8)] + ["metamaintype", "metacolor",
                                                              "metanci", "metaumls",
                                                              "history"])]

    def chain(code):
        out = []
        while code and code != "TISSUE":
            out.append(code)
            code = official[code]["parent"]
        return out[::-1]

    for code, node in official.items():
        if code == "TISSUE":
            continue
        levels = [f"{official[c]['name']} ({c})" for c in chain(code)]
        lines.append("\t".join(levels + [""] * (7 - len(levels)) + [
            node["mainType"] or "", "", "", "", ",".join(node["history"])]))
    tsv = tmp_path / "tumor_types.txt"
    tsv.write_text("\n".join(lines) + "\n")
    data = read_oncotree(tsv)
    from_json = read_oncotree(onco2025)
    parents = {str(r["code"]): str(r["parent"]) for r in data.rows}
    assert parents == {str(r["code"]): str(r["parent"]) for r in from_json.rows}
    assert data.successors["MM"] == "PCM"  # from the history column


def test_hgnc_import_resolves_aliases(tmp_path, hgnc):
    db = tmp_path / "h.duckdb"
    report = import_ontology("hgnc", hgnc, db=db)
    assert report.rows > 40_000
    ont = _db_ontology(db)
    assert ont.gene_symbol("HER2") == "ERBB2"          # curated alias still wins
    assert ont.gene_symbol("A1BG") == "A1BG"            # an imported approved symbol
    assert ont.gene_symbol("NCRNA00181") == "A1BG-AS1"  # an imported previous symbol
    assert ont.gene_symbol("FLJ23569") == "A1BG-AS1"    # an imported alias
    assert ont.has_gene("ZZZ3") and not ont.is_curated_gene("ZZZ3")


def test_find_after_the_hgnc_import_rebuilds_nothing(tmp_path, hgnc, monkeypatch):
    """After an import, `find` reads the stored result: no derived table is rebuilt and
    nothing is written (what once made every `find` slow after a large import)."""
    import trialmatch.app.catalog as catalog
    from trialmatch.ontology import stored

    db = tmp_path / "f.duckdb"
    before = find(P0001, db=db, today=TODAY)  # creates the file, loads the curated trials
    import_ontology("hgnc", hgnc, db=db)

    def no_writes(*_args, **_kwargs):
        raise AssertionError("find rebuilt derived tables after the import")

    monkeypatch.setattr(catalog, "rebuild", no_writes)
    monkeypatch.setattr(catalog, "_open_shared", _shared_only(catalog._open_shared))
    for _ in range(2):
        stored._CACHE.clear()  # a fresh process: the merged ontology is built once
        assert find(P0001, db=db, today=TODAY).results == before.results


def _shared_only(open_shared):
    def opened(*args, **kwargs):
        found = open_shared(*args, **kwargs)
        assert found is not None, "find needed to write"
        return found
    return opened


def test_reset_forgets_imports(tmp_path, onco2025):
    db = tmp_path / "x.duckdb"
    embedded = set(_db_ontology(db).cancers)
    report = import_ontology("oncotree", onco2025, db=db)
    new = set(report.added)
    assert new and not new & embedded and new <= set(_db_ontology(db).cancers)
    assert reset_ontology(db=db) == 1
    assert ontology_sources(db) == []
    assert set(_db_ontology(db).cancers) == embedded


def test_replace_takes_the_official_structure_and_keeps_our_synonyms(tmp_path, onco2021):
    db = tmp_path / "old.duckdb"
    embedded = _db_ontology(db)
    import_ontology("oncotree", onco2021, db=db, replace=True)
    ont = _db_ontology(db)
    official = _codes(json.loads(onco2021.read_text()))
    assert set(ont.cancers) == set(official) | {SOLID, HEME}
    for code, node in official.items():
        if node["parent"] not in (None, "TISSUE"):
            assert ont.cancers[code]["parent"] == node["parent"], code
    assert "GBM" in ont.cancers  # current in 2021
    kept = set(embedded.cancers["LUAD"]["synonyms"])
    assert kept <= set(ont.cancers["LUAD"]["synonyms"])
