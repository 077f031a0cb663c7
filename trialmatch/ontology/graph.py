"""The ontology graph: cancer types, genes and families, variant groups, drugs and classes.

One networkx DiGraph whose edges point from the specific to the general
(`cancer:LUAD -> cancer:NSCLC`, `gene:KRAS -> family:RAS`, `drug:osimertinib ->
class:third_gen_egfr_tki -> class:egfr_tki`). Lookup tables built from it resolve the
words of patients and trials to ids; the matcher and the ranker ask it questions
(is-a, distance, the path between two terms). Implements `rules.variants.Vocabulary`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx

from trialmatch.ontology.load import Row

SOLID, HEME, ROOT = "SOLID", "HEME", "TISSUE"


@dataclass(frozen=True, slots=True)
class Term:
    """One node of the graph, as `ontology show` prints it."""

    id: str
    kind: str  # cancer, gene, family, drug, drug_class, variant_group
    name: str
    synonyms: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    children: tuple[str, ...] = ()
    attributes: dict[str, object] = field(default_factory=dict)


def _key(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").split())


class Ontology:
    """The loaded graph with lookup tables. Build with `Ontology.from_tables`."""

    def __init__(self) -> None:
        self.graph = nx.DiGraph()
        self.cancers: dict[str, Row] = {}
        self.genes: dict[str, Row] = {}
        self.families: dict[str, tuple[str, ...]] = {}
        self.family_rows: dict[str, Row] = {}
        self.drugs: dict[str, Row] = {}
        self.drug_classes: dict[str, Row] = {}
        self.groups: dict[tuple[str, str], Row] = {}
        self.successors: dict[str, str] = {}  # revoked or renamed OncoTree code -> current
        self._gene_index: dict[str, str] = {}
        self._cancer_index: dict[str, str] = {}
        self._drug_index: dict[str, str] = {}

    # ------------------------------------------------------------------ building
    @classmethod
    def from_tables(cls, tables: dict[str, list[Row]]) -> Ontology:
        ont = cls()
        for row in tables["cancer_types"]:
            ont.add_cancer(row)
        for row in tables["gene_families"]:
            ont.family_rows[str(row["family"])] = row
        for row in tables["genes"]:
            ont.add_gene(row)
        for row in tables["drug_classes"]:
            ont.add_drug_class(row)
        for row in tables["drugs"]:
            ont.add_drug(row)
        for row in tables["variant_groups"]:
            ont.groups[(str(row["gene"]), str(row["group"]))] = row
        ont.index()
        return ont

    def add_cancer(self, row: Row) -> None:
        code = str(row["code"])
        self.cancers[code] = row
        self.graph.add_node(f"cancer:{code}", kind="cancer")
        if row["parent"]:
            self.graph.add_edge(f"cancer:{code}", f"cancer:{row['parent']}", rel="is_a")

    def add_gene(self, row: Row) -> None:
        symbol = str(row["symbol"])
        self.genes[symbol] = row
        self.graph.add_node(f"gene:{symbol}", kind="gene")
        for fam in row["families"]:
            self.families[fam] = (*self.families.get(fam, ()), symbol)
            self.graph.add_edge(f"gene:{symbol}", f"family:{fam}", rel="member_of")

    def add_drug_class(self, row: Row) -> None:
        cid = str(row["id"])
        self.drug_classes[cid] = row
        self.graph.add_node(f"class:{cid}", kind="drug_class")
        if row["parent"]:
            self.graph.add_edge(f"class:{cid}", f"class:{row['parent']}", rel="is_a")

    def add_drug(self, row: Row) -> None:
        name = str(row["name"])
        self.drugs[name] = row
        self.graph.add_node(f"drug:{name}", kind="drug")
        for cls_id in row["classes"]:
            self.graph.add_edge(f"drug:{name}", f"class:{cls_id}", rel="in_class")

    def index(self) -> None:
        """Rebuild the surface-form lookup tables (specific names win over aliases)."""
        genes: dict[str, str] = {}
        for fam, row in self.family_rows.items():
            for s in (fam, *row["synonyms"]):
                genes.setdefault(_key(s), fam)
        for sym, row in self.genes.items():
            for s in (*row["previous"], *row["aliases"]):
                genes[_key(s)] = sym
        for sym in self.genes:
            genes[_key(sym)] = sym
        self._gene_index = genes
        cancers: dict[str, str] = {}
        for code, row in self.cancers.items():
            for s in row["synonyms"]:
                cancers.setdefault(_key(s), code)
            cancers[_key(str(row["name"]))] = code
        for code in self.cancers:
            cancers[_key(code)] = code
        self._cancer_index = cancers
        drugs: dict[str, str] = {}
        for cid, row in self.drug_classes.items():
            for s in (cid, str(row["name"]), *row["synonyms"]):
                drugs.setdefault(_key(s), cid)
        for name, row in self.drugs.items():
            for s in (*row["synonyms"], *row["brands"], name):
                drugs[_key(s)] = name
        self._drug_index = drugs
        for cache in ("_ancestors", "_drug_concepts"):
            self.__dict__.pop(cache, None)

    # ------------------------------------------------------------------ resolving words
    def gene_symbol(self, text: str) -> str | None:
        """HGNC symbol (or family id) for a symbol, alias or previous symbol."""
        return self._gene_index.get(_key(text))

    def gene_lexicon(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for sym, row in self.genes.items():
            for s in (sym, *row["aliases"], *row["previous"]):
                out.setdefault(s, sym)
        for fam, row in self.family_rows.items():
            for s in (fam, *row["synonyms"]):
                out.setdefault(s, fam)
        return out

    def cancer_code(self, text: str) -> str | None:
        code = self._cancer_index.get(_key(text))
        if code is None and text.upper() in self.successors:
            return self.successors[text.upper()]
        return code

    def cancer_lexicon(self) -> dict[str, str]:
        return dict(self._cancer_index)

    def drug_concept(self, text: str) -> str | None:
        """Generic drug name, or drug-class id, for any name the ontology knows."""
        return self._drug_index.get(_key(text))

    def drug_lexicon(self) -> dict[str, str]:
        return dict(self._drug_index)

    def variant_group_lexicon(self, gene: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for (g, group), row in self.groups.items():
            if g == gene:
                for s in (group, str(row["name"]), *row["synonyms"]):
                    out.setdefault(_key(s), group)
        return out

    # ------------------------------------------------------------------ Vocabulary
    def gene_members(self, gene: str) -> tuple[str, ...]:
        return self.families.get(gene, (gene,))

    def variant_group(self, gene: str, group: str) -> tuple[str, ...] | None:
        row = self.groups.get((gene, group))
        return tuple(row["members"]) if row else None  # type: ignore[arg-type]

    @cached_property
    def _ancestors(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for code in self.cancers:
            chain: dict[str, int] = {code: 0}
            parent, dist = str(self.cancers[code]["parent"]), 1
            while parent:
                chain[parent] = dist
                parent, dist = str(self.cancers[parent]["parent"]), dist + 1
            out[code] = chain
        return out

    def cancer_ancestors(self, code: str) -> dict[str, int]:
        """Each ancestor of `code` (itself included) with its distance."""
        return self._ancestors.get(code, {code: 0})

    def cancer_relation(self, trial_code: str, patient_code: str) -> int:
        """2 if the patient's type is the trial's or below it, 1 if coarser, else 0."""
        if trial_code in self.cancer_ancestors(patient_code):
            return 2
        if patient_code in self.cancer_ancestors(trial_code):
            return 1
        return 0

    def cancer_path(self, patient_code: str, trial_code: str) -> list[str]:
        """The is-a path from the patient's code up to the trial's ([] if none)."""
        chain = self.cancer_ancestors(patient_code)
        if trial_code not in chain:
            return []
        return sorted((c for c, d in chain.items() if d <= chain[trial_code]), key=chain.get)

    @cached_property
    def _drug_concepts(self) -> dict[str, frozenset[str]]:
        out: dict[str, frozenset[str]] = {}
        for name in self.drugs:
            reach = nx.descendants(self.graph, f"drug:{name}")
            out[name] = frozenset({name, *(n.split(":", 1)[1] for n in reach
                                           if n.startswith("class:"))})
        return out

    def drug_concepts(self, drug: str) -> frozenset[str]:
        """The drug itself and every class it belongs to (a class id stands for itself)."""
        if drug in self._drug_concepts:
            return self._drug_concepts[drug]
        if drug in self.drug_classes:
            reach = nx.descendants(self.graph, f"class:{drug}")
            return frozenset({drug, *(n.split(":", 1)[1] for n in reach)})
        return frozenset({drug})

    def drug_class_path(self, drug: str, concept: str) -> list[str]:
        try:
            path = nx.shortest_path(self.graph, f"drug:{drug}", f"class:{concept}")
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return []
        return [n.split(":", 1)[1] for n in path]

    # ------------------------------------------------------------------ describing
    def is_solid(self, code: str) -> bool | None:
        chain = self.cancer_ancestors(code)
        return True if SOLID in chain else False if HEME in chain else None

    def cancer_name(self, code: str) -> str:
        row = self.cancers.get(code)
        return str(row["name"]) if row else code
