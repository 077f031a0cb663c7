"""The service layer: one module per command family, plain functions returning plain data.

`find` (match and rank one patient file), `explain` (one patient against one trial,
criterion by criterion), `load` and `sync` (trials into the catalogue), `ontology_admin`
(imports and checks of the ontology), `convert` (standards in and out) and `catalog` (the
database opened with its embedded trials and derived tables current, which they all use).
The CLI (`trialmatch.cli`) calls these; they call the layers below (nlp, match, rank,
ingest, ontology, store, rules) and never the CLI.
"""
