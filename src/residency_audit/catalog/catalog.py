"""The jurisdiction catalog: every region of AWS, GCP and Azure, with its country and source.

The data ships inside the package (``catalog/data/*.csv``), copied from the project's reference with
each row's ``source``. Resolution never guesses: an unmapped code (flagged ``unmapped``), a row
without a country and a GCS configurable dual-region placeholder resolve to UNKNOWN (no countries)
with a note saying why; a location that does not disclose its countries (GCS ``ASIA``, Cloud KMS
``global``) resolves to every candidate, each POSSIBLE.

Codes live in namespaces (``model.Namespace``): ``region`` (storage regions, GCS dual- and
multi-regions; a GCS zone such as ``us-central1-a`` resolves to its region), ``kms`` (Cloud KMS
locations: their own multi-region names, plus every single region of the provider),
``edge-zone`` (Azure Edge Zones) and ``cdn`` (a CDN's set of edge locations: every edge country is
a candidate, narrowed by the location's geo restriction).
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Mapping
from importlib import resources

from residency_audit.catalog.entries import AzurePair, RegionEntry, normalise_code
from residency_audit.evidence import reason_text
from residency_audit.markup import code, quote
from residency_audit.memo import Shared
from residency_audit.model import (
    Bucket,
    Certainty,
    CountryResolution,
    EdgeFilter,
    Inventory,
    Location,
    Namespace,
)

__all__ = ["Catalog", "CatalogDataError", "iso_countries", "load_catalog"]

_ISO2 = re.compile(r"^[A-Z]{2}$")
# A GCS zonal location (Rapid buckets, locationType "zone"): the region and a one-letter zone.
_GCP_ZONE = re.compile(r"^(?P<region>[a-z]+-[a-z]+\d+)-(?P<zone>[a-z])$")
_NAMESPACES = frozenset(n.value for n in Namespace)
_LOCATION_TYPES = frozenset(
    ("region", "dual-region", "multi-region", "global", "edge-zone", "cdn-edge")
)
_Key = tuple[str, str, str]  # (provider, namespace, normalised code)


class CatalogDataError(ValueError):
    """The shipped catalog data is inconsistent (a packaging bug, not a user error)."""


class Catalog:
    """Lookup and country resolution over a fixed set of region entries and Azure pairs."""

    def __init__(
        self,
        entries: Iterable[RegionEntry],
        pairs: Iterable[AzurePair] = (),
        countries: Mapping[str, str] | None = None,
    ) -> None:
        self._entries: list[RegionEntry] = list(entries)
        self._by_key: dict[_Key, RegionEntry] = {}
        for e in self._entries:
            _check_entry(e, countries)
            key = _key(e.provider, e.code, e.namespace)
            if key in self._by_key:
                raise CatalogDataError(
                    f"duplicate catalog code {e.provider}:{e.code} in namespace {e.namespace}"
                )
            self._by_key[key] = e
        # Azure APIs and users also give display names ("East Asia"); index them too.
        for e in self._entries:
            if e.provider == "azure" and e.display_name:
                self._by_key.setdefault(_key("azure", e.display_name, e.namespace), e)
        for e in self._entries:
            for m in e.members:
                if _key(e.provider, m, Namespace.REGION) not in self._by_key:
                    raise CatalogDataError(
                        f"{e.provider}:{e.code}: member {m} is not in the catalog"
                    )
        self._pairs: dict[str, AzurePair] = {}
        for p in pairs:
            for region in (p.region, p.secondary):
                if region and _key("azure", region, Namespace.REGION) not in self._by_key:
                    raise CatalogDataError(f"azure pair {p.region}: {region} is not in the catalog")
            if not p.source:
                raise CatalogDataError(f"azure pair {p.region}: no source")
            self._pairs[normalise_code("azure", p.region)] = p

    # -- lookup -----------------------------------------------------------------------------

    def lookup(
        self, provider: str, code: str, namespace: str = Namespace.REGION
    ) -> RegionEntry | None:
        """The entry for a provider's location string, or None when the code is unmapped.

        In the ``kms`` namespace a single region of the provider (``asia-northeast1``) is found
        among the regions; multi-region names (``asia``, ``nam4``) only among the KMS rows, which
        are not the GCS dual-region rows of the same spelling. A GCS zone resolves through
        :meth:`zone_region`, not here.
        """
        entry = self._by_key.get(_key(provider, code, namespace))
        if entry is None and namespace == Namespace.KMS:
            region = self._by_key.get(_key(provider, code, Namespace.REGION))
            if region is not None and region.location_type == "region":
                return region
        return entry

    def zone_region(self, provider: str, code: str) -> RegionEntry | None:
        """The region entry of a GCS zonal location (``us-central1-a``); None otherwise."""
        if provider.lower() != "gcp":
            return None
        m = _GCP_ZONE.match(normalise_code("gcp", code))
        if m is None:
            return None
        region = self._by_key.get(_key("gcp", m["region"], Namespace.REGION))
        return region if region is not None and region.location_type == "region" else None

    def entries(
        self,
        provider: str | None = None,
        country: str | None = None,
        namespace: str | None = None,
    ) -> list[RegionEntry]:
        """Entries in catalog order; ``country`` also matches candidate countries."""
        cc = country.upper() if country else None
        return [
            e
            for e in self._entries
            if (provider is None or e.provider == provider.lower())
            and (cc is None or cc in e.countries)
            and (namespace is None or e.namespace == namespace)
        ]

    def dual_region_members(self, provider: str, code: str) -> tuple[str, ...]:
        """Member regions of a predefined dual-region; () for anything else."""
        e = self.lookup(provider, code)
        if e is None or e.location_type != "dual-region":
            return ()
        return e.members

    def azure_geo_pair(self, region: str) -> AzurePair | None:
        """The published GRS secondary; None when the region has no pair or is not in the table.

        The storage account's own ``secondaryLocation`` is authoritative; this is the fallback.
        Use :meth:`lookup` to tell "no pair" (known region) from "unmapped region".
        """
        pair = self._pairs.get(normalise_code("azure", region))
        if pair is None or not pair.secondary:
            return None
        return pair

    def azure_pair_row(self, region: str) -> AzurePair | None:
        """The pair table's row for a region, with or without a secondary; None when the table
        has no row for it (so "unpaired" and "not in the table" stay apart)."""
        return self._pairs.get(normalise_code("azure", region))

    # -- resolution -------------------------------------------------------------------------

    def resolve(self, location: Location) -> CountryResolution:
        """The countries a location stands for. Unknown is explicit, never a guess."""
        certainty = location.certainty
        # the plugin's reason, worded per language (an older inventory's sentence: quoted in ja)
        reason = reason_text(location, "en")
        reason_ja = reason_text(location, "ja")
        if location.region is None:
            return CountryResolution(
                certainty=certainty,
                note=reason or "region could not be determined",
                note_ja=reason_ja or "リージョンを特定できませんでした",
            )
        namespace = location.namespace
        entry = self.lookup(location.provider, location.region, namespace)
        en: list[str | None] = []
        ja: list[str | None] = []
        if entry is None and namespace == Namespace.REGION:
            entry = self.zone_region(location.provider, location.region)
            if entry is not None:
                en.append(f"{location.region} is a zone of {entry.code}: the region's country")
                ja.append(
                    f"{code(location.region)} は {code(entry.code)} のゾーンです"
                    "（国・地域はリージョンのもの）"
                )
        if entry is None:
            where = "" if namespace == Namespace.REGION else f" in the {namespace} namespace"
            where_ja = "" if namespace == Namespace.REGION else f"（{code(namespace)} の名前空間）"
            return CountryResolution(
                certainty=certainty,
                unmapped=True,
                note=_join(
                    f"unmapped region code {location.region!r} for provider "
                    f"{location.provider!r}{where}: not in the catalog, country unknown",
                    reason,
                ),
                note_ja=_join(
                    f"リージョンコード {code(location.region)}（{code(location.provider)}）"
                    f"{where_ja}は"
                    "カタログにないため、国・地域は不明です",
                    reason_ja,
                ),
            )
        if entry.provider == "aws" and location.region.strip().lower() == "eu":
            en.append("legacy S3 location 'EU' is eu-west-1")
            ja.append(f"S3 の旧ロケーション {code('EU')} は {code('eu-west-1')} です")
        if entry.is_configurable_placeholder:
            en.append(
                f"{entry.code} is a configurable dual-region placeholder: its countries come only "
                "from the bucket's customPlacementConfig.dataLocations, country unknown"
            )
            ja.append(
                f"{code(entry.code)} は構成可能なデュアルリージョンの仮の値です。"
                f"国・地域はバケットの {code('customPlacementConfig.dataLocations')} "
                "からしか分からないため、不明です"
            )
        elif not entry.countries:
            en.append(f"catalog row {entry.provider}:{entry.code} has no country: {entry.notes}")
            ja.append(
                f"カタログの {code(entry.provider + ':' + entry.code)} には国・地域がありません"
                f"（注記: {quote(entry.notes)}）"
            )
        if entry.candidates and entry.location_type == "cdn-edge":
            # the edges are published; which of them holds a copy depends on who asks for what
            certainty = Certainty.POSSIBLE
            en.append(
                f"{entry.code} is a CDN's set of edge locations: an edge in each of these "
                "countries may hold a cached copy"
            )
            ja.append(
                f"{code(entry.code)} は CDN のエッジロケーションの集合です。"
                "各国・地域のエッジがキャッシュとして複製を保持する可能性があります"
            )
        elif entry.candidates:
            certainty = Certainty.POSSIBLE
            en.append(
                f"{entry.code} does not disclose its countries; "
                "each candidate is a possible location"
            )
            ja.append(
                f"{code(entry.code)} は保管する国・地域を公開していないため、"
                "候補の国・地域をそれぞれ保管場所の可能性として扱います"
            )
        if not entry.verified:
            en.append(f"unverified catalog row: {entry.unverified}")
            ja.append(f"カタログのこの行は未確認です（出典の注記: {quote(entry.unverified)}）")
        found = entry.countries
        if location.edge_filter is not None:
            found = _narrowed(found, location.edge_filter, en, ja)
        en.append(reason)
        ja.append(reason_ja)
        return CountryResolution(
            countries=found,
            none_left=bool(entry.countries) and not found,
            certainty=certainty,
            verified=entry.verified,
            source=entry.source,
            note=_join(*en),
            note_ja=_join(*ja),
        )

    def resolve_bucket(self, bucket: Bucket, shared: Shared | None = None) -> Bucket:
        """A copy of the bucket with every location's ``resolution`` set.

        With ``shared`` (one per scan), equal resolved locations (the same region, role and
        mechanism in many buckets) and equal resolutions are one instance each: both are
        frozen."""
        one = shared if shared is not None else Shared()

        def resolved(loc: Location) -> Location:
            return one(loc.model_copy(update={"resolution": one(self.resolve(loc))}))

        return bucket.model_copy(
            update={"locations": one(tuple(resolved(loc) for loc in bucket.locations))}
        )

    def resolve_inventory(self, inventory: Inventory) -> Inventory:
        """A copy of the inventory with every location's ``resolution`` set."""
        shared = Shared()
        buckets = tuple(self.resolve_bucket(b, shared) for b in inventory.buckets)
        return inventory.model_copy(update={"buckets": buckets})


