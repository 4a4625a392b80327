"""End to end against a real tracker: Roundup (PyPI) on 127.0.0.1, through the Roundup sink.

The tracker is installed from the classic template with the sqlite backend in a temp dir and its
server runs as ``nobody`` when the tests run as root (Roundup refuses root). Once it has dropped
privileges the server still imports parts of Roundup, so it runs from a copy of the package inside
that temp dir: the installed one may sit in a checkout ``nobody`` cannot read (a clone under a
``mktemp -d`` directory). Assertions read the tracker's own records over its REST API.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from residency_audit.history import HistoryStore
from residency_audit.tickets import RetryPolicy, sync_tickets
from residency_audit.tickets.sinks.roundup import roundup_headers

from .conftest import SECRET, config, finding, scan

BIN = Path(sys.executable).parent
PASSWORD = SECRET  # the bot's password doubles as the recognisable secret


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _readable_by_all(path: Path) -> bool:
    """Every directory above ``path`` lets any user through (``nobody`` must reach the tracker)."""
    return all(p.stat().st_mode & stat.S_IXOTH for p in path.resolve().parents)


def _tracker_home() -> Path:
    base = Path(tempfile.gettempdir())
    if not _readable_by_all(base / "x"):
        base = Path("/tmp")  # TMPDIR may be private; /tmp is open to every user
    return Path(tempfile.mkdtemp(prefix="ra-roundup-", dir=base))


def _roundup_copy(home: Path) -> Path:
    """Copy the installed Roundup package under ``home``; return the directory to import it from."""
    import roundup

    lib = home / "lib"
    shutil.copytree(Path(roundup.__file__).parent, lib / "roundup")
    return lib


@pytest.fixture(scope="module")
def roundup() -> Iterator[str]:
    admin = BIN / "roundup-admin"
    if not admin.exists():
        pytest.skip("roundup is not installed (pip install roundup)")
    home = _tracker_home()
    try:
        yield from _serve(admin, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)  # also when the install itself failed


def _serve(admin: Path, home: Path) -> Iterator[str]:
    """Install a tracker under ``home``, run its server, yield its URL, stop it."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/tr"
    tracker = home / "tr"
    run = {"check": True, "capture_output": True, "timeout": 60}
    settings = f"tracker_web={url}/,mail_domain=localhost,mail_host=localhost"
    subprocess.run(
        [str(admin), "-i", str(tracker), "install", "classic", "sqlite", settings], **run
    )  # type: ignore[call-overload]
    subprocess.run([str(admin), "-i", str(tracker), "initialise", "admin-pw"], **run)  # type: ignore[call-overload]
    subprocess.run(  # type: ignore[call-overload]
        [
            str(admin),
            "-i",
            str(tracker),
            "create",
            "user",
            "username=bot",
            f"password={PASSWORD}",
            "roles=User",
        ],
        **run,
    )
    server = [sys.executable, "-m", "roundup.scripts.roundup_server"]
    cmd = [*server, "-p", str(port), "-n", "127.0.0.1", f"tr={tracker}"]
    env = {**os.environ, "PYTHONPATH": str(_roundup_copy(home))}
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for path in (home, *home.rglob("*")):
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        cmd[len(server) : len(server)] = ["-u", "nobody"]
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=home, env=env)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/rest/data/status", auth=("bot", PASSWORD)).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"roundup-server did not start: {(home / 'server.log').read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _issues(url: str) -> list[dict[str, Any]]:
    with httpx.Client(base_url=url, auth=("bot", PASSWORD), headers=roundup_headers(url)) as c:
        rows = c.get(
            "/rest/data/issue", params={"@fields": "title,status,keyword,messages", "@verbose": 2}
        ).json()["data"]["collection"]
        for row in rows:
            row["status_name"] = row["status"].get("name")
            row["contents"] = [
                c.get(f"/rest/data/msg/{m['id']}", params={"@verbose": 3}).json()["data"][
                    "attributes"
                ]["content"]
                for m in row["messages"]
            ]
        return sorted(rows, key=lambda r: int(r["id"]))


def test_two_syncs_over_a_changing_estate(roundup: str, tmp_path: Path) -> None:
    cfg = config(
        lang="en",
        roundup={"url": roundup, "user_env": "RU_USER", "password_env": "RU_PASSWORD"},
    )
    env = {"RU_USER": "bot", "RU_PASSWORD": PASSWORD}
    retry = RetryPolicy(sleep=lambda s: None)
    a1, b1, c1 = finding("alpha"), finding("beta"), finding("gamma")
    with HistoryStore.open(f"sqlite:///{tmp_path / 'h.db'}") as store:

        def sync(result: Any) -> Any:
            plan = sync_tickets(
                result, cfg, store, apply=True, report_url=None, env=env, retry=retry
            )
            assert not plan.errors, plan.errors
            return plan

        sync(scan("s1", [a1, b1, c1]))
        first = _issues(roundup)
        assert sorted(i["title"].split(": ", 1)[1].split(" ")[0] for i in first) == [
            "alpha",
            "beta",
            "gamma",
        ]
        assert all(len(i["messages"]) == 1 for i in first)

        # second scan: alpha fixed, beta changed, gamma unchanged
        plan = sync(scan("s2", [b1, finding("beta", region="cn-north-1"), c1]))
        assert sorted((a.kind, a.bucket) for a in plan.actions) == [
            ("close", "alpha"),
            ("comment", "beta"),
        ]
        second = {i["title"].split(": ", 1)[1].split(" ")[0]: i for i in _issues(roundup)}
        assert len(second) == 3  # no duplicates
        assert second["alpha"]["status_name"] == "resolved"
        assert "Resolved" in second["alpha"]["contents"][-1]
        assert (
            len(second["beta"]["messages"]) == 2 and "cn-north-1" in second["beta"]["contents"][-1]
        )
        assert (
            len(second["gamma"]["messages"]) == 1 and second["gamma"]["status_name"] != "resolved"
        )
        assert all(PASSWORD not in text for i in second.values() for text in i["contents"])
