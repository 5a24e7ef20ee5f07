"""JSON as it crosses the wire: what goes out or comes in (an answer, a view, another API's
body), never a stored document (those are each service's TypedDicts in ``store/documents.py``).
Free of HTTP, so domain code may build it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

Json = dict[str, Any]


def jsonable(value: Any) -> Any:
    """Stored data for a JSON answer: datetimes (and dates) as ISO 8601, nested."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
