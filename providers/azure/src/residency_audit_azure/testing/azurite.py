"""Start Azurite's blob service from the project's ``node_modules`` (npm azurite, pinned 3.35.0).

In memory, on a free 127.0.0.1 port, with one or more accounts (``AZURITE_ACCOUNTS``); each account
is served at ``http://127.0.0.1:PORT/<account>``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["AZURITE_MAIN", "Azurite", "account_key", "find_azurite", "run_azurite"]

AZURITE_MAIN = Path("node_modules/azurite/dist/src/blob/main.js")


def find_azurite(start: Path | None = None) -> Path | None:
    """The Azurite blob entry point in ``start`` or a parent folder's node_modules, if installed."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / AZURITE_MAIN
        if candidate.is_file():
            return candidate
    return None


def account_key(account: str) -> str:
    """A deterministic base64 key for a local Azurite account (test data, not a secret)."""
    return base64.b64encode(hashlib.sha512(account.encode()).digest()).decode()


@dataclass(frozen=True)
class Azurite:
    port: int
    accounts: tuple[str, ...]

    def endpoint(self, account: str) -> str:
        return f"http://127.0.0.1:{self.port}/{account}"

    @property
    def endpoint_template(self) -> str:
        return f"http://127.0.0.1:{self.port}/{{account}}"

    def connection_string(self, account: str) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={account};"
            f"AccountKey={account_key(account)};BlobEndpoint={self.endpoint(account)};"
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-500:]
            raise RuntimeError(f"Azurite exited early with code {proc.returncode}: {tail}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"Azurite did not listen on port {port} within {timeout} s")


@contextlib.contextmanager
def run_azurite(
    main_js: Path, accounts: Sequence[str] = ("devstoreaccount1",), *, timeout: float = 30.0
) -> Iterator[Azurite]:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH (Azurite needs Node.js 20)")
    port = _free_port()
    env = dict(os.environ)
    env["AZURITE_ACCOUNTS"] = ";".join(f"{a}:{account_key(a)}" for a in accounts)
    with tempfile.TemporaryDirectory(prefix="azurite-") as workdir:
        log = Path(workdir) / "azurite.log"
        out = log.open("wb")
        proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [
                node,
                str(main_js),
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(port),
                "--inMemoryPersistence",
                "--skipApiVersionCheck",
                "--loose",
                "--disableTelemetry",
            ],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(port, proc, timeout, log)
            yield Azurite(port, tuple(accounts))
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            out.close()