def _narrowed(
    countries: tuple[str, ...], edges: EdgeFilter, en: list[str | None], ja: list[str | None]
) -> tuple[str, ...]:
    """A CDN's edge countries narrowed by its geo restriction, saying so in both languages."""
    listed = {c.upper() for c in edges.countries}
    named = "、".join(code(c) for c in sorted(listed))
    if edges.mode == "allow":
        # viewers of an allowed country without an edge of its own are served from the nearest
        # edges of the set, and which those are the catalog cannot tell: every edge stays
        edgeless = sorted(listed - set(countries))
        if edgeless:
            en.append(
                f"not narrowed by the geo restriction's allow list ({', '.join(sorted(listed))}): "
                f"viewers in {', '.join(edgeless)}, where the CDN has no edge, are served from "
                "other edges, so every edge country stays possible"
            )
            ja.append(
                f"地理的制限の許可リスト（{named}）では絞り込みません。"
                f"エッジのない {'、'.join(code(c) for c in edgeless)} の閲覧者には他の国・地域の"
                "エッジから配信されるため、すべてのエッジの国・地域が保管場所の可能性として残ります"
            )
            return countries
        kept = tuple(c for c in countries if c in listed)
        en.append(f"narrowed to the geo restriction's allow list ({', '.join(sorted(listed))})")
        ja.append(f"地理的制限の許可リスト（{named}）に絞り込み")
    else:
        kept = tuple(c for c in countries if c not in listed)
        en.append(f"without the geo restriction's block list ({', '.join(sorted(listed))})")
        ja.append(f"地理的制限の拒否リスト（{named}）を除外")
    if not kept:
        en.append("no edge country is left: the CDN serves no viewer from its edges")
        ja.append("残るエッジの国・地域はありません（エッジから配信される閲覧者がいません）")
    return kept


