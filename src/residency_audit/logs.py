"""Logging set-up for the CLI: plain or JSON lines on stderr, with secrets masked.

Library modules only log through ``logging``; they never print. Settings and credentials are never
logged on purpose; the filter below is a second line of defence for text that reaches a log from an
SDK's error message (signed URLs, account keys, bearer tokens).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from .redact import mask_secrets

__all__ = ["SecretFilter", "configure_logging"]


class SecretFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_secrets(record.getMessage())
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            doc["error"] = mask_secrets(f"{record.exc_info[0].__name__}: {record.exc_info[1]}")
        return json.dumps(doc, ensure_ascii=False)


def configure_logging(fmt: str, verbosity: int) -> None:
    level = logging.WARNING - 10 * min(verbosity, 2)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(SecretFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # SDK loggers are chatty at INFO and may echo request details
    for noisy in ("botocore", "boto3", "urllib3", "azure", "google", "httpx"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
