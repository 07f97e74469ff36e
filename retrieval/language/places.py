"""Place names: countries and their states and provinces, from pycountry's ISO 3166 data.

A place the question names and no source mentions ("how many couriers in ohio got
affected?") is key content: the sources can't say anything about it. Chat questions are
often lowercase, so capitals can't tell "ohio" from an ordinary word; the ISO lists can.
Only countries and first-level states, provinces and the like count: a county or a
district is too often an ordinary word ("Bay", "Central"). pycountry ships its data in
the package and loads it from disk on first use (~0.1 s); nothing is fetched.
"""

from __future__ import annotations

from functools import lru_cache

# Subdivision types that name a state-like place.
_STATE_TYPES = frozenset({"State", "Province", "Territory", "Country", "Nation", "Federal district", "Emirate", "Canton"})


@lru_cache(maxsize=1)
def _names() -> frozenset[str]:
    import pycountry

    names: set[str] = set()
    for country in pycountry.countries:
        for field in ("name", "common_name", "official_name"):
            value = getattr(country, field, None)
            if value:
                names.add(value.casefold())
    for subdivision in pycountry.subdivisions:
        if subdivision.type in _STATE_TYPES:
            names.add(subdivision.name.casefold())
    return frozenset(names)


def is_place(word: str) -> bool:
    """Whether a (folded) word is the name of a country, state or province ("ohio", "japan")."""
    return word.casefold() in _names()
