"""ARM resource ids through azure-mgmt-core's parser: the kinds matched without case, parts kept."""

from __future__ import annotations

import pytest

from residency_audit_azure.client import parse_account_id
from residency_audit_azure.resource_ids import last_name, of_type, subscription_of

ACCOUNT = "/subscriptions/S1/resourceGroups/Rg-1/providers/Microsoft.Storage/storageAccounts/acct"


def test_a_storage_account_id_in_either_case_and_without_the_leading_slash() -> None:
    assert parse_account_id(ACCOUNT) == ("S1", "Rg-1", "acct")
    lower = ACCOUNT.lower().lstrip("/")
    assert parse_account_id(lower) == ("s1", "rg-1", "acct")
    found = of_type(ACCOUNT + "/", "microsoft.storage", "STORAGEACCOUNTS")
    assert found is not None and found.name == "acct"


@pytest.mark.parametrize(
    "text",
    [
        "/subscriptions/S1/resourceGroups/G/providers/Microsoft.KeyVault/vaults/kv",
        ACCOUNT + "/blobServices/default",  # a child resource, not the account
        "/subscriptions/S1",
        "acct",
        "",
    ],
)
def test_anything_else_is_not_a_storage_account(text: str) -> None:
    assert of_type(text, "Microsoft.Storage", "storageAccounts") is None
    with pytest.raises(ValueError, match="not a storage account resource id"):
        parse_account_id(text)


def test_subscription_and_last_name() -> None:
    assert subscription_of(ACCOUNT) == "S1"
    assert subscription_of("/subscriptions/S2/providers/Microsoft.Cdn/profiles?api-version=1") == (
        "S2"
    )
    assert subscription_of("/providers/Microsoft.ResourceGraph/resources") is None
    assert last_name(ACCOUNT) == "acct"
    assert last_name(ACCOUNT + "/blobServices/default") == "default"
    assert last_name("destAccount1") == "destAccount1"  # a bare name stays itself