def _key(provider: str, code: str, namespace: str) -> _Key:
    p = provider.lower()
    return (p, str(namespace), normalise_code(p, code))


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


def _check_entry(e: RegionEntry, countries: Mapping[str, str] | None) -> None:
    where = f"{e.provider}:{e.code}"
    if e.namespace not in _NAMESPACES:
        raise CatalogDataError(f"{where}: unknown namespace {e.namespace!r}")
    if e.location_type not in _LOCATION_TYPES:
        raise CatalogDataError(f"{where}: unknown location_type {e.location_type!r}")
    # a CDN row lists edge countries, each a possible copy; in any other namespace it is a typo
    if (e.location_type == "cdn-edge") != (e.namespace == Namespace.CDN):
        raise CatalogDataError(f"{where}: location_type cdn-edge belongs to the cdn namespace")
    if e.location_type == "cdn-edge" and not e.candidates:
        raise CatalogDataError(f"{where}: a CDN's edge countries are candidates (possible copies)")
    if not e.source.strip():
        raise CatalogDataError(f"{where}: no source")
    for cc in e.countries:
        if not _ISO2.match(cc) or (countries is not None and cc not in countries):
            raise CatalogDataError(f"{where}: {cc!r} is not an ISO 3166-1 alpha-2 code")
    if e.verified == bool(e.unverified):
        raise CatalogDataError(f"{where}: verified flag disagrees with the unverified text")


