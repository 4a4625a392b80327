"""Sharded live scans end to end: four `scan --shard I/4` processes of the real CLI run at once
against one moto_server (an organisation of several accounts, one with more buckets than
shard_split) and record into the real PostgreSQL the history tests start; `assemble` gives the
same fingerprints, counts and coverage as one unsharded run. A shard killed mid-scan is named
missing (exit 3) and nothing is written as complete."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from residency_audit.history import HistoryStore
from residency_audit.history.models import ShardRun

pytestmark = pytest.mark.emulator
pytest.importorskip("residency_audit_aws")

from residency_audit_aws.testing import moto_server, seed_estate  # noqa: E402

CLI = [sys.executable, "-m", "residency_audit"]
SPLIT = 6  # [scan] shard_split: the "bulk" account's 15 buckets are shared by bucket name


def _bucket(name: str, region: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "region": region, "tags": {"data-classification": "sensitive"}, **extra}


ESTATE: dict[str, Any] = {
    "accounts": [
        {
            "alias": "mgmt",
            "name": "mgmt",
            "management": True,
            "buckets": [_bucket("mgmt-logs", "ap-northeast-1")],
        },
        {
            "alias": "prod",
            "id": "210987654321",
            "name": "prod",
            "buckets": [
                _bucket("prod-cad", "ap-northeast-1", replication=[{"bucket": "prod-cad-hk"}]),
                _bucket("prod-cad-hk", "ap-east-1", versioning=True),
                _bucket("prod-web", "us-west-2"),
            ],
        },
        {
            "alias": "bulk",
            "id": "444455556666",
            "name": "bulk",
            "buckets": [
                _bucket(f"bulk-{i:02d}", ("ap-northeast-1", "eu-west-1", "ap-east-1")[i % 3])
                for i in range(14)
            ]
            # an opt-in region only one share's buckets use
            + [_bucket("bulk-riyadh", "me-central-1")],
        },
        {
            "alias": "dev",
            "id": "777788889999",
            "name": "dev",
            "buckets": [_bucket("dev-scratch", "us-east-1")],
        },
    ]
}


@pytest.fixture(scope="module")
def estate_endpoint() -> Iterator[str]:
    env = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ["AWS_ACCESS_KEY_ID"] = "AKIAFAKEFAKEFAKEFAKE"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "fake-secret-not-real"
    try:
        with moto_server() as url:
            seed_estate(url, ESTATE)
            yield url
    finally:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def config(tmp_path: Path, estate_endpoint: str) -> Path:
    path = tmp_path / "scan.toml"
    path.write_text(
        f"""
[scan]
shard_split = {SPLIT}

[classification]
keys = ["data-classification"]

