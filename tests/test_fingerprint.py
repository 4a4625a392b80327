"""Fingerprints identify what a finding is about, and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

from residency_audit.model import (
    Bucket,
    Certainty,
    CountryResolution,
    Finding,
    Inventory,
    Location,
    PublicAccess,
    PublicVerdict,
    Role,
    ScopeResult,
)
from residency_audit.profiles.model import Basis, Profile
from residency_audit.rules import EvaluationSettings, evaluate, fingerprint

BASIS = Basis(label_en="b", label_ja="b", source="s")


def profile(concern: tuple[str, ...] = ("HK",)) -> Profile:
    return Profile(
        name="p",
        description_en="p",
        description_ja="p",
        concern={c: (BASIS,) for c in concern},
        government_access={"HK": (BASIS,)},
        allowed={"JP": (BASIS,)},
    )


def location(role: Role, region: str, country: str, certainty: Certainty) -> Location:
    return Location(
        role=role,
        provider="aws",
        region=region,
        mechanism="m",
        certainty=certainty,
        resolution=CountryResolution(countries=(country,)),
    )


def scan(
    name: str = "docs",
    tags: dict[str, str] | None = None,
    certainty: Certainty = Certainty.CONFIRMED,
    concern: tuple[str, ...] = ("HK",),
) -> list[Finding]:
    bucket = Bucket(
        provider="aws",
        scope="111122223333",
        name=name,
        uid="arn:aws:s3:::docs",
        tags=tags or {},
        locations=(
            location(Role.PRIMARY, "ap-northeast-1", "JP", Certainty.CONFIRMED),
            location(Role.REPLICA, "ap-east-1", "HK", certainty),
            location(Role.BACKUP, "ap-east-1", "HK", certainty),
        ),
        public_access=PublicAccess(verdict=PublicVerdict.NOT_BLOCKED),
    )
    inv = Inventory(buckets=(bucket,), scopes=(ScopeResult(provider="aws", scope="111122223333"),))
    return evaluate(inv, profile(concern), EvaluationSettings(today=date(2025, 6, 1)))


def by_key(fs: list[Finding]) -> dict[tuple[str, str | None, str | None, str], str]:
    out: dict[tuple[str, str | None, str | None, str], str] = {}
    for f in fs:
        key = (
            f.rule_id,
            f.location.role.value if f.location else None,
            f.location.region if f.location else None,
            f.guideline_items[0],
        )
        assert key not in out
        out[key] = f.fingerprint
    return out


def test_fingerprint_is_sha256_hex_and_pinned() -> None:
    fp = fingerprint("location.concern", "aws", "111122223333", "arn:aws:s3:::docs", "replica",
                     "ap-east-1")  # fmt: skip
    assert len(fp) == 64 and int(fp, 16) >= 0
    # pinned: changing the algorithm would orphan every stored finding and ticket
    assert fp == "907ea52143cfef96bc982fbfee2eb147096161933f87ffcf92196815d4d59178"


def test_fingerprint_is_stable_across_processes() -> None:
    code = (
        "from residency_audit.rules import fingerprint;"
        "print(fingerprint('location.concern','aws','1','u','replica','ap-east-1'))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert outs == {fingerprint("location.concern", "aws", "1", "u", "replica", "ap-east-1")}


def test_fingerprints_ignore_message_severity_and_classification() -> None:
    base = scan()
    variants = [
        scan(name="renamed-bucket"),  # every message changes
        scan(tags={"classification": "sensitive"}),  # severity up
        scan(tags={"classification": "public"}),  # severity down
        scan(certainty=Certainty.POSSIBLE),  # critical -> high, message wording changes
    ]
    for other in variants:
        assert by_key(other) == by_key(base)
    assert {f.severity for f in variants[1]} != {f.severity for f in variants[2]}
    assert variants[0][0].message != base[0].message


def test_fingerprints_differ_per_role_region_rule_and_resource() -> None:
    fps = by_key(scan())
    assert (
        fps[("location.concern", "replica", "ap-east-1", "(2)-1")]
        != fps[("location.concern", "backup", "ap-east-1", "(2)-1")]
    )
    assert (
        fps[("location.concern", "replica", "ap-east-1", "(2)-1")]
        != fps[("location.government-access", "replica", "ap-east-1", "(2)-2")]
    )
    args = ("location.concern", "aws", "1", "u", "replica", "ap-east-1")
    base = fingerprint(*args)
    for i, changed in enumerate(["x", "gcp", "2", "v", "backup", "ap-east-2"]):
        mutated = list(args)
        mutated[i] = changed
        assert fingerprint(*mutated) != base
    assert fingerprint(*args, subject="replication") != base
    assert fingerprint(*args[:4]) != base  # a non-location finding of the same rule and bucket


def test_fingerprint_parts_cannot_run_together() -> None:
    assert fingerprint("r", "aws", "a|b", "c") != fingerprint("r", "aws", "a", "b|c")
    assert fingerprint("r", "aws", "ab", "c") != fingerprint("r", "aws", "a", "bc")
