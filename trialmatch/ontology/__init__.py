"""The ontology graph (networkx): cancer types, genes, variant groups, drugs.

`default_ontology()` loads the embedded files shipped in `ontologies/`, once per process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from trialmatch.ontology.graph import HEME, ROOT, SOLID, Ontology, Term
from trialmatch.ontology.load import read_sources
from trialmatch.resources import data_dir

__all__ = ["HEME", "ROOT", "SOLID", "Ontology", "Term", "default_ontology", "load_ontology"]


def load_ontology(folder: Path | None = None) -> Ontology:
    """Load and validate the ontology files in `folder` (default: the embedded ones)."""
    return Ontology.from_tables(read_sources(folder or data_dir("ontologies")))


@lru_cache(maxsize=1)
def default_ontology() -> Ontology:
    return load_ontology()
