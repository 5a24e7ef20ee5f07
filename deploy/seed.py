"""Seed the development stack with a demo organisation and a demo confidant.

Idempotent: run at every ``make run``, it creates what is missing and leaves what is there
(``$setOnInsert``), so data written in an earlier run survives. Until the admin APIs of
intake and booking exist, the demo records are written straight into their databases.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from caldav.davclient import DAVClient
from pymongo import MongoClient

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
# Development log-ins (printed by `make run`); never use these anywhere else.
DEMO_LOGINS = {"admin": "vertrouwd-admin", "demo-confidant": "vertrouwd-demo"}
DEMO_STAFF: dict[str, dict[str, Any]] = {
    "staff-admin": {"username": "admin", "role": "admin", "display_name": "Kantoor"},
    "staff-demo-confidant": {
        "username": "demo-confidant",
        "role": "confidant",
        "display_name": "Demo Vertrouwenspersoon",
        "confidant_id": DEMO_CONFIDANT_ID,
        "bio": "Externe vertrouwenspersoon; luistert, denkt mee en verwijst door.",
    },
}
DEMO_CONFIDANT: dict[str, Any] = {
    "slug": "demo-confidant",
    "display_name": "Demo Vertrouwenspersoon",
    "org_ids": [DEMO_ORG_ID],
    "caldav_user": "demo-confidant",
    "calendar": DEMO_CALENDAR,
    "timezone": "Europe/Amsterdam",
}


def seed(
    mongodb_uri: str, caldav_url: str, caldav_user: tuple[str, str], db_prefix: str = "vertrouwd_"
) -> list[str]:
    """Create the demo records that are missing; return what was created."""
    created: list[str] = []
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
                    "active": True,
                    "password_hash": PasswordHasher().hash(DEMO_LOGINS[str(doc["username"])]),
                },
            )
            for _id, doc in DEMO_STAFF.items()
        ]
        for db, collection, _id, doc in (
            (f"{db_prefix}intake", "organisations", DEMO_ORG_ID, DEMO_ORG),
            (f"{db_prefix}booking", "confidants", DEMO_CONFIDANT_ID, DEMO_CONFIDANT),
            *staff,
        ):
            result = client[db][collection].update_one(
                {"_id": _id}, {"$setOnInsert": {**doc, "created_at": now}}, upsert=True
            )
            if result.upserted_id is not None:
                created.append(f"{collection}/{_id}")
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
                uid="vertrouwd-demo-busy-1",
            )
            created.append(f"calendar/{caldav_user[0]}/{DEMO_CALENDAR}")
    return created
