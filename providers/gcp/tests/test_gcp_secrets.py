"""A Google API or auth error that quotes a secret (a ya29 access token, a bearer header, a signed
URL) is masked where it becomes our GcpApiError, for every corpus entry."""

from __future__ import annotations

import pytest
import requests
from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions

from residency_audit.faultproxy import PLANTED_SECRETS, leaked_secrets
from residency_audit_gcp.client import GcpApiError, _translate


def _leaks(error: GcpApiError) -> list[str]:
    return leaked_secrets(f"{error} {error.code}")


@pytest.mark.parametrize("kind", sorted(PLANTED_SECRETS))
def test_sdk_errors_quoting_a_secret_become_masked_api_errors(kind: str) -> None:
    planted = PLANTED_SECRETS[kind]
    assert leaked_secrets(planted)  # the entry does carry a secret
    errors = [
        _translate(api_exceptions.Forbidden(planted)),
        _translate(api_exceptions.RetryError(planted, cause=None)),
        _translate(auth_exceptions.RefreshError(planted)),
        _translate(ValueError(planted)),
    ]
    for error in errors:
        assert _leaks(error) == []
        assert "***" in error.message
    # a transport error is reported by its type alone
    assert _translate(requests.ConnectionError(planted)).message == "ConnectionError"
