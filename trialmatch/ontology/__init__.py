"""The ontology graph (networkx): cancer types, genes, variant groups, drugs.

`default_ontology()` loads the embedded files shipped in `ontologies/`, once per process;
`store_ontology(store)` is the ontology of a database (the embedded one merged with the
OncoTree / HGNC files imported into it).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from trialmatch.ontology.graph import HEME, ROOT, SOLID, Ontology, Term
from trialmatch.ontology.load import read_sources
from trialmatch.ontology.stored import embedded_tables, store_ontology

__all__ = ["HEME", "ROOT", "SOLID", "Ontology", "Term", "default_ontology", "load_ontology",
           "store_ontology"]


def load_ontology(folder: Path | None = None) -> Ontology:
    """Load and validate the ontology files in `folder` (default: the embedded ones)."""
    if folder is None:
        return Ontology.from_tables(embedded_tables())
    return Ontology.from_tables(read_sources(Path(folder)))


@lru_cache(maxsize=1)
def default_ontology() -> Ontology:
    """The embedded ontology, once per process (and from the user's cache when it holds
    the same files: `ontology.cache`)."""
    from trialmatch.ontology.cache import cached_ontology
    from trialmatch.resources import data_dir

    return cached_ontology(data_dir("ontologies"), load_ontology)
