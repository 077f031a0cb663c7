"""The ontology graph: cancer types, genes and families, variant groups, drugs and classes.

One networkx DiGraph whose edges point from the specific to the general
(`cancer:LUAD -> cancer:NSCLC`, `gene:KRAS -> family:RAS`, `drug:osimertinib ->
class:third_gen_egfr_tki -> class:egfr_tki`). Lookup tables built from it resolve the
words of patients and trials to ids; the matcher and the ranker ask it questions
(is-a, distance, the path between two terms). Implements `rules.variants.Vocabulary`.

The DiGraph is built on first use (`Ontology.graph`): the is-a closures that matching and
ranking ask for on every run (cancer-type ancestors with their distances, the classes of a
drug) are walked from the parent links of the tables, so `find` never imports networkx
unless it needs a path between a drug and a class.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from trialmatch.ontology.hgnc import ImportedGenes
from trialmatch.ontology.load import Row, exon_ranges, surface_key

if TYPE_CHECKING:
    import networkx as nx

SOLID, HEME, ROOT = "SOLID", "HEME", "TISSUE"
_CACHES = ("_primary", "_reached", "_ancestors", "_drug_concepts", "_children", "_group_index", "_class_members",
           "fingerprint", "_combinations", "_known_parts")


def _link_lines(prefix: str, links: dict[str, tuple[str, ...]]) -> list[str]:
    """The extra is-a links of one table, one line each, for the fingerprint."""
    return [f"{prefix}{node}>{','.join(links[node])};" for node in sorted(links)]


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


_key = surface_key
# The salt or form written after a drug's name ("... hydrochloride", "... disodium")
_SALT = re.compile(r"(?i)(?:\s+(?:hydrochloride|hcl|dihydrochloride|dichloride|chloride|"
                   r"disodium|sodium|potassium|calcium|mesylate|dimesylate|besylate|tosylate|"
                   r"citrate|acetate|sulfate|sulphate|phosphate|maleate|dimaleate|malate|"
                   r"tartrate|fumarate|succinate|bromide|lactate|hydrate|monohydrate|"
                   r"trihydrate|anhydrous|injection|tablets?|capsules?))+\s*\Z")


# between the drugs of a combination product's name: "A and B", "A, B, and C"
_COMBINED = re.compile(r",\s*and\s+|,\s*|\s+and\s+")



class Ontology:
    """The loaded graph with lookup tables. Build with `Ontology.from_tables`."""

    def __init__(self) -> None:
        self._nodes: dict[str, str] = {}  # graph node -> kind, in insertion order
        self._edges: list[tuple[str, str, str]] = []  # (specific, general, relation)
        self.cancers: dict[str, Row] = {}
        self.genes: dict[str, Row] = {}
        self.families: dict[str, tuple[str, ...]] = {}
        self.family_rows: dict[str, Row] = {}
        self.drugs: dict[str, Row] = {}
        self.drug_classes: dict[str, Row] = {}
        self.groups: dict[tuple[str, str], Row] = {}
        self.successors: dict[str, str] = {}  # revoked or renamed OncoTree code -> current
        self.also: dict[str, tuple[str, ...]] = {}  # code -> the other types it is a kind of
        self.class_also: dict[str, tuple[str, ...]] = {}  # class -> other classes it is a kind of
        # code of unstated subtype -> the groups whose subtypes it leaves open
        self.unspecified: dict[str, tuple[str, ...]] = {}
        self.stated: frozenset[str] = frozenset()
        # code -> the alterations its tumours carry by definition: (gene, type, partner)
        self.defining: dict[str, tuple[tuple[str, str, str | None], ...]] = {}
        # gene -> (first codon, last codon, exon) of each exon range (`exon_at`)
        self.exons: dict[str, tuple[tuple[int, int, int], ...]] = {}
        self.imported_genes = ImportedGenes([])  # an HGNC import, below the curated genes
        self._gene_index: dict[str, str] = {}
        self._cancer_index: dict[str, str] = {}
        self._drug_index: dict[str, str] = {}

    # ------------------------------------------------------------------ building
    @classmethod
    def from_tables(cls, tables: dict[str, list[Row]],
                    successors: dict[str, str] | None = None,
                    imported_genes: ImportedGenes | None = None) -> Ontology:
        """Build from validated tables (see `load.check_tables`); `successors` maps revoked
        or renamed cancer codes to current ones (in addition to `cancer_successors` rows);
        `imported_genes` are the genes of an HGNC import."""
        ont = cls()
        if imported_genes is not None:
            ont.imported_genes = imported_genes
        for row in tables["cancer_types"]:
            ont.add_cancer(row)
        for row in tables.get("cancer_successors", ()):
            ont.successors[str(row["code"])] = str(row["successor"])
        for old, new in (successors or {}).items():
            if old not in ont.cancers:
                ont.successors[old] = new
        ont.add_also(tables.get("cancer_also", ()))
        ont.unspecified = {str(r["code"]): tuple(str(w) for w in r["within"])
                           for r in tables.get("cancer_unspecified", ())
                           if str(r["code"]) in ont.cancers
                           and all(str(w) in ont.cancers for w in r["within"])}
        ont.stated = frozenset(str(r["code"]) for r in tables.get("cancer_stated", ())
                               if str(r["code"]) in ont.cancers)
        for r in tables.get("cancer_defining", ()):
            if str(r["code"]) in ont.cancers:
                ont.defining[str(r["code"])] = (*ont.defining.get(str(r["code"]), ()), (
                    str(r["gene"]), str(r["type"]), str(r.get("partner") or "") or None))
        for row in tables["gene_families"]:
            ont.family_rows[str(row["family"])] = row
        for row in tables["genes"]:
            ont.add_gene(row)
        for row in tables["drug_classes"]:
            ont.add_drug_class(row)
        ont.add_class_also(tables.get("drug_class_also", ()))
        for row in tables["drugs"]:
            ont.add_drug(row)
        for row in tables["variant_groups"]:
            ont.groups[(str(row["gene"]), str(row["group"]))] = row
        ont.exons = exon_ranges(tables.get("gene_exons", []))
        ont.index()
        return ont

    def _node(self, node: str, kind: str) -> None:
        self._nodes[node] = kind
        self.__dict__.pop("graph", None)  # built again on next use

    def _edge(self, child: str, parent: str, rel: str) -> None:
        self._edges.append((child, parent, rel))
        self.__dict__.pop("graph", None)

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The networkx DiGraph of every term, edges from the specific to the general."""
        import networkx as nx

        graph: nx.DiGraph[str] = nx.DiGraph()
        for node, kind in self._nodes.items():
            graph.add_node(node, kind=kind)
        for child, parent, rel in self._edges:
            graph.add_edge(child, parent, rel=rel)
        for name, parts in self._known_parts:  # a regimen has its drugs
            for part in parts:
                graph.add_edge(f"drug:{name}", f"drug:{part}", rel="contains")
        return graph

    def add_cancer(self, row: Row) -> None:
        code = str(row["code"])
        self.cancers[code] = row
        self._node(f"cancer:{code}", "cancer")
        if row["parent"]:
            self._edge(f"cancer:{code}", f"cancer:{row['parent']}", "is_a")

    def add_also(self, rows: Iterable[Row]) -> None:
        """Extra is-a links (`cancer_also.tsv`) between cancer types both known here."""
        self._add_links(rows, "code", self.cancers, self.also, "cancer")

    def _add_links(self, rows: Iterable[Row], col: str, known: dict[str, Row],
                   links: dict[str, tuple[str, ...]], kind: str) -> None:
        """Extra is-a links (`col` -> `also`) between two nodes of one table both known here."""
        for row in rows:
            node, also = str(row[col]), str(row["also"])
            if node in known and also in known:
                links[node] = (*links.get(node, ()), also)
                self._edge(f"{kind}:{node}", f"{kind}:{also}", "is_a")

    def add_gene(self, row: Row) -> None:
        symbol = str(row["symbol"])
        self.genes[symbol] = row
        self._node(f"gene:{symbol}", "gene")
        for fam in row["families"]:
            self.families[fam] = (*self.families.get(fam, ()), symbol)
            self._edge(f"gene:{symbol}", f"family:{fam}", "member_of")

    def add_drug_class(self, row: Row) -> None:
        cid = str(row["id"])
        self.drug_classes[cid] = row
        self._node(f"class:{cid}", "drug_class")
        if row["parent"]:
            self._edge(f"class:{cid}", f"class:{row['parent']}", "is_a")

    def add_class_also(self, rows: Iterable[Row]) -> None:
        """Extra is-a links (`drug_class_also.tsv`) between drug classes both known here."""
        self._add_links(rows, "id", self.drug_classes, self.class_also, "class")

    def add_drug(self, row: Row) -> None:
        name = str(row["name"])
        self.drugs[name] = row
        self._node(f"drug:{name}", "drug")
        for cls_id in row["classes"]:
            self._edge(f"drug:{name}", f"class:{cls_id}", "in_class")

    def index(self) -> None:
        """Rebuild the surface-form lookup tables.

        Genes, later overriding earlier: family names, curated aliases and previous
        symbols, approved symbols. Genes of an HGNC import come after all of these
        (`gene_symbol`).
        """
        genes: dict[str, str] = {}
        for fam, row in self.family_rows.items():
            for s in (*row["synonyms"], fam):
                genes[_key(s)] = fam
        for fam in self.families:
            genes.setdefault(_key(fam), fam)
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
        for code, row in self.cancers.items():
            # a name another row lists as its synonym is that row's: OncoTree reuses a
            # wide word as the name of a narrow node ("Meningioma" is one grade of them)
            cancers.setdefault(_key(str(row["name"])), code)
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
        for key in list(self.__dict__):  # caches of this module and of `terms`
            if key in _CACHES or key.startswith("_choices_"):
                del self.__dict__[key]

    # ------------------------------------------------------------------ resolving words
    def gene_symbol(self, text: str) -> str | None:
        """HGNC symbol (or family id) for a symbol, alias or previous symbol."""
        key = _key(text)
        found = self._gene_index.get(key)
        if found is None and len(self.imported_genes):
            found = self.imported_genes.lookup(key)
        return found

    def has_gene(self, symbol: str) -> bool:
        return symbol in self.genes or symbol in self.imported_genes

    def gene_lexicon(self) -> dict[str, str]:
        """Surface forms for the trial-text parser: curated genes and families only (the
        aliases of a full HGNC import are too ambiguous for free text)."""
        out: dict[str, str] = {}
        for sym, row in self.genes.items():
            for s in (sym, *row["aliases"], *row["previous"]):
                out.setdefault(s, sym)
        for fam, row in self.family_rows.items():
            for s in (fam, *row["synonyms"]):
                out.setdefault(s, fam)
        return out

    def cancer_code(self, text: str) -> str | None:
        """The current OncoTree code for a code, name or synonym (revoked codes resolve
        to their successor)."""
        code = self._cancer_index.get(_key(text))
        if code is None and text.strip().upper() in self.successors:
            return self.resolve_cancer(text.strip().upper())
        return code

    def resolve_cancer(self, code: str) -> str:
        """`code`, or the current code that replaced it if it was revoked or renamed."""
        seen = {code}
        while code not in self.cancers and code in self.successors:
            code = self.successors[code]
            if code in seen:
                break
            seen.add(code)
        return code

    def cancer_lexicon(self) -> dict[str, str]:
        return dict(self._cancer_index)

    def drug_concept(self, text: str) -> str | None:
        """Generic drug name, or drug-class id, for any name the ontology knows; a name with
        the salt or form of the drug after it ("pemetrexed disodium", "doxorubicin HCl") is
        the drug when the rest is."""
        found = self._drug_index.get(_key(text))
        if found is None and (bare := _SALT.sub("", text)) != text and bare.strip():
            found = self._drug_index.get(_key(bare))
        return found

    def exon_at(self, gene: str, position: int | None) -> int | None:
        """The exon of `gene` that encodes protein `position` (None if no range holds it)."""
        if position is None:
            return None
        return next((exon for first, last, exon in self.exons.get(gene, ())
                     if first <= position <= last), None)

    @cached_property
    def _combinations(self) -> list[tuple[str, frozenset[str]]]:
        """Each combination product ("trifluridine and tipiracil") with its drugs, each as
        the ontology names it (or in lower case when it does not know it alone)."""
        out = []
        for name in self.drugs:
            parts = [p for p in _COMBINED.split(name) if p.strip()]
            if len(parts) > 1:
                out.append((name, frozenset(self.drug_concept(p) or p.strip().lower()
                                            for p in parts)))
        return out

    def with_combinations(self, drugs: tuple[str, ...]) -> tuple[str, ...]:
        """A treatment history with every combination product (or regimen) whose drugs it
        holds, all of them, and the drugs of each one it lists: a record that lists
        trifluridine and tipiracil had the product of the two; one that lists FOLFOX had
        oxaliplatin."""
        have = set(drugs)
        extra = [p for name, parts in self._combinations if name in have for p in sorted(parts)
                 if p not in have]
        have.update(extra)
        extra += [name for name, parts in self._combinations
                  if name not in have and parts <= have]
        return (*drugs, *dict.fromkeys(extra)) if extra else drugs

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
        return tuple(row["members"]) if row else None

    @cached_property
    def _primary(self) -> dict[str, dict[str, int]]:
        """Each code's chain of OncoTree parents (itself included) with distances."""
        out: dict[str, dict[str, int]] = {}
        for code in self.cancers:
            chain: dict[str, int] = {code: 0}
            parent, dist = str(self.cancers[code]["parent"]), 1
            while parent and parent not in chain:
                chain[parent] = dist
                parent, dist = str(self.cancers[parent]["parent"]), dist + 1
            out[code] = chain
        return out

    def _up(self, code: str) -> tuple[str, ...]:
        """The nodes one is-a step above `code`: its OncoTree parent, then the types it is
        also a kind of (`cancer_also.tsv`)."""
        parent = str(self.cancers[code]["parent"]) if code in self.cancers else ""
        return (parent, *self.also.get(code, ())) if parent else self.also.get(code, ())

    @cached_property
    def _reached(self) -> dict[str, dict[str, str]]:
        return {}  # code -> _reach(code), filled on use (the ranking asks for paths per pair)

    def _reach(self, code: str) -> dict[str, str]:
        """Each ancestor of `code` over both kinds of is-a link, in order of distance,
        mapped to the node it was reached from ("" for `code` itself)."""
        got = self._reached.get(code)
        if got is None:
            got = self._reached[code] = self._walk_up(code)
        return got

    def _walk_up(self, code: str) -> dict[str, str]:
        came: dict[str, str] = {code: ""}
        frontier = [code]
        while frontier:
            nxt = []
            for node in frontier:
                for up in self._up(node):
                    if up not in came:
                        came[up] = node
                        nxt.append(up)
            frontier = nxt
        return came

    @cached_property
    def _ancestors(self) -> dict[str, dict[str, int]]:
        """Each code's ancestors over both kinds of is-a link, with the shortest distance."""
        if not self.also:
            return self._primary
        out: dict[str, dict[str, int]] = {}
        for code in self.cancers:
            came = self._reach(code)
            chain: dict[str, int] = {}
            for node, via in came.items():
                chain[node] = chain[via] + 1 if via else 0
            out[code] = chain
        return out

    @cached_property
    def _children(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for code, row in self.cancers.items():
            if row["parent"]:
                out.setdefault(str(row["parent"]), []).append(code)
        return {k: tuple(sorted(v)) for k, v in out.items()}

    def cancer_children(self, code: str) -> tuple[str, ...]:
        return self._children.get(code, ())

    def cancer_ancestors(self, code: str) -> dict[str, int]:
        """Each ancestor of `code` (itself included) with its distance; a revoked code
        stands for its successor."""
        chain = self._ancestors.get(code)
        if chain is None:
            current = self.resolve_cancer(code)
            chain = self._ancestors.get(current, {code: 0})
        return chain

    def closure_rows(self) -> list[tuple[str, str, int]]:
        """(code, ancestor, distance) for every code, revoked codes standing for their
        successors on both sides, so the SQL matcher agrees with `cancer_relation`."""
        rows = [(code, anc, d) for code in self.cancers
                for anc, d in self.cancer_ancestors(code).items()]
        below: dict[str, list[tuple[str, int]]] = {}
        for code, anc, d in rows:
            below.setdefault(anc, []).append((code, d))
        for old in sorted(self.successors):
            new = self.resolve_cancer(old)
            if new not in self.cancers:
                continue
            rows.extend((old, anc, d) for anc, d in self.cancer_ancestors(new).items())
            rows.extend((code, old, d) for code, d in below.get(new, ()))
        return rows

    def cancer_relation(self, trial_code: str, patient_code: str) -> int:
        """How a patient's cancer type meets a trial's: `is_a_relation`, and 1 (unknown)
        where the patient's code leaves its subtype unstated within a group that holds the
        trial's type (`cancer_unspecified.tsv`)."""
        relation = self.is_a_relation(trial_code, patient_code)
        if relation == 1 and self._stated_below(self.resolve_cancer(trial_code),
                                                self.resolve_cancer(patient_code)):
            relation = 0
        if relation == 0 and self._left_open(self.resolve_cancer(trial_code),
                                             self.resolve_cancer(patient_code)):
            return 1
        return relation

    def is_a_relation(self, trial_code: str, patient_code: str) -> int:
        """2 if the patient's type is the trial's or below it, 1 if coarser or if the
        patient's code is not in this ontology (a valid OncoTree code outside the embedded
        subset says nothing either way), else 0."""
        if trial_code == patient_code:
            return 2
        trial_code, patient_code = (self.resolve_cancer(trial_code),
                                    self.resolve_cancer(patient_code))
        if patient_code not in self.cancers:
            return 1
        if trial_code in self.cancer_ancestors(patient_code):
            return 2
        if patient_code in self.cancer_ancestors(trial_code):
            return 1
        return 0

    def _stated_below(self, trial_code: str, patient_code: str) -> bool:
        """Whether the trial's type is, or lies within, a subtype below the patient's coarser
        code that a record names whenever a patient has it (`cancer_stated.tsv`: "AML"
        recorded is not acute promyelocytic leukaemia): unmet, not unknown."""
        if not self.stated:
            return False
        ups = self.cancer_ancestors(trial_code)
        if patient_code not in ups:
            return False
        return trial_code in self.stated or any(
            code in self.stated for code, d in ups.items() if d < ups[patient_code])

    def _codes_and_revoked(self) -> list[str]:
        """Every cancer code, and every revoked code whose successor is one."""
        return [*self.cancers, *(old for old in self.successors
                                 if self.resolve_cancer(old) in self.cancers)]

    def stated_rows(self) -> list[tuple[str, str]]:
        """(patient code, trial code) for every pair `_stated_below` holds, revoked codes
        standing for their successors on both sides, so the SQL matcher agrees with
        `cancer_relation`."""
        if not self.stated:
            return []
        codes = self._codes_and_revoked()
        rows = []
        for t in codes:
            current = self.resolve_cancer(t)
            ups = self.cancer_ancestors(current)
            if self.stated.isdisjoint(ups):
                continue  # (most codes: no stated subtype at or above them)
            rows += [(p, t) for p in codes if self.resolve_cancer(p) != current
                     and self.resolve_cancer(p) in ups
                     and self._stated_below(current, self.resolve_cancer(p))]
        return rows

    def _left_open(self, trial_code: str, patient_code: str) -> bool:
        """Whether the patient's code leaves its subtype unstated within a group that holds
        the trial's type ("glioma, NOS" against an ependymoma): unknown, not unmet."""
        groups = self.unspecified.get(patient_code, ())
        return bool(groups) and any(g in self.cancer_ancestors(trial_code) for g in groups)

    def unstated_rows(self) -> list[tuple[str, str]]:
        """(patient code, trial code) for every pair `_left_open` holds, revoked codes
        standing for their successors on both sides, so the SQL matcher agrees with
        `cancer_relation`."""
        if not self.unspecified:
            return []
        codes = self._codes_and_revoked()
        vague = [c for c in codes if self.resolve_cancer(c) in self.unspecified]
        return [(p, t) for p in vague for t in codes
                if self._left_open(self.resolve_cancer(t), self.resolve_cancer(p))]

    def cancer_path(self, patient_code: str, trial_code: str) -> list[str]:
        """The is-a path from the patient's code up to the trial's ([] if none); a revoked
        trial code is named after its successor."""
        current = self.resolve_cancer(trial_code)
        start = self.resolve_cancer(patient_code)
        if current not in self.cancer_ancestors(patient_code):
            return []
        came = self._reach(start)
        path = [current]
        while came.get(path[-1]):
            path.append(came[path[-1]])
        path.reverse()
        return [*path, trial_code] if current != trial_code else path

    def tissue_of(self, code: str) -> str | None:
        """The tissue-level ancestor (the node just below SOLID, HEME or the root) on the
        OncoTree parent chain."""
        code = self.resolve_cancer(code)
        chain = self._primary.get(code, {code: 0})
        for anc, _ in sorted(chain.items(), key=lambda kv: kv[1]):
            parent = str(self.cancers[anc]["parent"]) if anc in self.cancers else ""
            if parent in (SOLID, HEME, ROOT) and anc not in (SOLID, HEME, ROOT):
                return anc
        return None

    def cancer_link(self, trial_code: str, patient_code: str) -> tuple[str, int | None]:
        """How the trial's cancer type covers the patient's, for ranking:
        ("same" | "ancestor" | "tissue" | "solid_heme" | "any" | "coarser" | "unrelated",
        distance up from the patient's type)."""
        t, p = self.resolve_cancer(trial_code), self.resolve_cancer(patient_code)
        if t == p:
            return "same", 0
        chain = self.cancer_ancestors(p)
        if t in chain:
            if t == ROOT:
                return "any", chain[t]
            if t in (SOLID, HEME):
                return "solid_heme", chain[t]
            if self.tissue_of(p) == t:
                return "tissue", chain[t]
            return "ancestor", chain[t]
        if (p in self.cancer_ancestors(t) and not self._stated_below(t, p)) or self._left_open(t, p):
            return "coarser", None
        return "unrelated", None

    def _class_reach(self, cid: str, seen: set[str]) -> None:
        """Add `cid` and every class above it to `seen`: its parent chain, and the classes
        it is also a kind of (`drug_class_also.tsv`) with theirs."""
        todo = [cid]
        while todo:
            cid = todo.pop()
            if not cid or cid in seen:
                continue
            seen.add(cid)
            row = self.drug_classes.get(cid)
            todo.extend(self.class_also.get(cid, ()))
            todo.append(str(row["parent"]) if row and row["parent"] else "")

    @cached_property
    def _drug_concepts(self) -> dict[str, frozenset[str]]:
        """Each drug with its classes; a combination product or regimen with its drugs too,
        so a history that reads as "docetaxel, carboplatin, and trastuzumab" had trastuzumab
        (and "any HER2 agent other than trastuzumab" does not catch it)."""
        out: dict[str, frozenset[str]] = {}
        for name, row in self.drugs.items():
            reach: set[str] = set()
            for cls_id in row["classes"]:
                self._class_reach(str(cls_id), reach)
            out[name] = frozenset({name, *reach})
        for name, parts in self._known_parts:
            out[name] = out[name].union(*(out[p] for p in parts))
        return out

    @cached_property
    def _known_parts(self) -> list[tuple[str, tuple[str, ...]]]:
        """Each combination product or regimen with those of its drugs the ontology knows
        (the "contains" links of the graph)."""
        return [(name, tuple(sorted(p for p in parts if p in self.drugs and p != name)))
                for name, parts in self._combinations]

    def drug_concepts(self, drug: str) -> frozenset[str]:
        """The drug itself and every class it belongs to (a class id stands for itself):
        the descendants of its node in the graph, walked from the parent links."""
        if drug in self._drug_concepts:
            return self._drug_concepts[drug]
        if drug in self.drug_classes:
            reach: set[str] = set()
            self._class_reach(drug, reach)
            return frozenset(reach)
        return frozenset({drug})

    @cached_property
    def fingerprint(self) -> str:
        """A hash of what matching reads from the ontology (is-a links of cancer types and
        drug classes, codes of unstated subtype, family members, variant groups, the classes
        of each drug, revoked codes): the derived tables of a database are current when it has not changed."""
        import hashlib

        h = hashlib.sha256()
        for name in sorted(self.cancers):
            h.update(f"c{name}>{self.cancers[name]['parent']};".encode())
        for code, groups in sorted(self.unspecified.items()):
            h.update(f"u{code}>{','.join(groups)};".encode())
        for code in sorted(self.stated):
            h.update(f"s{code};".encode())
        for fam, members in sorted(self.families.items()):
            h.update(f"f{fam}>{','.join(members)};".encode())
        for (gene, group), row in sorted(self.groups.items()):
            h.update(f"g{gene}.{group}>{','.join(row['members'])};".encode())
        for drug in sorted(self.drugs):
            h.update(f"d{drug}>{','.join(sorted(self.drug_concepts(drug)))};".encode())
        for cid in sorted(self.drug_classes):
            h.update(f"k{cid}>{self.drug_classes[cid]['parent']};".encode())
        for old in sorted(self.successors):
            h.update(f"s{old}>{self.successors[old]};".encode())
        for line in (*_link_lines("K", self.class_also), *_link_lines("a", self.also)):
            h.update(line.encode())
        return h.hexdigest()[:16]

    def drug_class_path(self, drug: str, concept: str) -> list[str]:
        import networkx as nx

        try:
            path = nx.shortest_path(self.graph, f"drug:{drug}", f"class:{concept}")
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return []
        return [n.split(":", 1)[1] for n in path]

    # ------------------------------------------------------------------ describing
    def is_solid(self, code: str) -> bool | None:
        chain = self.cancer_ancestors(self.resolve_cancer(code))
        return True if SOLID in chain else False if HEME in chain else None

    def cancer_name(self, code: str) -> str:
        row = self.cancers.get(self.resolve_cancer(code))
        return str(row["name"]) if row else code

    def is_curated_gene(self, symbol: str) -> bool:
        return symbol in self.genes
