"""Nightly bulk matching of whole cohorts: readers, batched set-based runs, new and lost matches.

`run_bulk` is the library function behind `trialmatch bulk`; `open_cohort` reads a JSONL
file, a folder of patient files or a cBioPortal study as a stream of patient records.
"""

from trialmatch.bulk.run import BulkReport, run_bulk
from trialmatch.bulk.sources import open_cohort

__all__ = ["BulkReport", "open_cohort", "run_bulk"]
