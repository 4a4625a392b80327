"""Key copies Azure makes: the Key Vault paired-region rule against the shipped catalog."""

from __future__ import annotations

import pytest

from residency_audit.catalog import load_catalog
from residency_audit_azure import keys
from residency_audit_azure import normalize as nz
from residency_audit_azure.provider import vault_pair_status


@pytest.mark.parametrize(
    ("region", "pair_copy"),
    [
        ("southeastasia", "eastasia"),  # Singapore's key also sits in Hong Kong
        ("japaneast", "japanwest"),
        ("northeurope", "westeurope"),
        # documented as not replicated across regions, although paired
        ("brazilsouth", None),
        ("brazilsoutheast", None),
        ("westus3", None),
    ],
)
def test_vault_pair_copy(region: str, pair_copy: str | None) -> None:
    locs = keys.vault_key_locations("https://v.vault.azure.net", region, None, vault_pair_status)
    assert [loc.region for loc in locs] == [region, *([pair_copy] if pair_copy else [])]
    assert all(loc.derived for loc in locs[1:])


def test_unpaired_region_has_no_copy_unknown_or_unverified_region_has_an_unknown_one() -> None:
    unpaired = [
        e.code for e in load_catalog().entries(provider="azure") if e.code == "polandcentral"
    ]
    assert unpaired, "the catalog lost polandcentral"
    assert [
        loc.region
        for loc in keys.vault_key_locations("t", "polandcentral", None, vault_pair_status)
    ] == ["polandcentral"]
    # a region the catalog does not know: the pair copy is a key place of unknown region
    here, copy = keys.vault_key_locations("t", "atlantiscentral", None, vault_pair_status)
    assert here.region == "atlantiscentral" and copy.region is None
    assert "not in the region catalog" in (copy.unknown_reason or "")
    unverified = [e for e in load_catalog().entries(provider="azure") if not e.verified]
    for entry in unverified:
        if load_catalog().azure_geo_pair(entry.code) is None:
            *_, copy = keys.vault_key_locations("t", entry.code, None, vault_pair_status)
            assert copy.region is None and copy.mechanism == "key-vault-paired-replication"


def test_installed_sdk_requests_the_api_version_the_defaults_are_read_for() -> None:
    from azure.mgmt.storage import StorageManagementClient

    client = StorageManagementClient(credential=object(), subscription_id="s")  # type: ignore[arg-type]
    assert client._config.api_version == nz.STORAGE_API_VERSION


def test_a_region_without_a_pair_row_is_never_taken_as_unpaired() -> None:
    """Every Azure region of the catalog: a region the pair table has no row for gets a key copy
    of unknown region (the vault may replicate to a pair nobody has written down yet)."""
    catalog = load_catalog()
    for entry in catalog.entries(provider="azure", namespace="region"):
        locs = keys.vault_key_locations("t", entry.code, None, vault_pair_status)
        row = catalog.azure_pair_row(entry.code)
        if row is None:
            assert [loc.region for loc in locs] == [entry.code, None], entry.code
            assert "pair table has no row" in (locs[1].unknown_reason or "")
        elif entry.code in keys.NO_CROSS_REGION_COPY or (row.verified and not row.secondary):
            assert [loc.region for loc in locs] == [entry.code], entry.code
