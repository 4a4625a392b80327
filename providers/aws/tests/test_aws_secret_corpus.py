"""Secrets quoted by an endpoint's error text never reach anything we write.

The demo organisation runs on moto_server behind an echoing proxy: bucket and backup reads are
answered with an AccessDenied whose message quotes one planted secret of each kind and the
request's own ``Authorization`` and ``X-Amz-Security-Token`` headers (the assumed role's real
session token). A real ``residency-audit scan`` writes every report format and the history, logging
in text and then in JSON; none of them may hold any of those secrets.
"""

from __future__ import annotations

import re
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from residency_audit.cli import cli
from residency_audit.faultproxy import (
    PLANTED_SECRETS,
    FaultProxy,
    ProxiedRequest,
    fragment,
    planted_secret_values,
)
from residency_audit.redact import mask_secrets
from residency_audit.testing import load_module

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[3]
# bucket configuration reads (S3 sub-resources) whose failure becomes a gap with its reason
_READS = frozenset({"policy", "encryption", "tagging", "replication", "ownershipControls"})
_SIGNATURE = re.compile(r"Signature=([0-9a-f]{64})")


class Echo:
    """Answers the first bucket and backup reads with the corpus, one entry a read, in turn, and
    refuses the first AssumeRole of each scan (a failed scope, in the reports and the logs)."""

    def __init__(self) -> None:
        self.kinds = sorted(PLANTED_SECRETS)
        self.sent, self.role_refused = 0, False
        self.real: set[str] = set()  # request secrets the proxy echoed: signatures, tokens
        self._lock = threading.Lock()

    def start(self) -> None:
        self.sent, self.role_refused = 0, False

    def __call__(self, request: ProxiedRequest) -> str | None:
        query = {part.split("=")[0] for part in urlsplit(request.path).query.split("&")}
        assume_role = request.service == "sts" and b"Action=AssumeRole" in request.body
        config_read = (request.service == "s3" and bool(query & _READS)) or (
            request.service == "backup"
        )
        if not (config_read or assume_role):
            return None
        with self._lock:
            if assume_role:
                if self.role_refused:
                    return None
                # one member account's scope fails: a scope error, logged
                self.role_refused, kind = True, "sts-token-header"
            elif self.sent >= 2 * len(self.kinds):
                return None  # the rest of the scan runs normally
            else:
                kind = self.kinds[self.sent % len(self.kinds)]
                self.sent += 1
            auth = request.headers.get("authorization", "")
            token = request.headers.get("x-amz-security-token", "")
            self.real.update(_SIGNATURE.findall(auth))
            if token:
                self.real.add(fragment(token))
        return (
            f"{PLANTED_SECRETS[kind]} (request Authorization: {auth}; "
            f"X-Amz-Security-Token: {token})"
        )


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("secret-corpus")
    backend = load_module(ROOT / "demo" / "aws_backend.py")
    echo = Echo()
    with (
        backend.serve(workdir / "aws") as settings,
        FaultProxy(settings["endpoint_url"], echo=echo) as proxy,
    ):
        table = {**settings, "endpoint_url": proxy.url}
        lines = [f"{k} = {_toml(v)}" for k, v in table.items()]
        config = workdir / "scan.toml"
        config.write_text(
            'profile = "jp-default"\n[output]\nformats = ["json", "csv", "html", "xlsx"]\n'
            "[providers.aws]\n" + "\n".join(lines) + "\n",
            encoding="utf-8",
        )
        out = workdir / "out"
        logs = {}
        for fmt in ("text", "json"):
            echo.start()
            result = CliRunner().invoke(
                cli, ["--log-format", fmt, "-vv", "scan", "--config", str(config), "-o", str(out)]
            )
            assert result.exit_code == 3, result.output  # the refused role: a failed scope
            logs[fmt] = result.stderr
        yield {"out": out, "logs": logs, "echo": echo, "echoed": proxy.counts["echoed"]}


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return f'"{value}"'


def _texts(out: Path, logs: dict[str, str]) -> dict[str, str]:
    """Every file the scan wrote (the workbook's XML parts unzipped), the history, the logs."""
    texts: dict[str, str] = {f"log ({fmt})": text for fmt, text in logs.items()}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                for part in book.namelist():
                    texts[f"{path.name}:{part}"] = book.read(part).decode("utf-8", "replace")
        else:  # the SQLite history's JSON documents are stored as plain text
            texts[path.name] = path.read_bytes().decode("utf-8", "replace")
    return texts


def test_the_planted_errors_reached_the_reports_masked(scanned: dict[str, Any]) -> None:
    assert scanned["echoed"] >= 2 * len(PLANTED_SECRETS)
    texts = _texts(scanned["out"], scanned["logs"])
    assert {"findings.json", "inventory.json", "report.html", "history.db"} <= set(texts)
    assert any(name.startswith("findings.xlsx:") for name in texts)
    inventory = texts["inventory.json"]
    # each planted text came back as a gap reason, with its secret masked (names kept)
    shown = [kind for kind, text in PLANTED_SECRETS.items() if _marker(text) in inventory]
    assert shown == list(PLANTED_SECRETS)
    assert scanned["echo"].real  # the proxy did echo the scan's own signatures and tokens
    # the refused role is logged in both formats (by its error code: the plugin's scope error
    # quotes no API message; the log tests in tests/test_redact.py plant the corpus directly)
    assert all("AssumeRole AccessDenied" in log for log in scanned["logs"].values())


def _marker(text: str) -> str:
    """A piece of the masked text (names, no secret) that shows it reached the report."""
    masked = mask_secrets(text)
    return max(re.split(r"[\"'\\]", masked), key=len)[:40]


def test_no_secret_in_any_output_file_history_or_log(scanned: dict[str, Any]) -> None:
    secrets = {
        **planted_secret_values(),
        **{s: "echoed request secret" for s in scanned["echo"].real},
    }
    texts = _texts(scanned["out"], scanned["logs"])
    leaks = [
        (name, what) for name, text in texts.items() for s, what in secrets.items() if s in text
    ]
    assert leaks == []
