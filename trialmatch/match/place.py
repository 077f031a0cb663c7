"""Which cohorts `find` considers: open for recruitment, and with a site near the patient.

Status. A cohort is open when its trial's overall status and its own status are both in
the wanted set (by default RECRUITING and NOT_YET_RECRUITING). A missing status does not
close anything: a trial without a status (plain eligibility text, a curated file without
`status:`) is shown, and a cohort without a status follows its trial. Any other status
closes: a cohort marked closed or suspended (`ACTIVE_NOT_RECRUITING`, `SUSPENDED`,
`CLOSED`, ...) is left out even when its trial recruits, and the registry's own `UNKNOWN`
(not verified for years) counts as not recruiting. Statuses are compared as API v2 enums
(case, spaces and punctuation folded); "open" and "open to accrual" mean RECRUITING.

Place. A trial is near when one of its sites (`sites`, stored from the registry's
locations with their geo points) lies within the radius, measured by the haversine formula
(`trialmatch.geo.haversine_km`, here in SQL). With a status filter, a site whose own status
is given must be in the wanted set too; a site without a status follows its trial. A trial
without site coordinates (curated, text) is never near.

Both filters are SQL over the stored tables; the matcher then evaluates only the cohorts
in scope, so a closed cohort never hides an open cohort of the same trial.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from trialmatch.geo import EARTH_RADIUS_KM, Place

OPEN_STATUSES = ("RECRUITING", "NOT_YET_RECRUITING")
_ALIASES = {"OPEN": "RECRUITING", "OPEN_TO_ACCRUAL": "RECRUITING"}


def _norm(column: str) -> str:
    """SQL for a status column as an API v2 enum (aliases resolved)."""
    code = f"trim(upper(regexp_replace(trim({column}), '[^A-Za-z0-9]+', '_', 'g')), '_')"
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _ALIASES.items())
    return f"(CASE {code} {cases} ELSE {code} END)"


def _wanted(column: str) -> str:
    return f"({column} IS NULL OR {_norm(column)} IN (SELECT unnest($statuses::VARCHAR[])))"


def status_enum(status: str) -> str:
    """A status as the SQL above reads it (for options and tests)."""
    import re

    code = re.sub(r"[^A-Z0-9]+", "_", status.strip().upper()).strip("_")
    return _ALIASES.get(code, code)


@dataclass(frozen=True, slots=True)
class Scope:
    """The cohorts to match (None: all), the nearest site of each trial in range, and how
    many trials each filter left out (for the note on stderr)."""

    cohorts: list[int] | None
    nearest: dict[str, dict[str, object]]
    closed_trials: int = 0
    far_trials: int = 0


_DISTANCE = f"""2 * {EARTH_RADIUS_KM} * asin(least(1.0, sqrt(
    pow(sin(radians(s.lat - $lat) / 2), 2)
    + cos(radians($lat)) * cos(radians(s.lat)) * pow(sin(radians(s.lon - $lon) / 2), 2))))"""


def nearest_sites(con, place: Place, within_km: float,
                  statuses: Collection[str] | None) -> dict[str, dict[str, object]]:
    """trial id -> its nearest wanted site within `within_km` of `place` (facility, city,
    state, country, distance_km rounded to 0.1 km)."""
    status_sql = _wanted("s.status") if statuses is not None else "TRUE"
    params: dict[str, object] = {"lat": place.lat, "lon": place.lon, "km": within_km}
    if statuses is not None:
        params["statuses"] = sorted(status_enum(s) for s in statuses)
    rows = con.execute(f"""
        WITH d AS (SELECT s.trial_id, s.facility, s.city, s.state, s.country,
                          {_DISTANCE} AS km
                   FROM sites s WHERE s.lat IS NOT NULL AND s.lon IS NOT NULL AND {status_sql})
        SELECT trial_id, facility, city, state, country, km FROM d WHERE km <= $km
        QUALIFY row_number() OVER (PARTITION BY trial_id
                                   ORDER BY km, facility NULLS LAST, city NULLS LAST) = 1
        """, params).fetchall()
    return {tid: {"facility": fac, "city": city, "state": state, "country": country,
                  "distance_km": round(km, 1)}
            for tid, fac, city, state, country, km in rows}


def find_scope(con, statuses: Collection[str] | None = OPEN_STATUSES,
               place: Place | None = None, within_km: float | None = None) -> Scope:
    """The cohorts `find` matches against: see the module docstring. `statuses=None`
    (`--any-status`) keeps every status; `place=None` keeps every place."""
    if statuses is None and place is None:
        return Scope(None, {})
    nearest = nearest_sites(con, place, within_km or 0.0, statuses) if place else {}
    params: dict[str, object] = {}
    status_sql = "TRUE"
    if statuses is not None:
        params["statuses"] = sorted(status_enum(s) for s in statuses)
        status_sql = f"{_wanted('t.status')} AND {_wanted('c.status')}"
    rows = con.execute(f"""
        SELECT c.cohort_key, c.trial_id, {status_sql} AS open
        FROM cohorts c JOIN trials t ON t.trial_id = c.trial_id""", params).fetchall()
    open_trials = {tid for _, tid, is_open in rows if is_open}
    all_trials = {tid for _, tid, _ in rows}
    keep = [ck for ck, tid, is_open in rows
            if is_open and (place is None or tid in nearest)]
    far = len(open_trials - set(nearest)) if place is not None else 0
    return Scope(keep, {t: s for t, s in nearest.items() if t in open_trials},
                 len(all_trials - open_trials), far)
