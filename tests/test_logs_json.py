"""``--log-format json`` (python-json-logger underneath): one object a record with the fields a
log pipeline indexes, secrets masked in every field, an error as one line."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from residency_audit.logs import configure_logging

KEY = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example access key id: masked wherever it is


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    configure_logging("json", 1)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)
    yield out
    configure_logging("text", 0)


def _records(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_record_is_time_level_logger_message_then_its_fields(lines: io.StringIO) -> None:
    logging.getLogger("residency_audit.scan").info(
        "scope %s read",
        "111122223333",
        extra={"event": "scope.done", "buckets": 3, "seconds": 1.5, "regions": {"b", "a"}},
    )
    (doc,) = _records(lines)
    assert list(doc) == [
        "time",
        "level",
        "logger",
        "message",
        "event",
        "buckets",
        "seconds",
        "regions",
    ]
    assert doc["level"] == "info" and doc["logger"] == "residency_audit.scan"
    assert doc["message"] == "scope 111122223333 read"
    assert doc["buckets"] == 3 and doc["seconds"] == 1.5 and doc["regions"] == ["a", "b"]
    when = datetime.fromisoformat(str(doc["time"]))
    assert when.utcoffset() == timedelta(0)


def test_secrets_are_masked_in_the_message_the_fields_and_the_error(lines: io.StringIO) -> None:
    log = logging.getLogger("residency_audit.aws")
    try:
        raise PermissionError(f"denied for {KEY}")
    except PermissionError:
        log.exception("read failed for %s", KEY, extra={"detail": f"key {KEY}", "ids": [KEY]})
    (doc,) = _records(lines)
    assert KEY not in lines.getvalue()
    assert doc["error"] == "PermissionError: denied for ***"  # one line, no traceback
    assert "Traceback" not in lines.getvalue() and "exc_info" not in doc


def test_an_extra_cannot_pass_for_the_records_own_fields(lines: io.StringIO) -> None:
    logging.getLogger("residency_audit.t").warning(
        "real", extra={"level": "info", "logger": "forged", "error": f"quoted {KEY}"}
    )
    (doc,) = _records(lines)
    assert (doc["level"], doc["logger"], doc["message"]) == ("warning", "residency_audit.t", "real")
    assert doc["error"] == "quoted ***"


def test_c1_and_bidi_characters_are_escaped_and_the_text_survives(lines: io.StringIO) -> None:
    logging.getLogger("residency_audit.t").warning("bucket %s", "b\x9b31m\u202egpj.exe")
    raw = lines.getvalue()
    assert "\x9b" not in raw and "\u202e" not in raw and raw.count("\n") == 1
    assert _records(lines)[0]["message"] == "bucket b\x9b31m\u202egpj.exe"


def test_a_run_logging_text_never_imports_the_json_library() -> None:
    probe = (
        "import sys; from residency_audit.logs import configure_logging;"
        "configure_logging('text', 2); print('pythonjsonlogger' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
