"""Masking of secrets in text that may come from an SDK's error message.

Settings and credentials are never put into messages on purpose; this is the second line of
defence for text we did not write (signed URLs, connection strings, bearer tokens) before it
reaches a log, a report or a ticket.
"""

from __future__ import annotations

import re

__all__ = ["mask_secrets"]

_SECRET_PATTERNS = [
    re.compile(
        r"(?i)(AccountKey|SharedAccessSignature|sig|password|secret|token|api[_-]?key)=([^;&\s]+)"
    ),
    re.compile(r"(?i)(authorization:\s*(?:bearer|basic)\s+)(\S+)"),
    re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"),
]


def mask_secrets(text: str) -> str:
    text = _SECRET_PATTERNS[0].sub(lambda m: f"{m.group(1)}=***", text)
    text = _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)}***", text)
    return _SECRET_PATTERNS[2].sub("***", text)
