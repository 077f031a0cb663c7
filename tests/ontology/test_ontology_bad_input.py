"""Bad ontology input is rejected with the offending lines, and the previous ontology stays.

Both for our own TSV sources and for the importers; and unknown terms are reported with the
closest known names instead of failing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ontology_helpers import MINI

from trialmatch.app.catalog import open_catalog
from trialmatch.app.ontology_admin import import_ontology, ontology_sources, show_term
from trialmatch.cli.app import main
from trialmatch.errors import OntologyError, UsageError
from trialmatch.ontology import load_ontology
from trialmatch.ontology.hgnc import read_hgnc
from trialmatch.ontology.oncotree import read_oncotree

HEADER = "code\tname\tparent\tmain_type\ttissue\tsynonyms"


def _mini_copy(tmp_path: Path, cancer_rows: list[str]) -> Path:
    folder = tmp_path / "ont"
    shutil.copytree(MINI, folder)
    (folder / "cancer_types.tsv").write_text("\n".join([HEADER, *cancer_rows]) + "\n")
    return folder


ROWS = ["TISSUE\tTissue\t\t\t\t", "SOLID\tSolid Tumor\tTISSUE\t\t\t",
        "HEME\tHematologic Malignancy\tTISSUE\t\t\t", "LUNG\tLung\tSOLID\tLung\tLUNG\t",
        "NSCLC\tNon-Small Cell Lung Cancer\tLUNG\tNSCLC\tLUNG\t",
        "LUAD\tLung Adenocarcinoma\tNSCLC\tNSCLC\tLUNG\t"]


@pytest.mark.parametrize("change, lines, words", [
    (lambda r: [*r[:4], r[4].replace("\tLUNG\tNSCLC", "\tLUAD\tNSCLC"), r[5]], [6],
     "cycle NSCLC -> LUAD -> NSCLC (lines 6, 7)"),
    (lambda r: [*r, "LUSC\tLung Squamous\tNOPE\tNSCLC\tLUNG\t"], [8], "unknown parent 'NOPE'"),
    (lambda r: [*r, "LUAD\tLung Adenocarcinoma again\tNSCLC\tNSCLC\tLUNG\t"], [8],
     "duplicate code 'LUAD' (first at line 7)"),
])
def test_a_bad_tsv_source_is_rejected_with_its_lines(tmp_path, change, lines, words):
    before = load_ontology(MINI)
    folder = _mini_copy(tmp_path, change(ROWS))
    with pytest.raises(OntologyError) as err:
        load_ontology(folder)
    text = str(err.value)
    assert words in text
    for line in lines:
        assert f"cancer_types.tsv:{line}" in text
    assert set(load_ontology(MINI).cancers) == set(before.cancers)


def test_check_lists_the_problems_of_a_bad_ontology_folder(tmp_path, capsys):
    folder = _mini_copy(tmp_path, [*ROWS, "LUSC\tLung Squamous\tNOPE\tNSCLC\tLUNG\t"])
    code = main(["check", "--ontology", str(folder)])
    assert code == 1
    assert "cancer_types.tsv:8" in capsys.readouterr().err


# ----------------------------------------------------------------------------- importers

def _tree(*children: dict) -> dict:
    return {"TISSUE": {"code": "TISSUE", "name": "Tissue", "parent": None, "children": {
        c["code"]: c for c in children}}}


def _node(code: str, parent: str, *children: dict, **extra) -> dict:
    return {"code": code, "name": code.title(), "mainType": "", "tissue": "", "parent": parent,
            "history": [], "revocations": [], "precursors": [],
            "children": {c["code"]: c for c in children}, **extra}


GOOD = _tree(_node("LUNG", "TISSUE", _node("NSCLC", "LUNG", _node("LUAD", "NSCLC"),
                                           _node("LUNEW", "NSCLC"))))


@pytest.fixture()
def db_with_import(tmp_path):
    db = tmp_path / "d.duckdb"
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD, indent=1))
    import_ontology("oncotree", good, db=db)
    return db


def _unchanged(db) -> None:
    (src,) = ontology_sources(db)
    assert src["file"] == "good.json"
    store, ont = open_catalog(db)
    store.close()
    assert "LUNEW" in ont.cancers


def _write(tmp_path: Path, name: str, data) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=1))
    return path


BAD_ONCOTREE = {
    "duplicate.json": (_tree(_node("LUNG", "TISSUE", _node("LUNEW", "LUNG"),
                                   _node("NSCLC", "LUNG", _node("LUNEW", "NSCLC"))))
                       , "duplicate code 'LUNEW'"),
    "cycle.json": ([_node("TISSUE", None), _node("LUNG", "TISSUE"), _node("A", "B"),
                    _node("B", "A")], "cycle"),
    "dangling.json": ([_node("TISSUE", None), _node("LUNG", "TISSUE"), _node("A", "NOPE")],
                      "unknown parent 'NOPE'"),
    "disagree.json": (_tree(_node("LUNG", "TISSUE", _node("NSCLC", "BREAST"))),
                      "says its parent is 'BREAST' but sits under 'LUNG'"),
    "broken.json": ('{"TISSUE": {"code": "TISSUE",\n "children": }', "not valid JSON"),
    "cycle.tsv": ("code\tname\tparent\nTISSUE\tTissue\t\nLUNG\tLung\tTISSUE\nA\tA\tB\n"
                  "B\tB\tA\n", "cycle"),
    "levels.tsv": ("level_1\tlevel_2\tlevel_3\nLung (LUNG)\t\t\nLung (LUNG)\tNSCLC (NSCLC)\t\n"
                   "Breast (BREAST)\tNSCLC (NSCLC)\t\n", "duplicate code 'NSCLC'"),
}


@pytest.mark.parametrize("name", sorted(BAD_ONCOTREE))
def test_a_bad_oncotree_file_is_rejected_and_the_previous_ontology_stays(
        tmp_path, db_with_import, name):
    data, words = BAD_ONCOTREE[name]
    path = _write(tmp_path, name, data)
    with pytest.raises(OntologyError) as err:
        import_ontology("oncotree", path, db=db_with_import)
    text = str(err.value)
    assert words in text and f"{name}:" in text
    _unchanged(db_with_import)


def test_offending_lines_of_a_json_tree_are_named(tmp_path):
    path = _write(tmp_path, "dup.json", BAD_ONCOTREE["duplicate.json"][0])
    lines = path.read_text().splitlines()
    dup = [i for i, ln in enumerate(lines, 1) if '"code": "LUNEW"' in ln]
    with pytest.raises(OntologyError) as err:
        read_oncotree(path)
    assert f"dup.json:{dup[1]}: duplicate code 'LUNEW' (first at line {dup[0]})" in str(
        err.value)


def test_a_bad_hgnc_file_is_rejected_and_the_previous_ontology_stays(tmp_path,
                                                                     db_with_import):
    head = "HGNC ID\tApproved symbol\tApproved name\tStatus\tAlias symbols\tPrevious symbols\n"
    dup = _write(tmp_path, "dup.tsv", head + "HGNC:1\tEGFR\tx\tApproved\t\t\n"
                 "HGNC:2\tKRAS\tk\tApproved\t\t\nHGNC:3\tEGFR\ty\tApproved\t\t\n")
    with pytest.raises(OntologyError) as err:
        import_ontology("hgnc", dup, db=db_with_import)
    assert "dup.tsv:4: duplicate approved symbol 'EGFR' (first at line 2)" in str(err.value)
    nocol = _write(tmp_path, "nocol.tsv", "gene\tname\nEGFR\tx\n")
    with pytest.raises(OntologyError, match="Approved symbol"):
        read_hgnc(nocol)
    _unchanged(db_with_import)


def test_an_import_that_breaks_the_merged_graph_is_refused(tmp_path, db_with_import):
    """Replacing the genes with a file that lacks EGFR orphans the EGFR variant groups."""
    small = _write(tmp_path, "small.tsv", "Approved symbol\tStatus\nKRAS\tApproved\n")
    with pytest.raises(OntologyError) as err:
        import_ontology("hgnc", small, db=db_with_import, replace=True)
    assert "variant group of unknown gene 'EGFR'" in str(err.value)
    _unchanged(db_with_import)


def test_the_cli_exits_2_and_names_the_lines(tmp_path, capsys):
    path = _write(tmp_path, "dangling.json", BAD_ONCOTREE["dangling.json"][0])
    code = main(["ontology", "import", "oncotree", str(path), "--db",
                 str(tmp_path / "c.duckdb")])
    err = capsys.readouterr().err
    assert code == 2 and "dangling.json:" in err and "NOPE" in err


# ----------------------------------------------------------------------------- unknown terms

def test_unknown_terms_get_the_closest_names(ontology):
    with pytest.raises(UsageError) as err:
        show_term("LUADD", ontology=ontology)
    assert "LUAD (Lung Adenocarcinoma)" in str(err.value)
    with pytest.raises(UsageError) as err:
        show_term("osimertnib", ontology=ontology)
    assert "osimertinib" in str(err.value)
    with pytest.raises(UsageError, match="no close match"):
        show_term("qqqqzzzz", ontology=ontology)


def test_unknown_terms_in_trial_criteria_are_reported_with_suggestions(ontology):
    from trialmatch.ontology.check import tree_problems
    from trialmatch.rules.dsl import parse_text
    from trialmatch.rules.nodes import leaves

    rule = parse_text("all(diagnosis(LUADD), alteration(EGRF, mutation), prior(osimertnib), "
                      "alteration(EGFR, mutation, variant=sensitising), diagnosis(LUAD))")
    problems = tree_problems(ontology, leaves(rule))
    assert len(problems) == 4
    assert "unknown OncoTree code 'LUADD'; closest: LUAD" in problems[0]
    assert "unknown gene 'EGRF'" in problems[1] and "EGFR" in problems[1]
    assert "osimertinib" in problems[2]
    assert "sensitizing" in problems[3]
