"""What many tests set up first, across services: an organisation at intake, Anna and her
type of conversation at booking, a booking request. One place, so that a change to the API
changes one helper."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

Client = TestClient[web.Request, web.Application]
WEEKDAYS = {str(d): [{"start": "09:00", "end": "17:00"}] for d in range(5)}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_org(
    intake: Client,
    token: Callable[..., str],
    *,
    confidant_ids: Iterable[str] = ("c-anna",),
    departments: Iterable[str] = (),
) -> dict[str, Any]:
    """Zorggroep Noord, served by the confidant c-anna (or ``confidant_ids``)."""
    made = await intake.post(
        "/v1/orgs",
        headers=bearer(token("admin", "intake")),
        json={
            "name": "Zorggroep Noord",
            "slug": "zorggroep-noord",
            "departments": list(departments),
            "confidant_ids": list(confidant_ids),
        },
    )
    assert made.status == 201, await made.text()
    org: dict[str, Any] = await made.json()
    return org


def booking(start: datetime, **extra: Any) -> dict[str, Any]:
    """The body that books an online "gesprek" with c-anna at ``start`` (plus ``extra``)."""
    return {
        "confidant_id": "c-anna",
        "type_id": "gesprek",
        "start": start.isoformat(),
        "mode": "online",
        **extra,
    }


async def book(client: Client, headers: dict[str, str], start: datetime, **extra: Any) -> Any:
    """Book (``booking(start, **extra)``) and expect it booked; the appointment."""
    made = await client.post("/v1/appointments", headers=headers, json=booking(start, **extra))
    assert made.status == 201, await made.text()
    return await made.json()


def anna_steps(
    org_id: str,
    modes: Sequence[str] = ("online",),
    calendar: dict[str, Any] | None = None,
    minutes: int = 60,
    **profile: Any,
) -> list[tuple[str, str, dict[str, Any]]]:
    """The office's requests to booking that make Anna (method, path, body): her profile,
    weekday hours, the type "gesprek" (bookable at once) and optionally her calendar."""
    kind = {
        "id": "gesprek",
        "name": {"nl": "Gesprek", "en": "Conversation"},
        "duration_min": minutes,
        "modes": list(modes),
        "min_notice_min": 0,
    }
    steps: list[tuple[str, str, dict[str, Any]]] = [
        (
            "POST",
            "/v1/confidants",
            {"id": "c-anna", "display_name": "Anna", "org_ids": [org_id], **profile},
        ),
        ("PUT", "/v1/confidants/c-anna/hours", {"weekly": WEEKDAYS}),
        ("POST", "/v1/appointment-types", kind),
    ]
    if calendar is not None:
        steps.append(("PUT", "/v1/confidants/c-anna/calendar", calendar))
    return steps


async def make_anna(
    booking: Client,
    token: Callable[..., str],
    org_id: str,
    modes: Sequence[str] = ("online",),
    calendar: dict[str, Any] | None = None,
    **profile: Any,
) -> None:
    """Anna in booking: weekday hours, the type "gesprek" (an hour, bookable at once), and
    optionally a calendar connection and more of her profile (a bio, locations)."""
    admin = bearer(token("admin", "booking"))
    for method, path, body in anna_steps(org_id, modes, calendar, **profile):
        answer = await booking.request(method, path, headers=admin, json=body)
        assert answer.status in (200, 201), await answer.text()


async def phone_call(intake: Client, token: Callable[..., str], slug: str) -> Any:
    """The office registers a report that came by phone (no code: the confidant books for
    it); the answer (the case id and reference)."""
    made = await intake.post(
        "/v1/cases",
        headers=bearer(token("admin", "intake")),
        json={
            "organisation": slug,
            "category": "pesten",
            "channel": "phone",
            "anonymous": True,
            "case_code": False,
            "contact": {"phone": "+31612345678", "preferred_channel": "phone"},
        },
    )
    assert made.status == 201, await made.text()
    return await made.json()
