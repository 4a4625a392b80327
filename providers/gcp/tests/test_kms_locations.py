"""Cloud KMS key locations resolve in the catalog's own ``kms`` namespace (issue 12, part 1c).

Cloud KMS names locations its own way (https://cloud.google.com/kms/docs/locations): ``global``
(resources available from zones spread around the world), multi-regions ``asia``, ``europe``,
``us`` and the multi-region/multi-continent ``nam4``, ``eur3``-``eur6``, ``nam-eur-asia1``; KMS
``nam4`` (Iowa, South Carolina, Oklahoma) is not the GCS dual-region ``NAM4``. The plugin passes
the location through; these tests check what a compliance officer then sees.
"""

from __future__ import annotations

import json
from pathlib import Path

from residency_audit.catalog import load_catalog
from residency_audit.model import Certainty, CountryResolution, Namespace
from residency_audit_gcp import normalize

REAL = Path(__file__).parent / "data" / "real"


def _key_resolution(loc: str) -> CountryResolution:
    key = normalize.key_location(f"projects/p/locations/{loc}/keyRings/r/cryptoKeys/k")
    return load_catalog().resolve(key)


def test_global_kms_key_may_be_anywhere_google_has_a_region() -> None:
    # Cloud KMS docs: 'global' resources are available from zones spread around the world
    res = _key_resolution("global")
    assert res.certainty is Certainty.POSSIBLE and not res.unmapped
    assert {"US", "JP", "HK", "TW", "DE", "BR", "AU"} <= set(res.countries)


def test_asia_kms_key_is_possible_over_the_asian_candidates_including_hk() -> None:
    res = _key_resolution("asia")
    assert res.certainty is Certainty.POSSIBLE
    assert {"HK", "TW", "JP"} <= set(res.countries)


def test_nam_eur_asia1_kms_key_spans_three_continents() -> None:
    # the name says it: North America, Europe and Asia (Cloud KMS multi-continent location)
    countries = set(_key_resolution("nam-eur-asia1").countries)
    assert "US" in countries
    assert countries & {"BE", "NL", "DE", "FI", "FR", "IT", "PL", "ES", "SE"}
    assert countries & {"TW", "JP", "HK", "SG", "KR", "IN", "ID", "TH"}


def test_kms_nam4_is_not_the_gcs_nam4_dual_region() -> None:
    # Cloud KMS nam4 is 'Iowa, South Carolina, and Oklahoma'; GCS NAM4 is two regions: a key
    # location must never borrow the bucket row of the same spelling
    assert _key_resolution("nam4").countries == ("US",)
    catalog = load_catalog()
    entry = catalog.lookup("gcp", "nam4", Namespace.KMS)
    assert entry is not None and entry.namespace == Namespace.KMS
    assert entry is not catalog.lookup("gcp", "NAM4")


def test_recorded_global_keys_may_be_anywhere_google_has_a_region() -> None:
    # cloud-custodian kms-cryptokey-iam-policy flight: three keys in 'global'
    doc = json.loads((REAL / "c7n-kms-cryptokeys-global.json").read_text(encoding="utf-8"))
    for key in doc["cryptoKeys"]:
        res = load_catalog().resolve(normalize.key_location(key["name"]))
        assert res.certainty is Certainty.POSSIBLE and {"US", "HK", "TW"} <= set(res.countries)


def test_recorded_cmek_key_in_the_us_multi_region_stays_in_the_us() -> None:
    # policy-library CAI export: a US-CENTRAL1 bucket whose default key is in KMS 'us'
    doc = json.loads((REAL / "cai-storage-cmek-us-key.json").read_text(encoding="utf-8"))
    key = doc[0]["resource"]["data"]["encryption"]["defaultKmsKeyName"]
    assert load_catalog().resolve(normalize.key_location(key)).countries == ("US",)
