"""The standard-code table (`ontologies/standard_codes.tsv`) points at codes that exist."""

from __future__ import annotations

import csv

from tests.conftest import shared
from trialmatch.ontology import default_ontology
from trialmatch.patients.codes import SYSTEMS, oncotree_from_icdo3, table

PROFILE_FIELDS = {"her2", "her2_ihc", "her2_ish", "er", "pr", "msi", "tmb", "pdl1_tps",
                  "pdl1_cps", "ecog", "karnofsky"}


def test_every_row_targets_something_trialmatch_knows():
    ont = default_ontology()
    rows = table()
    assert {s for s, _ in rows} == set(SYSTEMS)
    for (system, code), target in rows.items():
        if system in ("snomed", "icdo3-site", "icdo3-morph", "ncit"):
            assert target in ont.cancers, (system, code, target)
        elif system == "hgnc":
            assert code.startswith("HGNC:") and ont.gene_symbol(target) == target
        else:
            assert target in PROFILE_FIELDS, (system, code, target)


def test_morphology_refines_the_site():
    assert oncotree_from_icdo3("C34.1", "8140/3") == "LUAD"
    assert oncotree_from_icdo3("C34.1", "9999/3") == "LUNG"
    assert oncotree_from_icdo3("X99", None) is None


def test_hgnc_ids_agree_with_hgnc():
    path = shared("hgnc", "hgnc_entries.tsv")
    with path.open(encoding="utf-8") as fh:
        ids = {r["HGNC ID"]: r["Approved symbol"] for r in csv.DictReader(fh, delimiter="\t")}
    for (system, code), symbol in table().items():
        if system == "hgnc":
            assert ids.get(code) == symbol, code
