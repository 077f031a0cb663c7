"""Patient facts as Arrow tables, in the shape of the patient tables of the schema.

`find` registers these as temporary tables (a coordinator's query leaves no patient data
in the database); `bulk` writes them to the persistent tables of the same shape.
"""

from __future__ import annotations

import hashlib
import json

from trialmatch.rules.facts import PatientFacts
from trialmatch.rules.variants import exon_of_event

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "patients": [("patient_id", "VARCHAR"), ("sex", "VARCHAR"), ("oncotree", "VARCHAR"),
                 ("has_panel", "BOOLEAN"), ("has_priors", "BOOLEAN"),
                 ("content_hash", "VARCHAR"), ("age_lo", "DOUBLE")],
    "findings": [("patient_id", "VARCHAR"), ("gene", "VARCHAR"), ("type", "VARCHAR"),
                 ("protein", "VARCHAR"), ("codon", "VARCHAR"), ("event", "VARCHAR"),
                 ("exon", "INTEGER"), ("event_exon", "INTEGER"), ("origin", "VARCHAR"),
                 ("partner", "VARCHAR")],
    "panel": [("patient_id", "VARCHAR"), ("gene", "VARCHAR")],
    "priors": [("patient_id", "VARCHAR"), ("drug", "VARCHAR")],
    "numbers": [("patient_id", "VARCHAR"), ("field", "VARCHAR"), ("lo", "DOUBLE"),
                ("hi", "DOUBLE")],
    "statuses": [("patient_id", "VARCHAR"), ("field", "VARCHAR"), ("value", "VARCHAR")],
}


def facts_hash(p: PatientFacts) -> str:
    """A stable digest of everything matching reads (age excluded: it changes daily)."""
    doc = {
        "sex": p.sex, "oncotree": p.oncotree, "statuses": p.statuses, "flags": p.flags,
        "numbers": {k: v for k, v in p.numbers.items() if k != "age"},
        "findings": [list(map(str, vars_of(f))) for f in p.findings],
        "tested": sorted(p.tested_genes) if p.tested_genes is not None else None,
        "priors": list(p.prior_therapies) if p.prior_therapies is not None else None,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def vars_of(f) -> tuple:
    return (f.gene, f.type, f.protein, f.codon, f.event, f.exon, f.origin, f.partner)


def patient_rows(patients: list[PatientFacts]) -> dict[str, list[tuple]]:
    """The rows of each patient table, as plain tuples in `COLUMNS` order."""
    rows: dict[str, list[tuple]] = {name: [] for name in COLUMNS}
    for p in patients:
        age = p.numbers.get("age")
        rows["patients"].append((p.id, p.sex, p.oncotree, p.tested_genes is not None,
                                 p.prior_therapies is not None, facts_hash(p),
                                 age[0] if age else None))
        for f in p.findings:
            rows["findings"].append((p.id, f.gene, f.type, f.protein, f.codon, f.event, f.exon,
                                     exon_of_event(f.event), f.origin, f.partner))
        rows["panel"].extend((p.id, g) for g in sorted(p.tested_genes or ()))
        rows["priors"].extend((p.id, d) for d in dict.fromkeys(p.prior_therapies or ()))
        rows["numbers"].extend((p.id, k, lo, hi) for k, (lo, hi) in p.numbers.items())
        rows["statuses"].extend((p.id, k, v) for k, v in p.statuses.items())
        rows["statuses"].extend((p.id, k, str(v).lower()) for k, v in p.flags.items())
    return rows


def patient_tables(patients: list[PatientFacts]):
    """The same rows as Arrow tables (for large batches)."""
    import pyarrow as pa

    types = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "INTEGER": pa.int32(),
             "BOOLEAN": pa.bool_()}
    rows = patient_rows(patients)
    return {name: pa.Table.from_arrays(
        [pa.array([r[i] for r in rows[name]], type=types[t]) for i, (_, t) in enumerate(cols)],
        names=[c for c, _ in cols]) for name, cols in COLUMNS.items()}
