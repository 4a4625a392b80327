"""Credential failures: one line naming what was tried and what fixes it, and never the GCE
metadata server (169.254.169.254, metadata.google.internal) once an endpoint is configured."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from residency_audit.errors import CredentialError
from residency_audit.nettest import blackhole, record_connections
from residency_audit_gcp import GcpProvider

from .conftest import EmulatorFactory


@pytest.fixture
def no_adc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No Application Default Credentials: no key file named, an empty gcloud config."""
    for name in ("GOOGLE_APPLICATION_CREDENTIALS", "STORAGE_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))


@pytest.mark.usefixtures("no_adc")
def test_no_credentials_without_endpoint_names_the_chain_and_asks_metadata() -> None:
    """The control: with nothing configured google.auth asks the metadata server last."""
    provider = GcpProvider.from_settings({"projects": ["proj-alpha"]})
    [scope] = provider.scopes()
    with record_connections() as record, pytest.raises(CredentialError) as caught:
        list(provider.buckets(scope))
    assert record.metadata()  # the recorder sees the GCE probe
    assert str(caught.value) == (
        "gcp: no usable credentials found (tried GOOGLE_APPLICATION_CREDENTIALS, gcloud "
        "application-default credentials, the GCE metadata server); run `gcloud auth "
        "application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS / [providers.gcp] "
        "credentials_file"
    )
    assert "DefaultCredentialsError" in (caught.value.detail or "")


@pytest.mark.usefixtures("no_adc")
def test_with_an_endpoint_credentials_never_come_from_the_metadata_server() -> None:
    # the storage endpoint is the user's own; the organisation walk still needs credentials
    with blackhole() as url, record_connections() as record:
        provider = GcpProvider.from_settings({"organization": "100", "endpoint": url})
        with pytest.raises(CredentialError) as caught:
            list(provider.scopes())
    assert record.metadata() == []
    assert "metadata" not in str(caught.value)
    assert str(caught.value).startswith("gcp: no usable credentials found (tried ")


@pytest.mark.usefixtures("no_adc")
def test_an_emulator_endpoint_is_read_anonymously_without_any_credential_lookup(
    emulator: EmulatorFactory,
) -> None:
    url = emulator([{"name": "b1", "location": "ASIA-NORTHEAST1", "locationType": "region"}])
    with record_connections() as record:
        provider = GcpProvider.from_settings({"projects": ["proj-alpha"], "endpoint": url})
        [scope] = provider.scopes()
        buckets = list(provider.buckets(scope))
    assert [getattr(b, "name", None) for b in buckets] == ["b1"]
    assert record.metadata() == []


class _TokenRefused(BaseHTTPRequestHandler):
    """An OAuth token endpoint that refuses every grant, as for a revoked key."""

    def do_POST(self) -> None:
        body = json.dumps({"error": "invalid_grant", "error_description": "Invalid JWT"}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refused_key(tmp_path: Path) -> Iterator[Path]:
    """A service-account key file whose token endpoint refuses it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenRefused)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = tmp_path / "key.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "proj-alpha",
                "private_key_id": "0" * 40,
                "private_key": pem,
                "client_email": "audit@proj-alpha.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": f"http://127.0.0.1:{server.server_address[1]}/token",
            }
        )
    )
    try:
        yield path
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.usefixtures("no_adc")
def test_a_refused_key_says_so_and_how_to_renew(refused_key: Path) -> None:
    provider = GcpProvider.from_settings(
        {"projects": ["proj-alpha"], "credentials_file": str(refused_key)}
    )
    [scope] = provider.scopes()
    with record_connections() as record, pytest.raises(CredentialError) as caught:
        list(provider.buckets(scope))
    assert str(caught.value).startswith(
        "gcp: the credentials were refused or have expired (RefreshError); run "
        "`gcloud auth application-default login` again"
    )
    assert "invalid_grant" in (caught.value.detail or "")
    assert record.metadata() == []  # only that file's token endpoint
