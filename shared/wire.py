"""JSON as it crosses the wire: what goes out or comes in (an answer, a view, another API's
body), never a stored document (those are each service's TypedDicts in ``store/documents.py``);
and the base of what comes in checked (``Body``, ``Moment``). Free of HTTP, so domain code
may take and build it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict

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


class Body(BaseModel):
    """The base of every request body: unknown fields refused, strings stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


EARLIEST, LATEST = 2000, 2100


def in_range(moment: datetime) -> datetime:
    """A moment people can mean here (2000 to 2100): anything else is an error in the
    request, refused before anything is computed from it (a day or a window past year 9999
    cannot even be made)."""
    if not EARLIEST <= moment.year <= LATEST:
        raise ValueError(f"a date from {EARLIEST} to {LATEST}")
    return moment


# A date and time as a request gives it: with its offset, within years people mean.
Moment = Annotated[AwareDatetime, AfterValidator(in_range)]