[providers.aws]
endpoint_url = "{estate_endpoint}"
organization = true
role_name = "OrganizationAccountAccessRole"
max_attempts = 2
# AWS Backup is read in these regions only: every enabled one costs minutes on a busy moto
regions = ["ap-northeast-1", "ap-east-1", "eu-west-1", "us-east-1", "us-west-2"]
""",
        encoding="utf-8",
    )
    return path


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="AKIAFAKEFAKEFAKEFAKE",
        AWS_SECRET_ACCESS_KEY="fake-secret-not-real",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-aws-credentials"),
        MOTO_EC2_LOAD_DEFAULT_AMIS="false",
        RESIDENCY_AUDIT_HISTORY="",
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120)


def _findings(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return data


def _what_a_user_compares(data: dict[str, Any]) -> dict[str, Any]:
    scan = data["scan"]
    return {
        "fingerprints": sorted(f["fingerprint"] for f in data["findings"]),
        "severities": sorted((f["fingerprint"], f["severity"]) for f in data["findings"]),
        "coverage": scan["coverage"],
        "providers": scan["providers"],
    }


def test_four_concurrent_shards_assemble_into_the_unsharded_scan(
    tmp_path: Path, config: Path, pg_head_url: str
) -> None:
    env = _env(tmp_path)
    whole = _run(
        ["scan", "--config", str(config), "-o", str(tmp_path / "whole"), "--no-history", "-q"],
        env,
    )
    assert whole.returncode in (0, 1), whole.stderr

    group = ["--scan-group", "run-1", "--history", pg_head_url, "-q"]
    shards = [
        subprocess.Popen(
            [*CLI, "scan", "--config", str(config), "--shard", f"{i}/4", *group],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    for p in shards:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with HistoryStore.open(pg_head_url) as store, store.engine.connect() as conn:
        recorded = dict(conn.execute(select(ShardRun.shard_index, ShardRun.bucket_count)).all())
        # the bulk account (14 > shard_split) was shared: every shard read some of it
        assert sorted(recorded) == [0, 1, 2, 3]
        assert sum(recorded.values()) == 20
        assert all(n > 0 for n in recorded.values()) or len(set(recorded.values())) > 1

    out = tmp_path / "assembled"
    args = ["assemble", "--scan-group", "run-1", "--history", pg_head_url, "--config", str(config)]
    assembled = _run([*args, "-o", str(out)], env)
    assert assembled.returncode == whole.returncode, assembled.stderr

    mine, theirs = _findings(out), _findings(tmp_path / "whole")
    assert _what_a_user_compares(mine) == _what_a_user_compares(theirs)
    assert mine["scan"]["coverage"]["buckets"] == 20
    assert mine["scan"]["coverage"]["scopes_total"] == 4
    assert any(f["location"].get("country") == "HK" for f in mine["findings"])
    # the same scope results (status, counts, notes) as the unsharded inventory
    inv = json.loads((out / "inventory.json").read_text(encoding="utf-8"))
    ref = json.loads((tmp_path / "whole" / "inventory.json").read_text(encoding="utf-8"))
    by_scope = {s["scope"]: s for s in ref["scopes"]}
    assert {s["scope"]: s for s in inv["scopes"]} == by_scope
    # recorded as an ordinary scan: the history lists it
    listed = _run(["history", "list", "--history", pg_head_url], env)
    assert listed.returncode == 0, listed.stderr
    assert mine["scan"]["id"] in listed.stdout


def test_a_killed_shard_is_named_missing_and_nothing_is_written(
    tmp_path: Path, config: Path, pg_head_url: str
) -> None:
    env = _env(tmp_path)
    group = ["--scan-group", "run-2", "--history", pg_head_url, "-q"]
    others = [
        subprocess.Popen(
            [*CLI, "scan", "--config", str(config), "--shard", f"{i}/4", *group],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in (0, 2, 3)
    ]
    # shard 1 marks itself started, then hangs on an endpoint that accepts and never answers
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)
    stuck = tmp_path / "stuck.toml"
    endpoint = f"http://127.0.0.1:{hole.getsockname()[1]}"
    stuck.write_text(
        re.sub(r'endpoint_url = "[^"]*"', f'endpoint_url = "{endpoint}"', config.read_text()),
        encoding="utf-8",
    )
    victim = subprocess.Popen(
        [*CLI, "scan", "--config", str(stuck), "--shard", "1/4", *group],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    with HistoryStore.open(pg_head_url) as store:
        while time.monotonic() < deadline:  # kill it once it has marked itself started
            with store.engine.connect() as conn:
                started = select(ShardRun.started).where(
                    ShardRun.group_id == "run-2", ShardRun.shard_index == 1
                )
                if conn.scalar(started):
                    break
            time.sleep(0.05)
        time.sleep(0.5)  # in the middle of its collection
        assert victim.poll() is None, "shard 1 ended before it could be killed"
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    hole.close()
    for p in others:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err

    out = tmp_path / "assembled"
    args = ["assemble", "--scan-group", "run-2", "--history", pg_head_url, "--config", str(config)]
    assembled = _run([*args, "-o", str(out)], env)
    assert assembled.returncode == 3
    assert "1 of 4 shards missing" in assembled.stderr
    assert "never finished (killed or still running): 1" in assembled.stderr
    assert not out.exists()  # not even an empty report directory
    # a group no shard of which ever arrived: named missing too, when the count is given
    none = _run(
        ["assemble", "--scan-group", "never", "--shards", "2", "--history", pg_head_url], env
    )
    assert none.returncode == 3
    assert "never started: 0, 1" in none.stderr


def test_a_split_account_notes_what_no_share_used_as_the_unsharded_scan_does(
    estate_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In process, every region read (no `regions`): each share of the split account names the
    opt-in regions moto calls not enabled minus its own buckets' regions; merged, the note is the
    unsharded one (ap-east-1, where some bucket lives, left out)."""
    from residency_audit.model import Bucket
    from residency_audit.scan import collect
    from residency_audit.shard import ShardPart, ShardPlan, ShardSpec, merge_scopes
    from residency_audit_aws import AwsProvider

    for key, value in _env(tmp_path).items():
        if key.startswith(("AWS_", "MOTO_")):
            monkeypatch.setenv(key, value)
    settings = {
        "endpoint_url": estate_endpoint,
        "organization": True,
        "role_name": "OrganizationAccountAccessRole",
        "max_attempts": 2,
        "include_accounts": ["444455556666"],
    }
    whole = collect({"aws": AwsProvider.from_settings(settings)})
    parts: list[ShardPart] = []
    names: list[set[str]] = []
    for i in range(2):
        plan = ShardPlan(ShardSpec(i, 2), split=SPLIT)
        inventory = collect({"aws": AwsProvider.from_settings(settings)}, shard=plan)
        names.append({b.name for b in inventory.buckets if isinstance(b, Bucket)})
        parts.append(plan.part())
    assert names[0] and names[1] and not names[0] & names[1]
    assert names[0] | names[1] == {b.name for b in whole.buckets}
    [merged] = merge_scopes(parts, 2)
    [expected] = whole.scopes
    assert [n.kind for n in expected.notes] == ["region-not-enabled"]
    assert "ap-east-1" not in expected.notes[0].detail
    assert "me-central-1" not in expected.notes[0].detail
    # the shares' own notes differ: one named me-central-1, where only the other has a bucket
    shares = [[n.detail for sp in p.scopes for n in sp.result.notes] for p in parts]
    assert sum("me-central-1" in d for share in shares for d in share) == 1
    assert merged == expected