# -- loading the shipped data ---------------------------------------------------------------


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("residency_audit.catalog").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(";") if v.strip())


def _yes(value: str) -> bool:
    return value.strip().lower() == "yes"


@functools.cache
def iso_countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> English short name, from the shipped list."""
    return {r["alpha_2"]: r["name"] for r in _read_csv("iso3166_1.csv")}


@functools.cache
def load_catalog() -> Catalog:
    """The catalog shipped with the package (read once)."""
    entries = [
        RegionEntry(
            provider=r["provider"],
            code=r["code"],
            display_name=r["display_name"],
            city=r["city"],
            countries=_split(r["countries"]),
            cloud=r["cloud"],
            location_type=r["location_type"],
            members=_split(r["members"]),
            candidates=_yes(r["candidates"]),
            verified=not r["unverified"].strip(),
            notes=r["notes"],
            source=r["source"],
            unverified=r["unverified"].strip(),
            namespace=(r.get("namespace") or "").strip() or Namespace.REGION.value,
        )
        for r in _read_csv("regions.csv")
    ]
    pairs = [
        AzurePair(
            region=r["region"],
            secondary=r["secondary"],
            cross_border=_yes(r["cross_border"]),
            source=r["source"],
            region_country=r["region_country"],
            secondary_country=r["secondary_country"],
            verified=not r["unverified"].strip(),
            notes=r["notes"],
        )
        for r in _read_csv("azure_pairs.csv")
    ]
    return Catalog(entries, pairs, iso_countries())
