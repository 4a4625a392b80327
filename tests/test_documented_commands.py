"""Every `residency-audit` command the README and docs/cli.md show in a ```sh block runs, as
written, in a shell: AWS against moto_server, Google Cloud against gcp-storage-emulator, each
through the environment variables their SDKs honour, and no Azure credentials at all.

A command a cloud admin copies from the docs must work; so the commands are read from the
files, not copied here, and a new one is run the day it is written. Synopsis blocks (``text``)
are not commands.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from residency_audit_aws.testing import moto_server
from residency_audit_gcp.testing import bucket_resource, serve_emulator

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[1]
DOCS = (ROOT / "README.md", ROOT / "docs" / "cli.md")
BIN = Path(sys.executable).parent
ENV_PREFIX = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*")
# a command with an outcome other than 0/1, and why
EXPECTED: dict[str, set[int]] = {
    # no Azure credentials on this machine: one line saying what to run, nothing written
    "--provider azure": {2},
}


def documented_commands() -> list[tuple[str, str]]:
    """(file, command) for every residency-audit command in a ```sh block, continuation lines
    joined and trailing comments dropped."""
    found: list[tuple[str, str]] = []
    for path in DOCS:
        block: str | None = None
        pending = ""
        for line in path.read_text().splitlines():
            if line.startswith("```"):
                block = line[3:].strip() if block is None else None
                continue
            if block != "sh":
                continue
            text = pending + line.split("  #")[0].strip()
            if text.endswith("\\"):
                pending = text[:-1] + " "
                continue
            pending = ""
            words = ENV_PREFIX.sub("", text).split()
            if words and words[0] == "residency-audit":
                found.append((path.name, text))
    return found


def test_the_docs_show_the_commands_a_cloud_admin_follows() -> None:
    shown = " ".join(c for _, c in documented_commands())
    for needed in ("scan --provider aws", "scan --config", "history list", "rules list"):
        assert f"residency-audit {needed}" in shown, needed


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    base = tmp_path_factory.mktemp("docs")
    home, work = base / "home", base / "work"
    (home / ".config" / "fish" / "completions").mkdir(parents=True)
    work.mkdir()
    # the user's scan.toml, here the bundled demo estate through the core's fixture provider
    (work / "estate.json").write_text((ROOT / "fixtures" / "estates" / "demo.json").read_text())
    (work / "scan.toml").write_text('[providers.fixture]\npath = "estate.json"\n')
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = AKIADOCSDEFAULT0\naws_secret_access_key = x\n"
        "[audit]\naws_access_key_id = AKIADOCSAUDIT000\naws_secret_access_key = x\n"
    )
    keep = ("PATH", "LANG", "TMPDIR", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        HOME=str(home),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        MOTO_EC2_LOAD_DEFAULT_AMIS="false",
    )
    gcs = [bucket_resource("design-drawings", "ASIA-NORTHEAST1")]
    with moto_server() as aws, serve_emulator(base / "gcs", gcs) as gcp:
        env.update(AWS_ENDPOINT_URL=aws, STORAGE_EMULATOR_HOST=gcp)
        s3 = boto3.client(
            "s3",
            endpoint_url=aws,
            region_name="us-east-1",
            aws_access_key_id="AKIADOCSDEFAULT0",
            aws_secret_access_key="x",
        )
        s3.create_bucket(
            Bucket="drawings-tokyo",
            CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"},
        )
        yield work, env


@pytest.mark.parametrize(
    ("source", "command"), documented_commands(), ids=[c for _, c in documented_commands()]
)
def test_a_documented_command_runs_as_written(
    sandbox: tuple[Path, dict[str, str]], source: str, command: str
) -> None:
    work, env = sandbox
    run = subprocess.run(
        ["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True, timeout=240
    )
    expected = next((codes for k, codes in EXPECTED.items() if k in command), None)
    told = f"{source}: {command}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
    if expected is None:
        expected = {0, 1} if " scan " in f" {shlex.split(command)[1]} " else {0}
    assert run.returncode in expected, told
    if run.returncode in (0, 1) and "scan" in command.split():
        assert "error" not in run.stderr.lower(), told
    if "--json" in command.split():
        json.loads(run.stdout)
