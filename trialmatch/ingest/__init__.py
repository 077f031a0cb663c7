"""Reading trial records (ClinicalTrials.gov JSON, NDJSON, XML, plain text, CTML, curated YAML).

Storing them is the service layer's (`trialmatch.app.load`, `trialmatch.app.sync`). Imports
nothing heavy: `trialmatch find` may import this package without spaCy.
"""

from trialmatch.ingest.ctgov import read_records, read_text_records, text_record
from trialmatch.ingest.record import Record, parse_age, phase_code, sex_code, status_code

__all__ = ["Record", "parse_age", "phase_code", "read_records", "read_text_records",
           "sex_code", "status_code", "text_record"]
