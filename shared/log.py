"""Structured (JSON) logging that never carries personal data.

Log lines name things by id: request ids, event ids, case ids. Anything passed as ``extra``
under a key that can hold personal data is replaced before it is written, as a last line of
defence; the first is that code never logs bodies, query strings or free text.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

# Keys whose values may identify a person or hold what they told us.
SENSITIVE_KEYS = frozenset(
    {
        "name",
        "email",
        "e_mail",
        "phone",
        "address",
        "text",
        "message",
        "body",
        "note",
        "notes",
        "password",
        "token",
        "authorization",
        "case_code",
        "code",
        "contact",
        "query",
        "subject",
    }
)
REDACTED = "[redacted]"
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": _message(record),
        }
        # A library's extras are its own (aiohttp's access log passes the client's address
        # as one): only ours are written, and only under keys that hold no personal data.
        ours = record.name.split(".")[0] in OURS
        for key, value in vars(record).items():
            if ours and key not in _STANDARD and not key.startswith("_"):
                line[key] = REDACTED if key.lower() in SENSITIVE_KEYS else value
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type and traceback, not its message: messages can quote input.
            line["exc_type"] = record.exc_info[0].__name__
            line["traceback"] = "".join(traceback.format_tb(record.exc_info[2]))
        return json.dumps(line, default=str)


OURS = ("services", "shared", "deploy", "bench", "tests")
_ADDRESS = re.compile(
    r"(?<![\w.:])(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)(?![\w.:])"
)


def _blank(found: re.Match[str]) -> str:
    text = found.group(0)
    # IPv4, or IPv6 (a "::" or at least five colons): not a clock time like 12:30:45.
    if ":" not in text or "::" in text or text.count(":") >= 5:
        return "[address]"
    return text


def _message(record: logging.LogRecord) -> str:
    """The line's message. A library's message is written without its arguments (aiohttp's
    server says "Error handling request from %s" with the client's address), ours with
    them; in both, anything shaped like an IP address is blanked as a last defence."""
    if record.name.split(".")[0] in OURS or not record.args:
        text = record.getMessage()
    else:
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        try:
            text = str(record.msg) % tuple(REDACTED for _ in args)
        except (TypeError, ValueError):
            text = str(record.msg)
    return _ADDRESS.sub(_blank, text)


def setup_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log would write full paths and query strings; ours writes routes.
    logging.getLogger("aiohttp.access").disabled = True
