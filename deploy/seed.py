"""Seed the development stack with a demo organisation and a demo confidant.

Idempotent: run at every ``make run``, it creates what is missing and leaves what is there,
so data written in an earlier run survives. Intake's demo records are written into its
database (the organisation and log-ins must exist before anyone can log in); booking's go
through booking's own API, as an office would make them.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from caldav.davclient import DAVClient
from pymongo import MongoClient

from shared.crypto import DataKeys, FieldCipher

DEMO_ORG_ID = "demo-org"
DEMO_CONFIDANT_ID = "demo-confidant"
DEMO_CALENDAR = "werk"

DEMO_ORG: dict[str, Any] = {
    "slug": "demo",
    "name": "Demo Zorg BV",
    "locale": "nl",
    "timezone": "Europe/Amsterdam",
    "departments": ["Zorg", "Facilitair", "Staf"],
    "confidant_ids": [DEMO_CONFIDANT_ID],
    "report_threshold": 5,
    "retention_days": 365,
}
# The demo organisation's mailbox in the embedded Dovecot: mail to it becomes a case.
DEMO_MAILBOX = ("meldpunt@demo.example", "vertrouwd-mailbox")
# Development log-ins (printed by `make run`); never use these anywhere else.
DEMO_LOGINS = {
    "admin": "vertrouwd-admin",
    "demo-confidant": "vertrouwd-demo",
    "demo-hr": "vertrouwd-hr",
}
# Where the demo staff get their mail (the SMTP sink keeps it); sealed like any address.
DEMO_EMAILS = {
    "staff-demo-confidant": "vertrouwenspersoon@demo.example",
    "staff-demo-hr": "hr@demo.example",
}
DEMO_STAFF: dict[str, dict[str, Any]] = {
    "staff-admin": {"username": "admin", "role": "admin", "display_name": "Kantoor"},
    "staff-demo-confidant": {
        "username": "demo-confidant",
        "role": "confidant",
        "display_name": "Demo Vertrouwenspersoon",
        "confidant_id": DEMO_CONFIDANT_ID,
        "bio": {
            "nl": "Externe vertrouwenspersoon; luistert, denkt mee en verwijst door.",
            "en": "External confidant; listens, thinks along and refers you on.",
        },
    },
    "staff-demo-hr": {
        "username": "demo-hr",
        "role": "org_admin",
        "display_name": "HR Demo Zorg",
        "org_id": DEMO_ORG_ID,
        "locale": "nl",
    },
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
    },
]


def seed(
    mongodb_uri: str,
    caldav_url: str,
    caldav_user: tuple[str, str],
    db_prefix: str = "vertrouwd_",
    data_keys: Path | None = None,
    mailbox: tuple[str, str] | None = None,
) -> list[str]:
    """Create the demo records that are missing; return what was created. With intake's
    ``data_keys`` the demo staff get e-mail addresses (sealed), so notify can reach them."""
    created: list[str] = []
    cipher = FieldCipher(DataKeys.load(data_keys)) if data_keys else None
    client: MongoClient[dict[str, object]] = MongoClient(
        mongodb_uri, serverSelectionTimeoutMS=5000, tz_aware=True
    )
    try:
        now = datetime.now(UTC)
        staff = [
            (
                f"{db_prefix}intake",
                "staff",
                _id,
                {
                    **doc,
                    **(
                        {"email": cipher.seal(DEMO_EMAILS[_id], doc_id=_id, field="email")}
                        if cipher and _id in DEMO_EMAILS
                        else {}
                    ),
                    "active": True,
                    "password_hash": PasswordHasher().hash(DEMO_LOGINS[str(doc["username"])]),
                },
            )
            for _id, doc in DEMO_STAFF.items()
        ]
        # Reporting learns an organisation's name from intake's events; the demo one is
        # written here directly, so it is named as well.
        named = {"name": DEMO_ORG["name"], "departments": DEMO_ORG.get("departments", [])}
        for db, collection, _id, doc in (
            (f"{db_prefix}intake", "organisations", DEMO_ORG_ID, DEMO_ORG),
            (f"{db_prefix}reporting", "orgs", DEMO_ORG_ID, named),
            *staff,
        ):
            result = client[db][collection].update_one(
                {"_id": _id}, {"$setOnInsert": {**doc, "created_at": now}}, upsert=True
            )
            if result.upserted_id is not None:
                created.append(f"{collection}/{_id}")
        if mailbox and cipher:
            address, password = mailbox
            sealed = cipher.seal(password, doc_id=DEMO_ORG_ID, field="mailbox.password")
            result = client[f"{db_prefix}intake"]["organisations"].update_one(
                {"_id": DEMO_ORG_ID, "mailbox": {"$exists": False}},
                {
                    "$set": {
                        "mailbox": {"address": address, "username": address, "password": sealed}
                    }
                },
            )
            if result.modified_count:
                created.append(f"mailbox/{address}")
    finally:
        client.close()

    with DAVClient(url=caldav_url, username=caldav_user[0], password=caldav_user[1]) as dav:
        principal: Any = dav.principal()  # caldav's own annotations are partial
        if not any(
            str(c.url).rstrip("/").endswith(f"/{DEMO_CALENDAR}") for c in principal.calendars()
        ):
            calendar = principal.make_calendar(name="Werk", cal_id=DEMO_CALENDAR)
            # One appointment of the confidant's own, so booking has busy time to respect.
            start = (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
            calendar.save_event(
                dtstart=start,
                dtend=start + timedelta(hours=2),
                summary="Eigen afspraak",
                uid="demo-busy-1",
            )
            created.append(f"calendar/{caldav_user[0]}/{DEMO_CALENDAR}")
    return created


def seed_booking(
    booking_url: str, admin_token: str, caldav_url: str, caldav_user: tuple[str, str]
) -> list[str]:
    """The demo confidant (hours, a location, the Radicale calendar) and appointment types,
    through booking's API; what exists already answers 409 and is left alone."""
    created: list[str] = []
    base = booking_url.rstrip("/")

    def call(method: str, path: str, body: dict[str, Any]) -> int:
        request = urllib.request.Request(  # noqa: S310 (our own service's URL)
            f"{base}{path}",
            data=json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (ours)
                return int(answer.status)
        except urllib.error.HTTPError as error:
            if error.code != 409:
                raise
            return 409

    new = call(
        "POST",
        "/v1/confidants",
        {
            "id": DEMO_CONFIDANT_ID,
            "display_name": "Demo Vertrouwenspersoon",
            "languages": ["nl", "en"],
            "org_ids": [DEMO_ORG_ID],
            "timezone": "Europe/Amsterdam",
            "bio": {
                "nl": "Externe vertrouwenspersoon; luistert, denkt mee en verwijst door.",
                "en": "External confidant; listens, thinks along and refers you on.",
            },
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
    return created
