"""Seed the development stack with a demo organisation and a demo confidant.

Idempotent: run at every ``make run``, it creates what is missing and leaves what is there,
so data written in an earlier run survives. Everything goes through the services' own APIs,
as the firm's office would make it (with an admin token): the organisation, its mailbox and
the log-ins through intake's (reporting learns the organisation's name from intake's event),
the confidant and the appointment types through booking's. Only the confidant's own calendar
is written directly, on the CalDAV server, as the confidant would.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from caldav.davclient import DAVClient

DEMO_SLUG = "demo"
DEMO_CONFIDANT_ID = "demo-confidant"
DEMO_CALENDAR = "werk"

DEMO_ORG: dict[str, Any] = {
    "slug": DEMO_SLUG,
    "name": "Demo Zorg BV",
    "locale": "nl",
    "timezone": "Europe/Amsterdam",
    "departments": ["Zorg", "Facilitair", "Staf"],
    "confidant_ids": [DEMO_CONFIDANT_ID],
    "report_threshold": 5,
    "retention_days": 365,
    # The other ways in the report page shows (the demo's own numbers, reaching nobody).
    "phone_number": "+31 20 123 4567",
    "whatsapp_number": "+31 6 1234 5678",
}
# The demo organisation's mailbox in the embedded Dovecot: mail to it becomes a case.
DEMO_MAILBOX = ("meldpunt@demo.example", "vertrouwd-mailbox")
# Development log-ins (printed by `make run`); never use these anywhere else.
DEMO_LOGINS = {
    "admin": "vertrouwd-admin",
    "demo-confidant": "vertrouwd-demo",
    "demo-hr": "vertrouwd-hr",
}


def demo_staff(org_id: str) -> list[dict[str, Any]]:
    """The demo log-ins (their passwords are DEMO_LOGINS'), with where they get their mail
    (the SMTP sink keeps it; intake seals it like any address)."""
    return [
        {"username": "admin", "role": "admin", "display_name": "Kantoor"},
        {
            "username": "demo-confidant",
            "role": "confidant",
            "display_name": "Demo Vertrouwenspersoon",
            "confidant_id": DEMO_CONFIDANT_ID,
            "bio": DEMO_BIO,
            "email": "vertrouwenspersoon@demo.example",
        },
        {
            "username": "demo-hr",
            "role": "org_admin",
            "display_name": "HR Demo Zorg",
            "org_id": org_id,
            "email": "hr@demo.example",
        },
    ]


DEMO_BIO = {
    "nl": "Externe vertrouwenspersoon; luistert, denkt mee en verwijst door.",
    "en": "External confidant; listens, thinks along and refers you on.",
}
DEMO_TYPES = [
    {
        "id": "gesprek",
        "name": {"nl": "Vertrouwelijk gesprek", "en": "Confidential conversation"},
        "duration_min": 60,
        "modes": ["online", "on_location", "phone", "walk"],
        "buffer_after_min": 15,
        "min_notice_min": 720,
        "horizon_days": 28,
        "interval_min": 30,
        "daily_cap": 5,
    },
    {
        "id": "kennismaking",
        "name": {"nl": "Kort kennismakingsgesprek", "en": "Intake call"},
        "duration_min": 15,
        "modes": ["phone", "online"],
        "min_notice_min": 120,
        "horizon_days": 14,
        "interval_min": 15,
    },
    {
        "id": "organisatie",
        "name": {
            "nl": "Kennismaking met de organisatie",
            "en": "Introduction meeting with an organisation",
        },
        "duration_min": 60,
        "modes": ["on_location", "online"],
        "buffer_before_min": 30,
        "buffer_after_min": 30,
        "min_notice_min": 2880,
        "horizon_days": 90,
        "interval_min": 60,
        "audience": "organisation",  # booked by the organisation's admin, from /org
    },
    {
        "id": "evaluatie",
        "name": {
            "nl": "Evaluatie met de organisatie (werkgever, HR, OR)",
            "en": "Evaluation with the organisation (employer, HR, works council)",
        },
        "duration_min": 90,
        "modes": ["on_location", "online"],
        "buffer_before_min": 30,
        "buffer_after_min": 30,
        "min_notice_min": 2880,
        "horizon_days": 120,
        "interval_min": 60,
        "audience": "organisation",
    },
]


class Api:
    """One service's API, called as the office: JSON in and out, with an admin token."""

    def __init__(self, url: str, token: str) -> None:
        self.base = url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """The status and the answer; a 409 (there already) is an answer, not an error."""
        request = urllib.request.Request(  # noqa: S310 (our own service's URL)
            f"{self.base}{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (ours)
                return int(answer.status), json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            if error.code != 409:
                raise
            return 409, None


def seed_intake(
    intake_url: str, admin_token: str, mailbox: tuple[str, str] | None = None
) -> tuple[str, list[str]]:
    """The demo organisation (with its mailbox) and the demo log-ins, through intake's API;
    the organisation's id, and what was created."""
    api = Api(intake_url, admin_token)
    created: list[str] = []
    _, orgs = api.call("GET", "/v1/orgs?limit=1000")
    found = [o["id"] for o in orgs["items"] if o["slug"] == DEMO_SLUG]
    if found:
        org_id = found[0]
    else:
        _, org = api.call("POST", "/v1/orgs", DEMO_ORG)
        org_id = org["id"]
        created.append(f"organisations/{DEMO_SLUG}")
        if mailbox:
            address, password = mailbox
            box = {"address": address, "username": address, "password": password}
            api.call("PUT", f"/v1/orgs/{org_id}/channels", {"mailbox": box})
            created.append(f"mailbox/{address}")
    for person in demo_staff(org_id):
        login = {**person, "password": DEMO_LOGINS[person["username"]]}
        if api.call("POST", "/v1/staff", login)[0] == 201:
            created.append(f"staff/{person['username']}")
    return org_id, created


def seed_calendar(caldav_url: str, caldav_user: tuple[str, str]) -> list[str]:
    """The demo confidant's own calendar on the CalDAV server, with one appointment of
    their own, so booking has busy time to respect."""
    with DAVClient(url=caldav_url, username=caldav_user[0], password=caldav_user[1]) as dav:
        principal: Any = dav.principal()  # caldav's own annotations are partial
        if any(str(c.url).rstrip("/").endswith(f"/{DEMO_CALENDAR}") for c in principal.calendars()):
            return []
        calendar = principal.make_calendar(name="Werk", cal_id=DEMO_CALENDAR)
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        start = tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)
        calendar.save_event(
            dtstart=start,
            dtend=start + timedelta(hours=2),
            summary="Eigen afspraak",
            uid="demo-busy-1",
        )
    return [f"calendar/{caldav_user[0]}/{DEMO_CALENDAR}"]


def seed_booking(
    booking_url: str,
    admin_token: str,
    caldav_url: str,
    caldav_user: tuple[str, str],
    org_id: str,
) -> list[str]:
    """The demo confidant (hours, a location, the Radicale calendar) and appointment types,
    through booking's API; what exists already answers 409 and is left alone."""
    created: list[str] = []
    api = Api(booking_url, admin_token)

    def call(method: str, path: str, body: Any) -> int:
        return api.call(method, path, body)[0]

    new = call(
        "POST",
        "/v1/confidants",
        {
            "id": DEMO_CONFIDANT_ID,
            "display_name": "Demo Vertrouwenspersoon",
            "languages": ["nl", "en"],
            "org_ids": [org_id],
            "timezone": "Europe/Amsterdam",
            "bio": DEMO_BIO,
            "locations": [
                {
                    "id": "kantoor",
                    "name": "Kantoor Demo Zorg",
                    "address": "Stationsplein 1, Utrecht",
                }
            ],
        },
    )
    if new == 201:
        created.append(f"confidants/{DEMO_CONFIDANT_ID}")
        call(
            "PUT",
            f"/v1/confidants/{DEMO_CONFIDANT_ID}/hours",
            {"weekly": {str(d): [{"start": "09:00", "end": "17:00"}] for d in range(5)}},
        )
        call(
            "PUT",
            f"/v1/confidants/{DEMO_CONFIDANT_ID}/calendar",
            {
                "url": caldav_url,
                "username": caldav_user[0],
                "password": caldav_user[1],
                "booking_calendar": f"{caldav_url.rstrip('/')}/{caldav_user[0]}/{DEMO_CALENDAR}/",
            },
        )
    for kind in DEMO_TYPES:
        if call("POST", "/v1/appointment-types", kind) == 201:
            created.append(f"appointment-types/{kind['id']}")
        else:  # there from an earlier start: brought up to date (a type is the same here)
            call("PUT", f"/v1/appointment-types/{kind['id']}", kind)
    return created
