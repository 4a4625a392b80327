"""ARNs, parsed in one place with botocore's own parser (``botocore.utils.ArnParser``).

``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE``: the buckets' (``arn:aws:s3:::name``, no
region or account), keys', vaults', roles' and DataSync locations' ARNs all go through
:func:`parse`; anything that is not an ARN (a key id, an alias, a bare bucket name) is None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from botocore.utils import ArnParser, InvalidArnException

__all__ = ["Arn", "account_of", "bucket_name", "parse", "principal_account", "region_of"]

_PARSER = ArnParser()
_ACCOUNT = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str  # "" where the service has none (s3, iam)
    account: str  # "" where the resource has none (a bucket)
    resource: str


def parse(text: str) -> Arn | None:
    try:
        parts = _PARSER.parse_arn(text)
    except InvalidArnException:
        return None
    return Arn(**parts)


def region_of(text: str) -> str | None:
    """The region field of an ARN; None when it has none (or is not an ARN)."""
    arn = parse(text)
    return arn.region or None if arn is not None else None


def account_of(text: str) -> str | None:
    """The account field of an ARN; None when it has none (or is not an ARN)."""
    arn = parse(text)
    return arn.account or None if arn is not None else None


def bucket_name(text: str) -> str:
    """``arn:aws:s3:::name`` -> ``name``; a bucket name is itself."""
    arn = parse(text)
    return arn.resource if arn is not None and arn.service == "s3" else text


def principal_account(text: str) -> str | None:
    """The account of an IAM/STS principal ARN (``arn:aws:iam::123456789012:root``)."""
    arn = parse(text)
    if arn is None or arn.service not in ("iam", "sts") or not _ACCOUNT.match(arn.account):
        return None
    return arn.account
