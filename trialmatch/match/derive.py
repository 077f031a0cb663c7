"""Tables derived from the ontology and the stored leaves, rebuilt when either changes.

Leaves say "RAS mutation" or "EGFR sensitizing mutation"; these tables spell out what that
means gene by gene and variant by variant (`alt_specs`), and hold the is-a closures of
cancer types and drug classes, so that the SQL matcher only ever joins on equality.
The expansions come from `rules.variants.expand_alteration`, the same function the
reference evaluator uses.
"""

from __future__ import annotations

from trialmatch.ontology import Ontology
from trialmatch.rules.dsl import parse_text
from trialmatch.rules.evaluate import SIGNATURE_FACTS, STATUS_COMPAT
from trialmatch.rules.nodes import Alteration, Fusion
from trialmatch.rules.variants import exon_of_event, expand_alteration
from trialmatch.store.db import Store, registered
from trialmatch.store.schema import DERIVED_TABLES


def ontology_fingerprint(ont: Ontology) -> str:
    """What the derived tables depend on (`Ontology.fingerprint`, kept with the object)."""
    return ont.fingerprint


def _table(rows: list[tuple], names: list[str], types: list[str]):
    import pyarrow as pa

    types = [{"s": pa.string(), "i": pa.int32(), "b": pa.bool_()}[t] for t in types]
    return pa.Table.from_arrays([pa.array([r[i] for r in rows], type=t)
                                 for i, t in enumerate(types)], names=names)


def _load(con, table: str, data) -> None:
    con.execute(f"DELETE FROM {table}")
    if data.num_rows:
        with registered(con, data) as name:
            con.execute(f"INSERT INTO {table} SELECT * FROM {name}")


def leaf_expansions(ont: Ontology, leaves: list[tuple[int, str, str]]) -> dict:
    """alt_specs, wt_genes, fusion_specs, fusion_partners for (leaf_id, kind, canon) rows."""
    alt: list[tuple] = []
    wt: list[tuple] = []
    fus: list[tuple] = []
    partners: list[tuple] = []
    spec_id = 0
    for leaf_id, kind, canon in leaves:
        if kind == "alteration":
            node = parse_text(canon)
            assert isinstance(node, Alteration)
            for spec in expand_alteration(node, ont):
                spec_id += 1
                alt.append((leaf_id, spec_id, spec.gene, spec.alteration, spec.mode, spec.value,
                            spec.exon, spec.origin,
                            exon_of_event(spec.value) if spec.mode == "event" else None))
        elif kind == "wildtype":
            node = parse_text(canon)
            assert isinstance(node, Alteration)
            wt.extend((leaf_id, g) for g in ont.gene_members(node.gene))
        elif kind == "fusion":
            node = parse_text(canon)
            assert isinstance(node, Fusion)
            fus.extend((leaf_id, g, node.partner is None) for g in ont.gene_members(node.gene))
            if node.partner:
                partners.extend((leaf_id, g) for g in ont.gene_members(node.partner))
    s, i = "s", "i"
    return {
        "alt_specs": _table(alt, ["leaf_id", "spec_id", "gene", "alteration", "mode", "value",
                                  "exon", "origin", "event_exon"], [i, i, s, s, s, s, i, s, i]),
        "wt_genes": _table(wt, ["leaf_id", "gene"], [i, s]),
        "fusion_specs": _table(fus, ["leaf_id", "gene", "any_partner"], [i, s, "b"]),
        "fusion_partners": _table(partners, ["leaf_id", "partner"], [i, s]),
    }


def closures(ont: Ontology) -> dict:
    cancer = ont.closure_rows()
    drugs = [(d, c) for d in [*ont.drugs, *ont.drug_classes] for c in ont.drug_concepts(d)]
    compat: list[tuple[str, str, object, int]] = [(field, crit, have, v) for (field, crit), table in STATUS_COMPAT.items()
              for have, v in table.items()]
    for sig, (field, table) in SIGNATURE_FACTS.items():
        compat.extend((field, sig, str(have).lower() if isinstance(have, bool) else have, v)
                      for have, v in table.items())
    s, i = "s", "i"
    return {
        "cancer_closure": _table(cancer, ["code", "ancestor", "distance"], [s, s, i]),
        "cancer_unstated": _table(ont.unstated_rows(), ["code", "covers"], [s, s]),
        "cancer_stated": _table(ont.stated_rows(), ["code", "covers"], [s, s]),
        "drug_closure": _table(drugs, ["drug", "concept"], [s, s]),
        "status_compat": _table(compat, ["field", "crit", "have", "v"], [s, s, s, i]),
    }


def rebuild(store: Store, ont: Ontology) -> None:
    """Recompute every derived table (inside the caller's transaction)."""
    con = store.con
    leaves = con.execute("SELECT leaf_id, kind, canon FROM leaves WHERE kind IN "
                         "('alteration', 'wildtype', 'fusion') ORDER BY leaf_id").fetchall()
    tables = {**leaf_expansions(ont, leaves), **closures(ont)}
    assert set(tables) == set(DERIVED_TABLES)
    for name, data in tables.items():
        _load(con, name, data)
    store.set_meta("ontology", ontology_fingerprint(ont))
