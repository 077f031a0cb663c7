"""`trialmatch ontology show TERM`: the node, its synonyms, parents and children."""

from __future__ import annotations

import json

import pytest

from trialmatch.app.ontology_admin import show_term
from trialmatch.cli.app import main


def show(term: str, tmp_path, capsys) -> tuple[int, object, str]:
    code = main(["ontology", "show", term, "--db", str(tmp_path / "s.duckdb"), "--format",
                 "json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def test_show_a_cancer_code(tmp_path, capsys):
    code, t, _ = show("LUAD", tmp_path, capsys)
    assert code == 0
    assert t["id"] == "LUAD" and t["kind"] == "cancer" and t["parents"] == ["NSCLC"]
    assert t["path"][:2] == ["LUAD", "NSCLC"] and t["path"][-2:] == ["SOLID", "TISSUE"]
    assert t["group"] == "solid" and t["tissue"] == "LUNG"


def test_show_a_gene_by_alias(tmp_path, capsys):
    code, t, _ = show("HER2", tmp_path, capsys)
    assert code == 0 and t["id"] == "ERBB2" and t["kind"] == "gene"
    assert "HER2" in t["synonyms"]


def test_show_a_drug_with_its_classes(tmp_path, capsys):
    code, t, _ = show("osimertinib", tmp_path, capsys)
    assert code == 0 and t["kind"] == "drug"
    assert "egfr_tki" in t["all_classes"] and "Tagrisso" in t["synonyms"]


def test_show_a_variant_group(tmp_path, capsys):
    code, t, _ = show("EGFR sensitizing", tmp_path, capsys)
    assert code == 0 and t["kind"] == "variant_group" and t["parents"] == ["EGFR"]
    assert {"L858R", "exon19del"} <= set(t["children"])


def test_show_a_class_lists_children_and_a_family_its_members(ontology):
    (cls,) = show_term("egfr_tki", ontology=ontology)
    assert "osimertinib" in cls["drugs"]
    (fam,) = show_term("NTRK", ontology=ontology)
    assert fam["kind"] == "family" and {"NTRK1", "NTRK2", "NTRK3"} <= set(fam["children"])


def test_show_table_and_unknown_term(tmp_path, capsys):
    code = main(["ontology", "show", "LUAD", "--db", str(tmp_path / "s.duckdb"), "--format",
                 "table"])
    out = capsys.readouterr().out
    assert code == 0 and "Lung Adenocarcinoma" in out and "NSCLC" in out
    code, _, err = show("Lung adenocarcinomma", tmp_path, capsys)
    assert code == 2 and "LUAD" in err


@pytest.mark.parametrize("term", ["GBM", "ALK", "pembrolizumab", "BRAF V600"])
def test_show_never_crashes_on_common_terms(ontology, term):
    assert show_term(term, ontology=ontology)
