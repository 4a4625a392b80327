"""An Azure SDK error that quotes a secret (a SAS URL, a connection string, a bearer token) is
masked where it becomes our AzureApiError, before it is cut to length, for every corpus entry."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError

from residency_audit.faultproxy import PLANTED_SECRETS, leaked_secrets
from residency_audit_azure.client import AzureApiError, _api_error


def _leaks(error: AzureApiError) -> list[str]:
    return leaked_secrets(f"{error} {error.code}")


@pytest.mark.parametrize("kind", sorted(PLANTED_SECRETS))
def test_sdk_errors_quoting_a_secret_become_masked_api_errors(kind: str) -> None:
    planted = PLANTED_SECRETS[kind]
    assert leaked_secrets(planted)  # the entry does carry a secret
    refused = _api_error("storage_accounts.list", HttpResponseError(message=planted))
    unreachable = _api_error("blob.get_service_properties", ServiceRequestError(planted))
    long_text = AzureApiError("containers.list", 403, "AuthorizationFailed", "x " * 145 + planted)
    for error in (refused, unreachable, long_text):
        assert _leaks(error) == []
    assert "***" in refused.message and "***" in unreachable.message
