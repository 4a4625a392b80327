"""Demo backend for AWS: a local moto_server seeded with the AWS part of the demo estate.

Seed: fixtures/demo/aws.json, created through real boto3 calls (residency_audit_aws.testing).
The plugin finds its (fake) credentials through the ordinary boto3 chain: ``serve`` writes an AWS
config with a ``residency-demo`` profile and points AWS_CONFIG_FILE/AWS_SHARED_CREDENTIALS_FILE at
it for as long as the server runs (child processes such as ``residency-audit scan`` inherit them).
"""

from __future__ import annotations

import contextlib
import json
import pathlib
from collections.abc import Iterator
from typing import Any

from residency_audit_aws.testing import fake_profile, moto_server, seed_estate

SEED = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "aws.json"
PROFILE = "residency-demo"


def load_seed(path: pathlib.Path = SEED) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@contextlib.contextmanager
def serve(workdir: pathlib.Path) -> Iterator[dict[str, Any]]:
    """Start moto_server on a free 127.0.0.1 port, seed the AWS part of the demo estate, yield the
    ``[providers.aws]`` settings table that points the plugin at it, stop everything on exit."""
    with moto_server() as endpoint, fake_profile(pathlib.Path(workdir), PROFILE):
        seed_estate(endpoint, load_seed())
        yield {
            "profile": PROFILE,
            "endpoint_url": endpoint,
            "organization": True,
            "role_name": "OrganizationAccountAccessRole",
            # moto answers Backup selection reads with HTTP 500; one retry keeps the demo quick
            "max_attempts": 2,
        }
