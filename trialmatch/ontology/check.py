"""Terms in rule trees that the ontology does not know, each with the closest known names.

A trial may name a cancer code that OncoTree revoked, a gene under an old symbol, or a drug
our lists lack. Matching never fails on such a term (it simply meets no patient); these
functions say which terms they are, so a curator can fix them.
"""

from __future__ import annotations

from collections.abc import Iterable

from trialmatch.ontology.graph import Ontology
from trialmatch.ontology.terms import closest, unknown_message
from trialmatch.rules.nodes import Alteration, Diagnosis, Fusion, Node, PriorTherapy
from trialmatch.rules.variants import variant_mode


def _gene_known(ont: Ontology, gene: str) -> bool:
    return gene in ont.families or ont.has_gene(gene)


def leaf_problems(ont: Ontology, leaf: Node) -> list[str]:
    """Messages for the unknown or revoked terms of one leaf (empty when all are known)."""
    out: list[str] = []
    if isinstance(leaf, Diagnosis):
        code = leaf.code
        if code not in ont.cancers:
            current = ont.resolve_cancer(code)
            if current in ont.cancers:
                out.append(f"revoked OncoTree code {code!r}, read as its successor "
                           f"{current} ({ont.cancer_name(current)})")
            else:
                out.append(unknown_message("OncoTree code", code,
                                           closest(ont, code, ("cancer",))))
    elif isinstance(leaf, (Alteration, Fusion)):
        genes = [leaf.gene] + ([leaf.partner] if isinstance(leaf, Fusion) and leaf.partner
                               else [])
        for gene in genes:
            if not _gene_known(ont, gene):
                out.append(unknown_message("gene", gene, closest(ont, gene, ("gene",))))
        variant = leaf.variant if isinstance(leaf, Alteration) else None
        if variant and variant_mode(variant) == "group" and _gene_known(ont, leaf.gene) \
                and not any(ont.variant_group(g, variant) for g in ont.gene_members(leaf.gene)):
            out.append(unknown_message(f"variant group of {leaf.gene}", variant,
                                       closest(ont, f"{leaf.gene} {variant}",
                                               ("variant_group",))))
    elif isinstance(leaf, PriorTherapy) and leaf.concept not in ont.drugs \
            and leaf.concept not in ont.drug_classes:
        out.append(unknown_message("drug or drug class", leaf.concept,
                                   closest(ont, leaf.concept, ("drug",))))
    return out


def tree_problems(ont: Ontology, leaves: Iterable[Node]) -> list[str]:
    """De-duplicated messages for every leaf, in order."""
    return list(dict.fromkeys(m for leaf in leaves for m in leaf_problems(ont, leaf)))
