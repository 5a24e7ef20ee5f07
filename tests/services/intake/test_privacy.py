"""The raw database and the event stream, read directly and searched for what a reporter
told us. Nothing may be found in plain text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bson import json_util

from shared.event_schemas import AppointmentBooked
from shared.events import new_event
from shared.service import BUS
from tests.polling import eventually
from tests.services.intake.conftest import NAMED, Desk, bearer, state

SECRETS = (
    "Jan de Vries",
    "jan.devries@example.nl",
    "0612345678",
    "612345678",
    "Piet Jansen",
    "kleineert",
    "bedrijfsarts Klaassen",
    "Geheime notitie",
    "Bericht met inhoud",
)


async def test_no_plaintext_personal_data_in_the_database_or_on_the_stream(desk: Desk) -> None:
    case = await desk.report(
        preferred_confidant="c-anna",
        contact={**NAMED["contact"], "phone": "06-12345678"},
    )
    anna = desk.confidant("c-anna")
    url = f"/v1/cases/{case['case_id']}"
    await desk.intake.post(f"{url}/notes", headers=anna, json={"text": "Geheime notitie"})
    await desk.intake.post(
        f"{url}/messages", headers=bearer(case["token"]), json={"text": "Bericht met inhoud"}
    )
    await desk.intake.get(url, headers=anna)
    closed = await desk.intake.patch(
        url,
        headers=anna,
        json={"status": "closed", "outcome": "referral", "referral_to": "bedrijfsarts Klaassen"},
    )
    assert closed.status == 200

    db = state(desk.intake).db
    dump = ""
    for name in await db.list_collection_names():
        docs = await db[name].find({}).to_list(10_000)
        dump += json_util.dumps(docs)
    assert case["case_id"] in dump  # we did read the right database
    for secret in SECRETS:
        assert secret.lower() not in dump.lower(), f"{secret!r} found in the database"
    assert case["case_code"] not in dump

    events = await desk.events()
    assert len(events) >= 5
    raw = json.dumps(events)
    for secret in (*SECRETS, case["case_code"]):
        assert secret.lower() not in raw.lower(), f"{secret!r} found on the stream"


async def test_the_timeline_shows_appointments_to_reporter_and_confidant_only(desk: Desk) -> None:
    case = await desk.report(preferred_confidant="c-anna")
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert desk.intake.app is not None
    await desk.intake.app[BUS].publish(
        new_event(
            AppointmentBooked,
            {
                "appointment_id": "ap-1",
                "case_id": case["case_id"],
                "confidant_id": "c-anna",
                "starts_at": start,
                "ends_at": start + timedelta(hours=1),
                "mode": "online",
            },
            source="booking",
            org_id=desk.org["id"],
        )
    )
    url = f"/v1/cases/{case['case_id']}/timeline"

    async def arrived() -> bool:
        body = await (await desk.intake.get(url, headers=desk.confidant("c-anna"))).json()
        return len(body["items"]) == 1

    await eventually(arrived)
    mine = await (await desk.intake.get(url, headers=bearer(case["token"]))).json()
    assert [(e["appointment_id"], e["starts_at"], e["mode"]) for e in mine["items"]] == [
        ("ap-1", "2026-12-01T09:00:00+00:00", "online")
    ]
    assert (await desk.intake.get(url, headers=desk.confidant("c-bram"))).status == 404
    assert (await desk.intake.get(url, headers=desk.admin)).status == 403
