"""Helpers for tests, the demo and the benchmark: a moto_server on a free port and an estate seeder.

Needs ``moto[server]`` (a test dependency, imported lazily). The seeder WRITES to whatever
endpoint it is given; it is only ever pointed at a local moto_server.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pathlib
from collections.abc import Iterator, Mapping
from typing import Any

import boto3
import httpx

from .client import _strip_account_host

__all__ = [
    "credentials_session",
    "default_encryption",
    "fake_profile",
    "moto_server",
    "partition_session",
    "profile_text",
    "replication_rule",
    "seed_estate",
    "seed_session",
]

MANAGEMENT_ACCOUNT = "123456789012"  # moto's default account for unknown access keys
_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _reset(url: str) -> None:
    httpx.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Start moto_server on a free 127.0.0.1 port; yield its URL; stop it on exit."""
    from moto.server import ThreadedMotoServer

    # werkzeug logs every request, and a traceback for each API moto lacks: keep the demo readable
    access_log = logging.getLogger("werkzeug")
    level = access_log.level
    access_log.setLevel(logging.CRITICAL)
    # the plugin asks EC2 only for regions; moto would otherwise build an AMI catalogue per account
    saved = os.environ.get("MOTO_EC2_LOAD_DEFAULT_AMIS")
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # the threaded server shares moto's in-process state with every mock_aws in this process:
    # start empty, and leave nothing behind for the next test
    _reset(url)
    try:
        yield url
    finally:
        _reset(url)
        server.stop()
        access_log.setLevel(level)
        if saved is None:
            os.environ.pop("MOTO_EC2_LOAD_DEFAULT_AMIS", None)
        else:
            os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = saved


@contextlib.contextmanager
def fake_profile(workdir: pathlib.Path, profile: str) -> Iterator[None]:
    """Write an AWS config with a fake-credential ``profile`` and point the SDK at it (env vars
    restored on exit), so the plugin finds credentials through the ordinary boto3 chain."""
    workdir.mkdir(parents=True, exist_ok=True)
    config, credentials = workdir / "aws-config", workdir / "aws-credentials"
    config.write_text(f"[profile {profile}]\nregion = us-east-1\n", encoding="utf-8")
    credentials.write_text(
        f"[{profile}]\naws_access_key_id = AKIADEMODEMODEMO0000\n"
        "aws_secret_access_key = demo-not-a-secret\n",
        encoding="utf-8",
    )
    names = ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
    saved = {n: os.environ.get(n) for n in names}
    os.environ["AWS_CONFIG_FILE"], os.environ["AWS_SHARED_CREDENTIALS_FILE"] = (
        str(config),
        str(credentials),
    )
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def seed_session(endpoint: str, account: str | None = None) -> boto3.Session:
    """A session on the emulator: the management account, or ``account`` via AssumeRole."""
    base = boto3.Session(
        aws_access_key_id="AKIASEEDSEEDSEED0000",
        aws_secret_access_key="seed-not-a-secret",  # noqa: S106 -- moto accepts any key
        region_name="us-east-1",
    )
    if account is None or account == MANAGEMENT_ACCOUNT:
        return base
    creds = base.client("sts", endpoint_url=endpoint).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="seed",
    )["Credentials"]
    return credentials_session(creds)


def credentials_session(
    credentials: Mapping[str, Any], region: str | None = "us-east-1"
) -> boto3.Session:
    """A session on the temporary credentials an STS AssumeRole answer carries."""
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def partition_session(partition: str, home: str, account: str) -> boto3.Session:
    """Temporary keys moto's STS issues for ``account`` in ``partition`` (inside ``mock_aws``)."""
    creds = boto3.client("sts", region_name=home).assume_role(
        RoleArn=f"arn:{partition}:iam::{account}:role/seed", RoleSessionName="seed"
    )["Credentials"]
    return credentials_session(creds, region=None)


def profile_text(name: str, session: boto3.Session) -> str:
    """A shared-credentials-file section holding the session's keys, for ``[providers.aws]``
    partitions that name a profile."""
    creds = session.get_credentials()
    assert creds is not None
    frozen = creds.get_frozen_credentials()
    lines = [
        f"[{name}]",
        f"aws_access_key_id = {frozen.access_key}",
        f"aws_secret_access_key = {frozen.secret_key}",
    ]
    if frozen.token:
        lines.append(f"aws_session_token = {frozen.token}")
    return "\n".join(lines) + "\n"


def _client(session: boto3.Session, service: str, endpoint: str, region: str) -> Any:
    client = session.client(service, region_name=region, endpoint_url=endpoint)  # type: ignore[call-overload]
    if service == "s3control":
        client.meta.events.register("before-send.s3-control", _strip_account_host)
    return client


