"""What a credential failure says: the credential (or chain) tried and the command or setting that
fixes it, in one line with no SDK text (the SDK's words go to ``detail``, logged at ``-v``).

DefaultAzureCredential's own error lists every credential it tried over many lines; the names are
taken from it (client.AzureApiError.tried), so the line follows the installed azure-identity.
"""

from __future__ import annotations

from residency_audit.errors import CredentialError

from .client import AzureApiError
from .settings import Settings

__all__ = ["credential_error"]

_SETTING = "[providers.azure] credential"


def credential_error(exc: AzureApiError, settings: Settings) -> CredentialError | None:
    """The CredentialError ``exc`` stands for, or None when it is not about credentials."""
    if not exc.credential:
        return None
    if exc.status == 401:  # a token, refused by ARM: expired, revoked, another tenant's
        message = (
            f"azure: the credential's token was refused ({exc.code}); run `az login` again "
            f"(with the subscriptions' tenant: `az login --tenant T`), or set {_SETTING}"
        )
    elif settings.credential == "cli":
        message = (
            "azure: AzureCliCredential found no credential (is the Azure CLI installed and "
            f"logged in?); run `az login`, or set {_SETTING}"
        )
    elif settings.credential == "environment":
        message = (
            "azure: EnvironmentCredential found no credential (AZURE_TENANT_ID, AZURE_CLIENT_ID "
            "and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH); set them, or choose "
            f"another {_SETTING}"
        )
    elif settings.credential == "managed-identity":
        message = (
            "azure: ManagedIdentityCredential got no token (no managed identity on this host, "
            "or the wrong client_id); run where one is assigned, or set "
            f"{_SETTING} / [providers.azure] client_id"
        )
    else:
        tried = (
            ", ".join(exc.tried) or "environment, workload identity, managed identity, Azure CLI"
        )
        message = (
            f"azure: DefaultAzureCredential found no credential (tried {tried}); run `az login`, "
            f"or set {_SETTING} (cli, environment, managed-identity)"
        )
    return CredentialError(message, code=exc.code, detail=exc.message or None)
