"""`scan --tickets` / `--apply-tickets` through the real CLI against a local signed-webhook
receiver: the plan changes nothing, apply sends one signed event per flagged bucket, and a second
scan of an unchanged estate sends nothing again."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from residency_audit.cli import cli

SECRET = "wh-secret-5f3c9a"  # recognisable: must never appear in output or reports


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_scan_plans_then_applies_tickets_once(
    tmp_path: Path,
    write_config: Callable[..., Path],
    receiver: tuple[str, list[tuple[dict[str, str], bytes]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, received = receiver
    monkeypatch.setenv("RA_WEBHOOK_SECRET", SECRET)
    config = write_config()
    config.write_text(
        config.read_text(encoding="utf-8")
        + f'\n[tickets]\nmin_severity = "critical"\n[tickets.webhook]\nurl = "{url}"\n'
        'secret_env = "RA_WEBHOOK_SECRET"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    runner = CliRunner()

    planned = runner.invoke(
        cli, ["scan", "--config", str(config), "-o", str(out), "-q", "--tickets"]
    )
    assert planned.exit_code == 1, planned.output
    assert received == []  # a plan changes nothing
    assert "cad-archive" in planned.output

    applied = runner.invoke(
        cli, ["scan", "--config", str(config), "-o", str(out), "-q", "--apply-tickets"]
    )
    assert applied.exit_code == 1, applied.output
    events = [json.loads(body) for _, body in received]
    critical_buckets = {
        f["resource"]["uid"]
        for f in json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]
        if f["severity"] == "critical" and f["resource"] and not f["suppression"]
    }
    assert len(events) == len(critical_buckets) > 0
    assert {e["event"] for e in events} == {"opened"}
    for headers, body in received:
        stamp = headers["X-Residency-Audit-Timestamp"]
        mac = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        assert headers["X-Residency-Audit-Signature"] == f"sha256={mac}"

    again = runner.invoke(
        cli, ["scan", "--config", str(config), "-o", str(out), "-q", "--apply-tickets"]
    )
    assert again.exit_code == 1, again.output
    assert len(received) == len(events)  # unchanged estate: no duplicate ticket, no comment
    for path in out.iterdir():
        if path.is_file() and path.suffix in (".json", ".csv", ".html"):
            assert SECRET not in path.read_text(encoding="utf-8-sig")
    assert SECRET not in planned.output + applied.output + again.output
