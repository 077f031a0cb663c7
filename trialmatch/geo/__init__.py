"""Places for `find --near`: coordinates or a city of our small gazetteer, and distances.

`resolve_place("48.85,2.35")` and `resolve_place("Paris, France")` both give a `Place`;
`haversine_km` is the great-circle distance on a sphere of the Earth's mean radius (the
same formula the matcher runs in SQL, `trialmatch.match.place`). The gazetteer
(`cities.tsv`, beside this module) is ours: about 250 cities with cancer centres,
coordinates written from general knowledge, good to about a kilometre. Anything else is
given as "LAT,LON".
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from trialmatch.errors import UsageError

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
_GAZETTEER = Path(__file__).resolve().parent / "cities.tsv"
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_LOOKS_NUMERIC = re.compile(r"^[\s+\-.\d]*\d[\s+\-.\d]*$")

# other names of the countries in the gazetteer (matched after `_key` normalisation)
COUNTRY_ALIASES = {
    "usa": "united states", "us": "united states", "u s": "united states",
    "u s a": "united states", "united states of america": "united states",
    "america": "united states", "uk": "united kingdom", "u k": "united kingdom",
    "great britain": "united kingdom", "britain": "united kingdom",
    "england": "united kingdom", "scotland": "united kingdom", "wales": "united kingdom",
    "northern ireland": "united kingdom", "the netherlands": "netherlands",
    "holland": "netherlands", "deutschland": "germany", "czech republic": "czechia",
    "korea": "south korea", "republic of korea": "south korea", "korea republic of": "south korea",
    "uae": "united arab emirates", "russian federation": "russia", "turkiye": "turkey",
    "prc": "china", "people s republic of china": "china", "espana": "spain",
    "italia": "italy", "brasil": "brazil", "schweiz": "switzerland", "suisse": "switzerland",
    "osterreich": "austria", "viet nam": "vietnam", "taiwan roc": "taiwan",
}


@dataclass(frozen=True, slots=True)
class Place:
    """A point to measure from, and how the user named it (for messages)."""

    lat: float
    lon: float
    label: str


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two points given in decimal degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _key(text: str) -> str:
    """Case, accents and punctuation folded: "São Paulo" and "sao-paulo" are one key."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass(frozen=True, slots=True)
class City:
    name: str
    country: str
    lat: float
    lon: float


@lru_cache(maxsize=1)
def gazetteer() -> tuple[dict[str, list[City]], list[City]]:
    """(city key -> cities of that name or alias, every city in file order)."""
    by_name: dict[str, list[City]] = {}
    cities: list[City] = []
    lines = _GAZETTEER.read_text(encoding="utf-8").splitlines()
    rows = [line for line in lines if line.strip() and not line.startswith("#")]
    for line in rows[1:]:  # the first row names the columns
        name, country, lat, lon, *rest = line.split("\t")
        city = City(name, country, float(lat), float(lon))
        cities.append(city)
        aliases = [a for a in (rest[0].split("|") if rest else []) if a.strip()]
        for n in (name, *aliases):
            by_name.setdefault(_key(n), []).append(city)
    return by_name, cities


def _coordinates(text: str) -> Place | None:
    """A Place for "LAT,LON", None when the text is not written as two numbers.

    Text that looks like numbers but is not two valid coordinates raises `UsageError`."""
    parts = [p.strip() for p in text.split(",")]
    numeric = [bool(_LOOKS_NUMERIC.match(p)) for p in parts]
    if not any(numeric):
        return None
    if len(parts) != 2 or not all(_NUMBER.match(p) for p in parts):
        raise UsageError("--near: malformed coordinates; give \"LAT,LON\" in decimal degrees "
                         "(e.g. \"48.85,2.35\") or \"City, Country\"")
    lat, lon = float(parts[0]), float(parts[1])
    if not -90 <= lat <= 90:
        raise UsageError("--near: latitude must be between -90 and 90")
    if not -180 <= lon <= 180:
        raise UsageError("--near: longitude must be between -180 and 180")
    return Place(lat, lon, f"{lat:g},{lon:g}")


def _country(text: str) -> str:
    key = _key(text)
    return COUNTRY_ALIASES.get(key, key)


def _unknown_city(text: str) -> UsageError:
    import difflib

    by_name, _ = gazetteer()
    city = _key(text.split(",")[0])
    close = difflib.get_close_matches(city, list(by_name), n=3, cutoff=0.75)
    names = sorted({f"{c.name}, {c.country}" for k in close for c in by_name[k]})
    hint = f" (did you mean {' or '.join(repr(n) for n in names)}?)" if names else ""
    return UsageError(f"--near: unknown city {text.strip()!r}{hint}; the built-in list has "
                      "about 250 cities with cancer centres, give \"LAT,LON\" for any other "
                      "place")


def resolve_place(text: str) -> Place:
    """The point named by `--near`: "LAT,LON", "City, Country" or an unambiguous "City"."""
    if not text or not text.strip():
        raise UsageError("--near: empty place; give \"LAT,LON\" or \"City, Country\"")
    found = _coordinates(text)
    if found is not None:
        return found
    by_name, _ = gazetteer()
    city_text, _, country_text = text.partition(",")
    candidates = by_name.get(_key(city_text), [])
    if country_text.strip():
        country = _country(country_text)
        candidates = [c for c in candidates if _key(c.country) == country]
    if not candidates:
        raise _unknown_city(text)
    if len({(c.name, c.country) for c in candidates}) > 1:
        options = " or ".join(repr(f"{c.name}, {c.country}") for c in candidates)
        raise UsageError(f"--near: {city_text.strip()!r} names several cities; say which: "
                         f"{options}")
    c = candidates[0]
    return Place(c.lat, c.lon, f"{c.name}, {c.country}")
