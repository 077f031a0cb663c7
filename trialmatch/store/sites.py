"""Writing trial sites (`sites`): the registry's locations of each trial, with geo points.

Sites belong to the registry record, not to the rules: a trial loaded again from a format
without locations (legacy XML, text) keeps the sites stored before, and a curated trial
with an NCT id gets the sites of its registry record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

SITE_COLUMNS = [("trial_id", "VARCHAR"), ("facility", "VARCHAR"), ("city", "VARCHAR"),
                ("state", "VARCHAR"), ("country", "VARCHAR"), ("status", "VARCHAR"),
                ("lat", "DOUBLE"), ("lon", "DOUBLE")]


def replace_sites(con, sites: Mapping[str, Sequence]) -> None:
    """Replace the sites of these trials (`trial id -> ingest.sites.Site` sequence), inside
    the caller's transaction; an empty sequence removes the trial's sites."""
    if not sites:
        return
    con.execute("DELETE FROM sites WHERE trial_id IN (SELECT unnest(?::VARCHAR[]))",
                [sorted(sites)])
    rows = [(tid, s.facility, s.city, s.state, s.country, s.status, s.lat, s.lon)
            for tid, found in sites.items() for s in found]
    if not rows:
        return
    select = ", ".join(f"unnest(?::{t}[])" for _, t in SITE_COLUMNS)
    con.execute(f"INSERT INTO sites SELECT {select}",
                [[r[i] for r in rows] for i in range(len(SITE_COLUMNS))])
