"""The JSON lines of ``--log-format json``: one object a record, through python-json-logger.

Kept apart from :mod:`residency_audit.logs` so that a run logging text never imports it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import pythonjsonlogger.json

from .logs import UNSAFE_CHARS
from .redact import mask_secrets

__all__ = ["JsonFormatter"]

# what every LogRecord has; anything else on a record came as ``extra={...}``
_RECORD_KEYS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def _field(value: Any) -> Any:
    """An ``extra`` value as JSON: numbers, booleans and None as they are, lists of them as
    lists, anything else as masked text (a field may quote an API error)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_field(v) for v in items]
    return mask_secrets(str(value))


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """One object a record: time, level, logger, message, error, and the record's ``extra``
    fields (``event``, ``provider``, ``scope``, counts, durations) at the top level.

    python-json-logger gathers the fields and writes the JSON; we name them, mask them, and log
    an error as its one line (type and message) rather than a traceback."""

    def __init__(self) -> None:
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
            reserved_attrs=sorted(_RECORD_KEYS),
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        message_dict.pop("exc_info", None)  # the traceback: "error" below says it in one line
        message_dict.pop("stack_info", None)
        super().add_fields(log_data, record, message_dict)
        # an ``extra`` of the same name never replaces the record's own
        log_data.update(level=record.levelname, logger=record.name, message=record.message)
        if record.exc_info and record.exc_info[0] is not None:
            error = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
            log_data["error"] = mask_secrets(error)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        time: datetime = log_data.pop("time")
        doc: dict[str, Any] = {
            "time": time.isoformat(),
            "level": str(log_data.pop("level")).lower(),
            "logger": log_data.pop("logger"),
            "message": log_data.pop("message"),  # masked by SecretFilter, which every handler has
        }
        if "error" in log_data:
            doc["error"] = _field(log_data.pop("error"))
        doc.update((key, _field(value)) for key, value in log_data.items())
        return doc

    def jsonify_log_record(self, log_data: dict[str, Any]) -> str:
        # json escapes C0 controls; C1 and bidi characters it would write as they are
        return UNSAFE_CHARS.sub(
            lambda m: f"\\u{ord(m.group()):04x}", super().jsonify_log_record(log_data)
        )
