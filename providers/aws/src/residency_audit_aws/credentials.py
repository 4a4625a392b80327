"""What a credential failure says: the chain boto3 tried and the command or setting that fixes it,
in one line with no SDK text (the SDK's words go to ``detail``, logged at ``-v``).

The codes are botocore's own: client-side exception class names (``botocore/exceptions.py``) and
the error codes STS answers GetCallerIdentity with when it refuses the signature's credentials.
"""

from __future__ import annotations

from residency_audit.errors import CredentialError

from .client import AwsApiError
from .settings import PartitionSettings

__all__ = ["CONNECT_CODES", "credential_error", "is_credential_failure"]

# no credentials anywhere in the chain, or a named profile/SSO session that holds none
_NOT_FOUND = frozenset(
    {
        "NoCredentialsError",
        "PartialCredentialsError",
        "CredentialRetrievalError",
        "ProfileNotFound",
        "NoAuthTokenError",
    }
)
# credentials found, but refused or no longer valid (STS codes and SSO token failures)
_REFUSED = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "AuthFailure",
        "UnauthorizedSSOTokenError",
        "SSOTokenLoadError",
        "TokenRetrievalError",
    }
)
# botocore's connect-phase failures: the endpoint was never reached (client._CONNECT_ERRORS)
CONNECT_CODES = frozenset(
    {"EndpointConnectionError", "ConnectTimeoutError", "ProxyConnectionError"}
)


def is_credential_failure(code: str) -> bool:
    return code in _NOT_FOUND or code in _REFUSED


def _who(partition: PartitionSettings) -> str:
    return "aws" if partition.name == "aws" else f"aws partition {partition.name}"


def credential_error(
    exc: AwsApiError, partition: PartitionSettings, *, instance_role: bool
) -> CredentialError | None:
    """The CredentialError ``exc`` stands for, or None when it is not about credentials.

    ``instance_role``: whether the chain may ask the instance metadata service (it may not when
    an endpoint or static keys are configured: see client.base_account)."""
    profile = partition.profile
    fix_profile = f"--profile {profile}" if profile else "--profile P"
    setting = (
        f"or fix [providers.aws{_table(partition)}] profile"
        if profile
        else f"or set [providers.aws{_table(partition)}] profile"
    )
    if exc.code in _NOT_FOUND:
        if profile:
            tried = f"profile {profile!r} of ~/.aws/config and ~/.aws/credentials"
        else:
            roles = "container/instance role" if instance_role else "container role"
            tried = f"env AWS_ACCESS_KEY_ID, shared files ~/.aws, SSO, {roles}"
        message = (
            f"{_who(partition)}: no usable credentials found ({exc.code}; tried {tried}); "
            f"run `aws configure {fix_profile}` / `aws sso login {fix_profile}`, {setting}"
        )
    elif exc.code in _REFUSED:
        message = (
            f"{_who(partition)}: the credentials were refused or have expired ({exc.code}); "
            f"renew them with `aws sso login {fix_profile}` or `aws configure {fix_profile}`, "
            f"{setting}"
        )
    else:
        return None
    return CredentialError(message, code=exc.code, detail=exc.message or None)


def _table(partition: PartitionSettings) -> str:
    return "" if partition.name == "aws" else f".partitions.{partition.name}"
