"""Jurisdiction catalog: region code -> country (ISO 3166-1 alpha-2), with a source for every row.

See docs/catalog.md for the resolution rules.
"""

from __future__ import annotations

from residency_audit.catalog.catalog import Catalog, CatalogDataError, iso_countries, load_catalog
from residency_audit.catalog.entries import AzurePair, RegionEntry, normalise_code

__all__ = [
    "AzurePair",
    "Catalog",
    "CatalogDataError",
    "RegionEntry",
    "iso_countries",
    "load_catalog",
    "normalise_code",
]
