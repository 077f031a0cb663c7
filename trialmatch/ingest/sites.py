"""Trial sites from a registry record's locations module, with their geo points.

ClinicalTrials.gov API v2 lists each site under
`protocolSection.contactsLocationsModule.locations[]` (facility, city, state, country, its
own recruitment status, and `geoPoint: {lat, lon}` that the registry computes from the
address). `find --near` measures from these points (`trialmatch.match.place`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from trialmatch.ingest.record import status_code


@dataclass(frozen=True, slots=True)
class Site:
    facility: str | None
    city: str | None
    state: str | None
    country: str | None
    status: str | None  # the site's own recruitment status (API v2 enum), if given
    lat: float | None
    lon: float | None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _coordinate(value: Any, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) and -limit <= value <= limit else None


def read_sites(protocol: dict[str, Any]) -> tuple[Site, ...]:
    """The sites of an API v2 `protocolSection` (none when it lists no locations).

    A site whose geo point is missing or out of range is kept without coordinates (it is
    listed, but never "near" anything)."""
    module = protocol.get("contactsLocationsModule")
    locations = module.get("locations") if isinstance(module, dict) else None
    if not isinstance(locations, list):
        return ()
    sites = []
    for loc in locations:
        if not isinstance(loc, dict):
            continue
        geo = loc.get("geoPoint")
        if not isinstance(geo, dict):
            geo = {}
        lat, lon = _coordinate(geo.get("lat"), 90), _coordinate(geo.get("lon"), 180)
        if lat is None or lon is None:
            lat = lon = None
        sites.append(Site(_text(loc.get("facility")), _text(loc.get("city")),
                          _text(loc.get("state")), _text(loc.get("country")),
                          status_code(_text(loc.get("status"))), lat, lon))
    return tuple(sites)
