"""Credential failures: one line naming the credential tried and what fixes it (the chain's names
from DefaultAzureCredential's own error), and the managed-identity endpoint (IMDS,
169.254.169.254) never asked with an explicit credential or ARM endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_audit.errors import CredentialError
from residency_audit.nettest import record_connections
from residency_audit_azure import AzureProvider
from residency_audit_azure.testing.armstub import ArmStub, Fault
from residency_audit_azure.testing.azurite import Azurite

from .conftest import seed

_IDENTITY_VARS = (
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "IMDS_ENDPOINT",
)


@pytest.fixture
def no_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credential anywhere: no service principal, no Azure CLI or azd login, no token cache."""
    for name in _IDENTITY_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "azure"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no az, azd or pwsh to run


def _scopes_error(settings: dict[str, object]) -> tuple[CredentialError, list[str]]:
    with record_connections() as record:
        provider = AzureProvider.from_settings({"max_workers": 1, **settings})
        with pytest.raises(CredentialError) as caught:
            list(provider.scopes())
    return caught.value, record.metadata()


@pytest.mark.usefixtures("no_identity")
def test_default_chain_names_every_credential_it_tried_and_asks_imds() -> None:
    """The control: the default chain includes managed identity, and the recorder sees it."""
    error, metadata = _scopes_error({})
    message = str(error)
    assert message.startswith("azure: DefaultAzureCredential found no credential (tried ")
    assert "EnvironmentCredential" in message and "AzureCliCredential" in message
    assert "ManagedIdentityCredential" in message
    assert message.endswith(
        "; run `az login`, or set [providers.azure] credential (cli, environment, managed-identity)"
    )
    assert "\n" not in message
    assert "169.254.169.254" in metadata
    assert "Attempted credentials" in (error.detail or "")


@pytest.mark.usefixtures("no_identity")
def test_with_an_explicit_arm_endpoint_the_default_chain_never_asks_imds() -> None:
    error, metadata = _scopes_error({"arm_endpoint": "https://127.0.0.1:9"})
    assert metadata == []
    assert "ManagedIdentityCredential" not in str(error)
    assert "AzureCliCredential" in str(error)


@pytest.mark.usefixtures("no_identity")
@pytest.mark.parametrize(
    ("credential", "start"),
    [
        ("environment", "azure: EnvironmentCredential found no credential (AZURE_TENANT_ID"),
        ("cli", "azure: AzureCliCredential found no credential (is the Azure CLI installed"),
    ],
)
def test_an_explicit_credential_is_named_with_its_fix_and_never_asks_imds(
    credential: str, start: str
) -> None:
    error, metadata = _scopes_error({"credential": credential})
    assert str(error).startswith(start)
    assert metadata == []


@pytest.mark.usefixtures("no_identity")
def test_a_connection_string_scan_never_asks_imds(azurite: Azurite) -> None:
    # an account and container of its own: the Azurite is shared by the session's tests
    seed(azurite, "devstoreaccount1", {"imdsprobe": None})
    with record_connections() as record:
        provider = AzureProvider.from_settings(
            {"connection_string": azurite.connection_string("devstoreaccount1")}
        )
        [scope] = provider.scopes()
        items = list(provider.buckets(scope))
    assert "devstoreaccount1/imdsprobe" in [getattr(i, "name", None) for i in items]
    assert record.metadata() == []


def test_a_token_arm_refuses_says_so(estate: dict[str, object]) -> None:
    with ArmStub(estate) as stub:
        stub.inject(
            lambda _: True,
            Fault(status=401, code="ExpiredAuthenticationToken", message="The token expired."),
        )
        provider = AzureProvider.from_settings(
            {"arm_endpoint": stub.url, "credential": "anonymous", "retries": 0}
        )
        with pytest.raises(CredentialError) as caught:
            list(provider.scopes())
    assert str(caught.value) == (
        "azure: the credential's token was refused (ExpiredAuthenticationToken); run `az login` "
        "again (with the subscriptions' tenant: `az login --tenant T`), or set "
        "[providers.azure] credential"
    )
