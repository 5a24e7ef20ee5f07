from __future__ import annotations

import json
import logging

from shared.log import JsonFormatter


def record(msg: str, **extra: object) -> logging.LogRecord:
    rec = logging.makeLogRecord({"name": "t", "levelno": 20, "levelname": "INFO", "msg": msg})
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_lines_are_json_with_service_and_extras() -> None:
    line = json.loads(JsonFormatter("intake").format(record("hello", case_id="c1")))
    assert line["service"] == "intake" and line["msg"] == "hello" and line["case_id"] == "c1"


def test_sensitive_extras_are_redacted() -> None:
    line = json.loads(
        JsonFormatter("intake").format(
            record(
                "x", email="jan@example.nl", phone="0612345678", text="mijn verhaal", case_id="c1"
            )
        )
    )
    assert line["email"] == line["phone"] == line["text"] == "[redacted]"
    assert "jan@example.nl" not in json.dumps(line)


def test_exception_messages_are_left_out() -> None:
    phone = "06-" + "12345678"
    try:
        raise ValueError(f"Jan de Vries, {phone}")
    except ValueError:
        rec = record("failed")
        import sys

        rec.exc_info = sys.exc_info()
    out = JsonFormatter("intake").format(rec)
    assert "ValueError" in out and "06-12345678" not in out
