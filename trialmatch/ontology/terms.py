"""Terms of the ontology as people ask for them: look a word up, describe a node, suggest.

`lookup` resolves any name (code, symbol, alias, brand, class, "EGFR sensitizing") to the
nodes it names, each described by a `Term` (synonyms, parents, children). `closest` gives
the nearest known names (rapidfuzz) for a word the ontology does not know, so an unknown
code or term is reported with suggestions instead of failing a run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from trialmatch.ontology.graph import Ontology, Term, _key

KINDS = ("cancer", "gene", "family", "variant_group", "drug", "drug_class")
_TRAILING = re.compile(r"\s+(mutations?|alterations?|variants?|mutated|positive)\Z", re.I)


def _cached(ont: Ontology, name: str, build: Callable[[], Any]) -> Any:
    if name not in ont.__dict__:
        ont.__dict__[name] = build()
    return ont.__dict__[name]


def _group_index(ont: Ontology) -> dict[str, list[tuple[str, str]]]:
    def build() -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for (gene, group), row in sorted(ont.groups.items()):
            names = {group, str(row["name"]), *row["synonyms"]}
            for n in names:
                for form in (n, f"{gene} {n}"):
                    hits = out.setdefault(_key(form), [])
                    if (gene, group) not in hits:
                        hits.append((gene, group))
        return out

    return _cached(ont, "_group_index", build)


def _class_members(ont: Ontology) -> dict[str, tuple[list[str], list[str]]]:
    """class id -> (direct subclasses, drugs directly in it)."""
    def build() -> dict[str, tuple[list[str], list[str]]]:
        out: dict[str, tuple[list[str], list[str]]] = {c: ([], []) for c in ont.drug_classes}
        for cid, row in sorted(ont.drug_classes.items()):
            if row["parent"] in out:
                out[str(row["parent"])][0].append(cid)
        for name, row in sorted(ont.drugs.items()):
            for cls in row["classes"]:
                out.setdefault(cls, ([], []))[1].append(name)
        return out

    return _cached(ont, "_class_members", build)


# ----------------------------------------------------------------------------- describing

def cancer_term(ont: Ontology, code: str) -> Term:
    row = ont.cancers[code]
    chain = ont.cancer_ancestors(code)
    group = {True: "solid", False: "haematologic", None: None}[ont.is_solid(code)]
    revoked = sorted(old for old in ont.successors if ont.resolve_cancer(old) == code)
    attrs: dict[str, object] = {"main_type": row["main_type"] or None,
                                "tissue": ont.tissue_of(code), "group": group,
                                "path": sorted(chain, key=chain.__getitem__)}
    if revoked:
        attrs["replaces"] = revoked
    return Term(code, "cancer", str(row["name"]), tuple(row["synonyms"]),
                (str(row["parent"]),) if row["parent"] else (), ont.cancer_children(code),
                attrs)


def gene_term(ont: Ontology, symbol: str) -> Term:
    extra_aliases, extra_previous = ont.imported_genes.aliases(symbol)
    row = ont.genes.get(symbol)
    if row is None:
        imported = ont.imported_genes.row(symbol)
        name, aliases, previous, families = (imported[1] if imported else symbol,
                                             extra_aliases, extra_previous, ())
    else:
        name = str(row["name"])
        aliases = (*row["aliases"], *extra_aliases)
        previous = (*row["previous"], *extra_previous)
        families = tuple(row["families"])
    groups = sorted(group for (g, group) in ont.groups if g == symbol)
    attrs: dict[str, object] = {"aliases": list(dict.fromkeys(aliases)),
                                "previous": list(dict.fromkeys(previous)),
                                "variant_groups": groups,
                                "source": "curated" if row is not None else "HGNC import"}
    return Term(symbol, "gene", name or symbol, tuple(dict.fromkeys((*aliases, *previous))),
                families, (), attrs)


def family_term(ont: Ontology, family: str) -> Term:
    row = ont.family_rows.get(family)
    name = str(row["name"]) if row else family
    synonyms = tuple(row["synonyms"]) if row else ()
    return Term(family, "family", name, synonyms, (), tuple(sorted(ont.families.get(family,
                                                                                    ()))),
                {"members": len(ont.families.get(family, ()))})


def group_term(ont: Ontology, gene: str, group: str) -> Term:
    row = ont.groups[(gene, group)]
    return Term(f"{gene} {group}", "variant_group", str(row["name"]), tuple(row["synonyms"]),
                (gene,), tuple(row["members"]), {"gene": gene, "group": group})


def drug_term(ont: Ontology, name: str) -> Term:
    row = ont.drugs[name]
    concepts = sorted(ont.drug_concepts(name) - {name})
    return Term(name, "drug", name, (*row["brands"], *row["synonyms"]), tuple(row["classes"]),
                (), {"brands": list(row["brands"]), "targets": list(row["targets"]),
                     "all_classes": concepts})


def class_term(ont: Ontology, cid: str) -> Term:
    row = ont.drug_classes[cid]
    subclasses, drugs = _class_members(ont).get(cid, ([], []))
    every = sorted(d for d in ont.drugs if cid in ont.drug_concepts(d))
    return Term(cid, "drug_class", str(row["name"]), tuple(row["synonyms"]),
                (str(row["parent"]),) if row["parent"] else (), (*subclasses, *drugs),
                {"drugs": every})


def term(ont: Ontology, kind: str, ident: str) -> Term:
    """The Term for one node id of one kind (KeyError if absent)."""
    if kind == "cancer":
        return cancer_term(ont, ident)
    if kind == "gene":
        return gene_term(ont, ident)
    if kind == "family":
        return family_term(ont, ident)
    if kind == "drug":
        return drug_term(ont, ident)
    if kind == "drug_class":
        return class_term(ont, ident)
    if kind == "variant_group":
        gene, group = ident.split(" ", 1)
        return group_term(ont, gene, group)
    raise KeyError(kind)


def term_dict(t: Term) -> dict[str, object]:
    return {"id": t.id, "kind": t.kind, "name": t.name, "synonyms": list(t.synonyms),
            "parents": list(t.parents), "children": list(t.children), **t.attributes}


# ----------------------------------------------------------------------------- looking up

def lookup(ont: Ontology, text: str) -> list[Term]:
    """Every node `text` names, most specific kinds first (a word may name several:
    "BRCA" is a cancer code and a gene family)."""
    text = " ".join(str(text).split())
    found: list[Term] = []
    for query in dict.fromkeys((text, _TRAILING.sub("", text))):
        found.extend(_lookup(ont, query))
        if found:
            break
    return list({(t.kind, t.id): t for t in found}.values())


def _lookup(ont: Ontology, text: str) -> Iterable[Term]:
    code = ont.cancer_code(text)
    if code in ont.cancers:
        t = cancer_term(ont, code)
        if text.strip().upper() in ont.successors and text.strip().upper() != code:
            t.attributes["revoked_code"] = text.strip().upper()
        yield t
    gene = ont.gene_symbol(text)
    if gene is not None and ont.has_gene(gene):
        yield gene_term(ont, gene)
    elif gene is not None:
        yield family_term(ont, gene)
    for g, group in _group_index(ont).get(_key(text), []):
        yield group_term(ont, g, group)
    concept = ont.drug_concept(text)
    if concept in ont.drugs:
        yield drug_term(ont, concept)
    elif concept in ont.drug_classes:
        yield class_term(ont, concept)


def _choices(ont: Ontology, kind: str) -> dict[str, tuple[str, str]]:
    """Surface form -> (node, the label a suggestion shows), for one kind of term."""
    def build() -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}

        def add(node: str, form: str, label: str) -> None:
            out.setdefault(form, (node, label))

        if kind == "cancer":
            for code, row in ont.cancers.items():
                for form in (code, str(row["name"]), *row["synonyms"]):
                    add(f"cancer:{code}", form, f"{code} ({row['name']})")
        elif kind == "gene":
            for sym, row in ont.genes.items():
                add(f"gene:{sym}", sym, sym)
                for form in (*row["aliases"], *row["previous"]):
                    add(f"gene:{sym}", form, f"{sym} ({form})")
            for sym in ont.imported_genes.symbols:
                add(f"gene:{sym}", sym, sym)
            for fam in ont.families:
                add(f"family:{fam}", fam, f"{fam} (gene family)")
        elif kind == "drug":
            for name, row in ont.drugs.items():
                add(f"drug:{name}", name, name)
                for form in (*row["brands"], *row["synonyms"]):
                    add(f"drug:{name}", form, f"{name} ({form})")
            for cid, row in ont.drug_classes.items():
                for form in (cid, str(row["name"]), *row["synonyms"]):
                    add(f"class:{cid}", form, f"{cid} ({row['name']})")
        elif kind == "variant_group":
            for (gene, group), row in ont.groups.items():
                label = f"{gene} {group} ({row['name']})"
                for form in (f"{gene} {group}", str(row["name"])):
                    add(f"group:{gene}:{group}", form, label)
        return out

    return _cached(ont, f"_choices_{kind}", build)


def _similar(text: str, choices: list[str], limit: int) -> list[tuple[str, float]]:
    """Candidates by plain and by weighted (partial) similarity, scored by a blend of the
    two: a near-typo ranks first, and a short word inside a long name does not win alone."""
    from rapidfuzz import fuzz, process, utils

    pool: set[str] = set()
    for scorer in (fuzz.ratio, fuzz.WRatio):
        pool.update(h[0] for h in process.extract(text, choices, scorer=scorer,
                                                  processor=utils.default_process,
                                                  limit=limit))
    query = utils.default_process(text)
    out = []
    for form in pool:
        f = utils.default_process(form)
        out.append((form, 0.6 * fuzz.ratio(query, f) + 0.4 * fuzz.WRatio(query, f)))
    return out


def closest(ont: Ontology, text: str, kinds: Iterable[str] = ("cancer", "gene", "drug",
                                                              "variant_group"),
            limit: int = 5, cutoff: float = 65.0) -> list[str]:
    """The known names nearest to `text` (best first, labels de-duplicated)."""
    best: dict[str, tuple[float, str]] = {}  # node -> (score, label)
    if not str(text).strip():
        return []
    for kind in kinds:
        choices = _choices(ont, kind)
        if not choices:
            continue
        for form, score in _similar(str(text), list(choices), limit * 4):
            node, label = choices[form]
            if score >= cutoff and score > best.get(node, (-1.0, ""))[0]:
                best[node] = (score, label)
    ranked = sorted(best.values(), key=lambda sl: (-sl[0], sl[1]))
    return [label for _, label in ranked[:limit]]


def unknown_message(what: str, text: str, suggestions: list[str]) -> str:
    """"unknown OncoTree code 'LUADD'; closest: LUAD (Lung Adenocarcinoma), ..."."""
    tail = f"; closest: {', '.join(suggestions)}" if suggestions else "; no close match"
    return f"unknown {what} {text!r}{tail}"