def _bucket(
    session: boto3.Session,
    endpoint: str,
    spec: Mapping[str, Any],
    ids: Mapping[str, str],
    keys: Mapping[str, str],
) -> None:
    name, region = spec["name"], spec["region"]
    s3 = _client(session, "s3", endpoint, region)
    create: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    if spec.get("acl"):
        create["ACL"] = spec["acl"]
    s3.create_bucket(**create)
    if spec.get("tags"):
        s3.put_bucket_tagging(
            Bucket=name,
            Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in spec["tags"].items()]},
        )
    encryption = spec.get("encryption")
    if encryption:
        key = keys[encryption["key"]] if encryption.get("key") else None
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration=default_encryption(encryption["algorithm"], key),
        )
    if spec.get("block_public_access"):
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=dict.fromkeys(_FLAGS, True)
        )
    if spec.get("ownership"):
        s3.put_bucket_ownership_controls(
            Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": spec["ownership"]}]}
        )
    if spec.get("policy_read_by"):
        principals = [f"arn:aws:iam::{ids.get(a, a)}:root" for a in spec["policy_read_by"]]
        s3.put_bucket_policy(
            Bucket=name,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": principals},
                            "Action": "s3:GetObject",
                            "Resource": f"arn:aws:s3:::{name}/*",
                        }
                    ],
                }
            ),
        )
    if spec.get("versioning") or spec.get("replication"):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def default_encryption(algorithm: str, key_id: str | None = None) -> dict[str, Any]:
    """A bucket's default encryption (``aws:kms`` with ``key_id``, ``AES256`` ...), as
    PutBucketEncryption takes it."""
    default = {"SSEAlgorithm": algorithm}
    if key_id:
        default["KMSMasterKeyID"] = key_id
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": default}]}


def replication_rule(index: int, bucket: str, account: str | None = None) -> dict[str, Any]:
    """One S3 replication rule to ``bucket`` (in ``account``, when another), as the emulator
    and the real API take it."""
    destination: dict[str, Any] = {"Bucket": f"arn:aws:s3:::{bucket}"}
    if account:
        destination["Account"] = account
    return {
        "ID": f"rule-{index}",
        "Priority": index,
        "Status": "Enabled",
        "Filter": {},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": destination,
    }


def _replication(
    session: boto3.Session, endpoint: str, spec: Mapping[str, Any], ids: Mapping[str, str]
) -> None:
    rules = [
        replication_rule(
            i,
            rule["bucket"],
            ids.get(rule["account"], rule["account"]) if rule.get("account") else None,
        )
        for i, rule in enumerate(spec["replication"])
    ]
    _client(session, "s3", endpoint, spec["region"]).put_bucket_replication(
        Bucket=spec["name"],
        ReplicationConfiguration={
            "Role": "arn:aws:iam::123456789012:role/s3-replication",
            "Rules": rules,
        },
    )


@contextlib.contextmanager
def _member_account_id(account_id: str | None) -> Iterator[None]:
    """moto draws member account ids at random; a fixed id keeps findings' fingerprints (and so
    the scan history) stable from one demo run to the next. Takes effect when the moto server
    runs in this process (``moto_server()``)."""
    if account_id is None:
        yield
        return
    from unittest import mock

    with mock.patch("moto.organizations.utils.make_random_account_id", return_value=account_id):
        yield


def seed_estate(endpoint: str, estate: Mapping[str, Any]) -> dict[str, str]:
    """Create the estate (organisation, accounts, keys, buckets, backup plans) through real boto3
    calls against ``endpoint``; return account alias -> account id."""
    management = seed_session(endpoint)
    org = _client(management, "organizations", endpoint, "us-east-1")
    org.create_organization(FeatureSet="ALL")
    ids: dict[str, str] = {}
    for account in estate["accounts"]:
        alias = account["alias"]
        if account.get("management"):
            ids[alias] = MANAGEMENT_ACCOUNT
        elif account.get("outside_organization"):
            ids[alias] = account["id"]
        else:
            with _member_account_id(account.get("id")):
                status = org.create_account(
                    Email=f"{alias}@example.com", AccountName=account["name"]
                )
            ids[alias] = status["CreateAccountStatus"]["AccountId"]
    for account in estate["accounts"]:
        account_id = ids[account["alias"]]
        session = seed_session(endpoint, account_id)
        if account.get("block_public_access"):
            _client(session, "s3control", endpoint, "us-east-1").put_public_access_block(
                AccountId=account_id,
                PublicAccessBlockConfiguration=dict.fromkeys(_FLAGS, True),
            )
        keys: dict[str, str] = {}
        for key in account.get("kms_keys", []):
            kms = _client(session, "kms", endpoint, key["region"])
            meta = kms.create_key(Description=key["ref"], MultiRegion=bool(key.get("replicas")))
            keys[key["ref"]] = meta["KeyMetadata"]["Arn"]
            for replica in key.get("replicas", []):
                kms.replicate_key(KeyId=meta["KeyMetadata"]["KeyId"], ReplicaRegion=replica)
        for bucket in account.get("buckets", []):
            _bucket(session, endpoint, bucket, ids, keys)
        for plan in account.get("backup_plans", []):
            backup = _client(session, "backup", endpoint, plan["region"])
            backup.create_backup_vault(BackupVaultName=plan["vault"])
            copies = [
                {
                    "DestinationBackupVaultArn": f"arn:aws:backup:{c['region']}:"
                    f"{ids.get(c.get('account', ''), account_id)}:backup-vault:{c['vault']}"
                }
                for c in plan.get("copy_to", [])
            ]
            backup.create_backup_plan(
                BackupPlan={
                    "BackupPlanName": plan["name"],
                    "Rules": [
                        {
                            "RuleName": plan["name"],
                            "TargetBackupVaultName": plan["vault"],
                            "CopyActions": copies,
                        }
                    ],
                }
            )
    for account in estate["accounts"]:  # destinations exist now
        session = seed_session(endpoint, ids[account["alias"]])
        for bucket in account.get("buckets", []):
            if bucket.get("replication"):
                _replication(session, endpoint, bucket, ids)
    return ids
