"""A fault-injecting, secret-echoing HTTP proxy on loopback: a test and benchmark utility.

Put it between a plugin and its emulator (moto_server, an ARM stub) to see what a scan does when
the network and the service misbehave::

    with FaultProxy(moto_url, rate=0.2, seed=7) as proxy:
        settings = {"endpoint_url": proxy.url, ...}

A share ``rate`` of requests (those ``applies`` accepts) is answered with one of ``faults``, drawn
at random from a seeded generator (or, with ``every=N``, the 1st, N+1th, 2N+1th... such request,
for tests that need to know which attempt fails): ``slowdown`` (503 SlowDown), ``internal``
(500 InternalError), ``denied`` (403 AccessDenied), ``reset`` (the connection is reset without an
answer) or ``stall`` (no answer for ``stall`` seconds, then the connection is closed). Error
bodies are shaped like the AWS protocol the request used (S3 REST-XML, query XML, EC2 XML, JSON),
so botocore parses them as it parses the real thing.

``echo`` turns it into an echoing endpoint: called with each request, it may return a text that is
sent back as an AccessDenied whose message quotes it (planted secrets, the request's own
``Authorization`` header...). :data:`PLANTED_SECRETS` is the corpus the masking tests plant.

It binds 127.0.0.1 only, forwards only to a loopback upstream, and every stall ends when the proxy
stops. Nothing here writes anywhere but to the emulator it fronts.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import re
import socket
import struct
import sys
import threading
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

__all__ = [
    "FAULTS",
    "PLANTED_SECRETS",
    "FaultProxy",
    "ProxiedRequest",
    "fragment",
    "leaked_secrets",
    "planted_secret_values",
]

FAULTS = ("slowdown", "internal", "denied", "reset", "stall")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}
)
_JSON_SERVICES = frozenset({"backup", "organizations", "kms"})
_ERRORS = {
    "slowdown": (503, "SlowDown", "Please reduce your request rate."),
    "internal": (500, "InternalError", "We encountered an internal error. Please try again."),
    "denied": (403, "AccessDenied", "Access Denied"),
}


def _secret(label: str, alphabet: str, length: int) -> str:
    """A fixed, realistic-looking secret: the same in every run, unique to its label."""
    digest = b""
    counter = 0
    while len(digest) < length:
        digest += hashlib.sha256(f"{label}:{counter}".encode()).digest()
        counter += 1
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_HEX = "0123456789abcdef"
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

_STS_TOKEN = "IQoJb3JpZ2luX2VjE" + _secret("sts", _B64, 320)
_STS_TOKEN_2 = "FwoGZXIvYXdzE" + _secret("sts2", _B64, 240)
_ACCESS_KEY = "ASIA" + _secret("akid", _UPPER, 16)
_SIGNATURE = _secret("sigv4", _HEX, 64)
_PRESIGNED_SIGNATURE = _secret("presigned", _HEX, 64)
_V2_SIGNATURE = _secret("sigv2", _ALNUM, 27) + "%3D"
_SAS_SIG = _secret("sas", _ALNUM, 40) + "%2B" + _secret("sas2", _ALNUM, 3) + "%3D"
_ACCOUNT_KEY = _secret("accountkey", _B64, 86) + "=="
_SHARED_ACCESS_KEY = _secret("sharedaccesskey", _ALNUM, 43) + "="
_JWT = (
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJ"
    + _secret("jwt-body", _ALNUM, 60)
    + "."
    + _secret("jwt-sig", _ALNUM, 43)
)
_YA29 = "ya29.a0" + _secret("ya29", _ALNUM, 90)
_DB_PASSWORD = "pw" + _secret("dbpass", _ALNUM, 14)
_SECRET_KEY = _secret("secretkey", _ALNUM, 40)
_SHARED_KEY_SIG = _secret("sharedkey", _ALNUM, 43) + "="

# kind -> an error text quoting one secret the way SDKs, proxies and services really do
PLANTED_SECRETS: Mapping[str, str] = {
    "sts-token-header": f"request headers: X-Amz-Security-Token: {_STS_TOKEN}",
    "sigv4-authorization": (
        f"Authorization: AWS4-HMAC-SHA256 Credential={_ACCESS_KEY}/20261201/us-east-1/s3/"
        f"aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, "
        f"Signature={_SIGNATURE}"
    ),
    "headers-repr": (
        f"{{'X-Amz-Security-Token': b'{_STS_TOKEN_2}', 'Authorization': b'AWS4-HMAC-SHA256 "
        f"Credential={_ACCESS_KEY}/20261201/us-east-1/s3/aws4_request, "
        f"Signature={_SIGNATURE}'}}"
    ),
    "presigned-url-v4": (
        f"redirected to https://bkt.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Credential={_ACCESS_KEY}%2F20261201%2Fus-east-1%2Fs3%2Faws4_request"
        f"&X-Amz-Signature={_PRESIGNED_SIGNATURE}&X-Amz-Security-Token={_STS_TOKEN_2}"
    ),
    "presigned-url-v2": (
        f"GET https://bkt.s3.amazonaws.com/k?AWSAccessKeyId={_ACCESS_KEY}"
        f"&Signature={_V2_SIGNATURE}&Expires=1767225600 failed"
    ),
    "azure-sas": (
        f"https://acct.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=co&sp=rl"
        f"&se=2026-12-31T00:00:00Z&sig={_SAS_SIG} refused"
    ),
    "azure-connection-string": (
        f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={_ACCOUNT_KEY};"
        "EndpointSuffix=core.windows.net"
    ),
    "azure-shared-access-key": (
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
        f"SharedAccessKey={_SHARED_ACCESS_KEY}"
    ),
    "azure-shared-key-header": f"Authorization: SharedKey acct:{_SHARED_KEY_SIG}",
    "bearer": f"Authorization: Bearer {_JWT}",
    "bare-jwt": f"token {_JWT} was rejected",
    "gcp-access-token": f"credentials {_YA29} expired",
    "database-url": f"could not connect to postgresql://auditor:{_DB_PASSWORD}@db.internal:5432/h",
    "session-token-json": (
        f'{{"SessionToken": "{_STS_TOKEN_2}", "SecretAccessKey": "{_SECRET_KEY}"}}'
    ),
    "aws-config-line": f"aws_session_token = {_STS_TOKEN}",
    "secret-key-query": f"aws_secret_access_key={_SECRET_KEY}&region=us-east-1",
    "bare-session-token": f"the token {_STS_TOKEN} is not valid",
}


def planted_secret_values() -> dict[str, str]:
    """A fragment of each secret in the corpus -> a name for it: what no output may contain.

    A fragment is the secret's first run of 16 letters and digits, which no output format
    escapes (JSON, CSV, HTML, XML), so a grep finds the secret whole or cut."""
    values = {
        "sts token": _STS_TOKEN[17:],
        "sts token 2": _STS_TOKEN_2[13:],
        "access key id": _ACCESS_KEY,
        "sigv4 signature": _SIGNATURE,
        "presigned signature": _PRESIGNED_SIGNATURE,
        "sigv2 signature": _V2_SIGNATURE,
        "sas sig": _SAS_SIG,
        "account key": _ACCOUNT_KEY,
        "shared access key": _SHARED_ACCESS_KEY,
        "shared key signature": _SHARED_KEY_SIG,
        "jwt": _JWT.split(".")[1],
        "ya29 token": _YA29[7:],
        "database password": _DB_PASSWORD,
        "secret access key": _SECRET_KEY,
    }
    return {fragment(value): name for name, value in values.items()}


def leaked_secrets(text: str) -> list[str]:
    """The names of the corpus secrets (:func:`planted_secret_values`) that ``text`` contains."""
    return [name for value, name in planted_secret_values().items() if value in text]


def fragment(secret: str) -> str:
    """The first run of 16 letters and digits in ``secret`` (a grep target)."""
    match = re.search(r"[A-Za-z0-9]{16}", secret)
    if match is None:
        raise ValueError("a secret too short to grep for")
    return match.group()


@dataclass(frozen=True)
class ProxiedRequest:
    method: str
    path: str
    headers: Mapping[str, str]
    service: str  # from the SigV4 credential scope ("s3", "sts"...), "" when unsigned
    body: bytes = b""


def _service(headers: Mapping[str, str]) -> str:
    auth = headers.get("authorization", "")
    if "Credential=" not in auth:
        return ""
    scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return scope[3] if len(scope) > 3 else ""


def _error_body(service: str, code: str, message: str) -> tuple[str, bytes, dict[str, str]]:
    """(content type, body, extra headers) of an AWS error in the request's protocol."""
    if service in _JSON_SERVICES:
        body = json.dumps({"__type": code, "message": message}).encode()
        return "application/x-amz-json-1.1", body, {"x-amzn-ErrorType": code}
    text, words = escape(message), escape(code)
    if service == "s3":
        xml = f"<Error><Code>{words}</Code><Message>{text}</Message></Error>"
    elif service == "ec2":
        xml = (
            f"<Response><Errors><Error><Code>{words}</Code><Message>{text}</Message></Error>"
            "</Errors><RequestID>fault</RequestID></Response>"
        )
    else:  # query protocol (STS) and S3 Control
        xml = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{words}</Code>"
            f"<Message>{text}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
        )
    return "application/xml", f'<?xml version="1.0" encoding="UTF-8"?>{xml}'.encode(), {}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # a client that gave up (its read timeout, a reset we injected) is part of the game
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class FaultProxy:
    """A threaded HTTP/1.1 proxy on 127.0.0.1 in front of a loopback ``upstream``."""

    def __init__(
        self,
        upstream: str,
        *,
        rate: float = 0.0,
        faults: Collection[str] = FAULTS,
        stall: float = 30.0,
        seed: int = 0,
        every: int = 0,
        applies: Callable[[ProxiedRequest], bool] | None = None,
        echo: Callable[[ProxiedRequest], str | None] | None = None,
    ) -> None:
        target = urlsplit(upstream)
        if target.hostname not in _LOOPBACK:
            raise ValueError(f"upstream must be on loopback, not {target.hostname!r}")
        unknown = set(faults) - set(FAULTS)
        if unknown or not 0.0 <= rate <= 1.0 or (not faults and rate):
            raise ValueError(f"faults must be among {FAULTS} and 0 <= rate <= 1")
        self._upstream = (target.hostname, target.port or 80)
        self.rate = rate
        self.faults = tuple(faults)
        self.stall = min(stall, 300.0)
        self._random = random.Random(seed)  # noqa: S311 -- reproducible faults, not crypto
        self.every = every
        self._seen = 0
        self._applies = applies
        self._echo = echo
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.counts: Counter[str] = Counter()  # "forwarded", "echoed" and each fault's name
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping.set()  # ends every stall
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)

    def _draw(self, request: ProxiedRequest) -> str | None:
        if not (self.rate or self.every) or (
            self._applies is not None and not self._applies(request)
        ):
            return None
        with self._lock:
            self._seen += 1
            if self.every:
                if (self._seen - 1) % self.every:
                    return None
            elif self._random.random() >= self.rate:
                return None
            return self._random.choice(self.faults)

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def _forward(
        self,
        upstream: list[http.client.HTTPConnection],
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Send the request upstream on the client connection's own upstream connection (kept
        alive, so the proxy adds little to a clean run's time); reconnect once if it was closed
        (the calls a scan makes are reads, so sending one twice is harmless)."""
        for attempt in (1, 2):
            if not upstream:
                upstream.append(http.client.HTTPConnection(*self._upstream, timeout=60))
            connection = upstream[0]
            try:
                connection.request(method, path, body=body or None, headers=dict(headers))
                response = connection.getresponse()
                return response.status, response.getheaders(), response.read()
            except (http.client.HTTPException, OSError):
                connection.close()
                upstream.clear()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # headers and body go out in separate writes: without this, Nagle's algorithm
                # and the client's delayed ACK add ~40 ms to every answer
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.upstream: list[http.client.HTTPConnection] = []  # at most one, kept alive

            def finish(self) -> None:
                for connection in self.upstream:
                    connection.close()
                super().finish()

            def log_message(self, format: str, *args: object) -> None:
                pass  # the proxy's own access log would drown a test's output

            def _answer(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _error(self, service: str, status: int, code: str, message: str) -> None:
                content_type, body, extra = _error_body(service, code, message)
                self._answer(status, {"Content-Type": content_type, **extra}, body)

            def _reset(self) -> None:
                # SO_LINGER 0: close() sends RST, as a load balancer dropping the connection
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = ProxiedRequest(self.command, self.path, headers, _service(headers), body)
                planted = proxy._echo(request) if proxy._echo is not None else None
                if planted is not None:
                    proxy._count("echoed")
                    self._error(request.service, 403, "AccessDenied", planted)
                    return
                fault = proxy._draw(request)
                if fault is not None:
                    proxy._count(fault)
                if fault == "reset":
                    self._reset()
                elif fault == "stall":
                    proxy._stopping.wait(proxy.stall)
                    self.close_connection = True
                elif fault is not None:
                    self._error(request.service, *_ERRORS[fault])
                else:
                    proxy._count("forwarded")
                    status, upstream_headers, content = proxy._forward(
                        self.upstream, self.command, self.path, headers, body
                    )
                    kept = {k: v for k, v in upstream_headers if k.lower() not in _HOP_BY_HOP}
                    self._answer(status, kept, content)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

        return Handler
