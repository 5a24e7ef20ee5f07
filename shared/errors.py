"""What went wrong, in the domain's words.

Domain code raises these and knows nothing of HTTP; the error middleware
(``shared.http.errors``) answers each kind with its status, in one place, in the one error
shape. A kind may carry a more precise ``code`` (``too_few_cases``, ``calendar_revoked``)
and the fields that are wrong, so a caller learns what to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "error"

    def __init__(
        self,
        message: str,
        fields: Mapping[str, str] | None = None,
        *,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})
        self.kind = code or type(self).code
        self.retry_after = retry_after  # seconds after which trying again may succeed


class Invalid(DomainError):
    """The input cannot be what it claims: a field, a parameter, a period."""

    code = "invalid"


class NotFound(DomainError):
    """There is no such thing, or not for this caller (the same answer either way)."""

    code = "not_found"


class Conflict(DomainError):
    """The input is well formed, but the state of things refuses it (taken, closed, changed
    meanwhile)."""

    code = "conflict"


class Throttled(DomainError):
    """Too many attempts: wait ``retry_after`` seconds."""

    code = "too_many_requests"


class Unavailable(DomainError):
    """Something this depends on is away; trying again later may succeed."""

    code = "unavailable"


class UpstreamFailed(DomainError):
    """A server of someone else's (a calendar, a mail relay) answered what its protocol does
    not promise."""

    code = "upstream_failed"


def invalid(field: str, message: str) -> Invalid:
    """The one answer to a field of a body or a query parameter that is wrong, naming it."""
    return Invalid("the request has invalid fields", {field: message})


def not_found(what: str) -> NotFound:
    return NotFound(f"{what} was not found")
