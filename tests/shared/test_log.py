from __future__ import annotations

import json
import logging

from shared.log import JsonFormatter


def record(msg: str, name: str = "services.t", **extra: object) -> logging.LogRecord:
    rec = logging.makeLogRecord({"name": name, "levelno": 20, "levelname": "INFO", "msg": msg})
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


def test_a_librarys_arguments_and_extras_are_not_written() -> None:
    rec = record("Error handling request from %s", name="aiohttp.server", remote="192.0.2.7")
    rec.args = ("192.0.2.7",)
    line = JsonFormatter("intake").format(rec)
    assert "192.0.2.7" not in line
    assert json.loads(line)["msg"] == "Error handling request from [redacted]"


def test_addresses_are_blanked_even_in_our_own_lines() -> None:
    line = json.loads(JsonFormatter("intake").format(record("peer 2001:db8::7 and 192.0.2.7")))
    assert line["msg"] == "peer [address] and [address]"
    kept = json.loads(JsonFormatter("intake").format(record("took 12:30:45, version 1.24")))
    assert kept["msg"] == "took 12:30:45, version 1.24"
