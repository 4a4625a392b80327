"""Masking of secrets in text that may come from a cloud API's or an SDK's error message.

Settings and credentials are never put into messages on purpose; this is the second line of
defence for text we did not write: an error that quotes the request's headers (the STS session
token, the SigV4 ``Authorization``), a pre-signed or SAS URL, a connection string, a bearer or
OAuth token, a database URL with its password. Every plugin's error type and every store of text
(gaps, unknown reasons, scope errors, coverage notes, logs, tickets, the history) runs it, so there
is one list of what counts as a secret.

What is masked keeps its name (``sig=***``, ``Authorization: ***``), so a reader still sees what
the message was about. Over-masking is preferred to a leak: any long opaque base64 run goes too.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "mask_secrets"]

MASK = "***"

# Names whose value is a secret, in headers, query strings, connection strings, JSON, repr()s and
# config files. Listed rather than suffix-matched so that error codes (ExpiredToken,
# SignatureDoesNotMatch, InvalidClientTokenId) and the words after them stay readable.
_NAMES = (
    r"(?:x-amz-|x-goog-|x-)?(?:security|session|aws_session|access|refresh|id|auth|oauth|sas"
    r"|bearer|api|client)?[_-]?token"
    r"|(?:x-amz-|x-goog-)?signature|sig|(?:x-amz-|x-goog-)?credential"
    r"|account[_-]?key|shared[_-]?access[_-]?key|shared[_-]?access[_-]?signature"
    r"|(?:aws[_-])?secret[_-]?access[_-]?key|(?:client|app|shared)?[_-]?secret"
    r"|private[_-]?key|api[_-]?key|x-api-key|password|passwd|pwd"
    r"|(?:proxy-)?authorization|x-ms-authorization-auxiliary|ocp-apim-subscription-key"
)
_NAME = rf"(?<![\w-])(?:{_NAMES})(?![\w-])"

_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
)
# <SessionToken>...</SessionToken> in an XML error body
_XML = re.compile(rf"(?i)(<({_NAMES})>)[^<]*(</\2>)")
# scheme://user:password@host (postgres, redis, amqp, https with basic credentials...)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@'\"]*:)[^/\s@'\"]+@")
# name = "value" / 'name': b'value' / "name": "value"
_QUOTED = re.compile(rf"""(?ix)(["']?{_NAME}["']?\s*[:=]\s*b?)("[^"\n]*"|'[^'\n]*')""")
# An Authorization header value: an optional scheme, then credentials with optional k=v parts
# (AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...; SharedKey acct:sig; Bearer t)
_AUTHORIZATION = re.compile(
    r"""(?i)((?<![\w-])(?:proxy-)?authorization["']?\s*[:=]\s*)(?!b?["']|\*\*\*)"""
    r"""(?:[A-Za-z][\w-]*\s+)?[^\s"',]+(?:\s*,\s*[A-Za-z-]+=[^\s"',]+)*"""
)
# name=value / name: value up to a delimiter of query strings, connection strings and prose
_PLAIN = re.compile(rf"""(?i)({_NAME}\s*[:=]\s*)(?!\*\*\*)[^\s;&,"'<>(){{}}\[\]]+""")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/-]+=*")
_JWT = re.compile(r"\beyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]*")
_GOOGLE_OAUTH = re.compile(r"\bya29\.[\w.-]+")
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b")
# An Azure account key (64 bytes, base64) or any long opaque run (STS session tokens, signatures)
_AZURE_KEY = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==")
_OPAQUE = re.compile(r"(?<![A-Za-z0-9+/=%_-])[A-Za-z0-9+/%_-]{100,}={0,2}")

_WHOLE = (_JWT, _GOOGLE_OAUTH, _AWS_KEY_ID, _AZURE_KEY, _OPAQUE)


def _keep_xml(match: re.Match[str]) -> str:
    return f"{match.group(1)}{MASK}{match.group(3)}"


def mask_secrets(text: str) -> str:
    """``text`` with every secret it quotes replaced by ``***`` (names and structure kept)."""
    if not text:
        return text
    text = _PEM.sub(MASK, text)
    text = _XML.sub(_keep_xml, text)
    text = _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    text = _QUOTED.sub(lambda m: f"{m.group(1)}{m.group(2)[0]}{MASK}{m.group(2)[0]}", text)
    for pattern in (_AUTHORIZATION, _PLAIN, _BEARER):
        text = pattern.sub(lambda m: f"{m.group(1)}{MASK}", text)
    for pattern in _WHOLE:
        text = pattern.sub(MASK, text)
    return text