def test_an_account_another_shard_owns_costs_only_its_listing(
    estate_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    from residency_audit.scan import collect
    from residency_audit.shard import ShardPlan, ShardSpec, slot
    from residency_audit_aws import AwsProvider

    for key, value in _env(tmp_path).items():
        if key.startswith(("AWS_", "MOTO_")):
            monkeypatch.setenv(key, value)
    settings = {
        "endpoint_url": estate_endpoint,
        "organization": True,
        "role_name": "OrganizationAccountAccessRole",
        "max_attempts": 2,
        "include_accounts": ["777788889999"],  # one bucket: whole, never split
    }
    calls: dict[int, set[tuple[str, str]]] = {}
    for i in range(2):
        seen: set[tuple[str, str]] = set()
        calls[i] = seen

        def factory(*args: Any, _seen: set[tuple[str, str]] = seen, **kw: Any) -> boto3.Session:
            session = boto3.Session(*args, **kw)
            session.events.register(
                "before-call",
                lambda model, _s=_seen, **_: _s.add((model.service_model.service_name, model.name)),
            )
            return session

        plan = ShardPlan(ShardSpec(i, 2), split=SPLIT)
        collect({"aws": AwsProvider.from_settings(settings, session_factory=factory)}, shard=plan)
    owner = slot("aws:777788889999", 2)
    other = 1 - owner
    reads = {c for c in calls[other] if c[0] not in ("organizations", "sts")}
    assert reads == {("s3", "ListBuckets")}
    assert ("ec2", "DescribeRegions") in calls[owner]
    assert ("s3", "GetBucketLocation") in calls[owner] or ("s3", "HeadBucket") in calls[owner]
