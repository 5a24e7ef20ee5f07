"""Aftercare (domain/aftercare.py): a referral chosen from the organisation's places, the
follow-up planned at closing and sent on its day, reopening with a reason; and the promise
of a first contact within N working days (domain/rules.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.intake.domain import jobs
from services.intake.domain.rules import add_working_days, first_contact_deadline
from tests.services.intake.conftest import Desk, state


def test_working_days_skip_weekends_and_dutch_holidays() -> None:
    friday = datetime(2026, 12, 4, 15, tzinfo=UTC)  # 16:00 in Amsterdam
    assert add_working_days(friday, 2).date().isoformat() == "2026-12-08"  # Tuesday
    before_christmas = datetime(2026, 12, 24, 9, tzinfo=UTC)  # Thursday; 25th, 26th off
    assert add_working_days(before_christmas, 2).date().isoformat() == "2026-12-29"
    kings_day_eve = datetime(2027, 4, 26, 9, tzinfo=UTC)  # Monday; Tuesday 27 April is off
    assert add_working_days(kings_day_eve, 1).date().isoformat() == "2027-04-28"
    due, warn = first_contact_deadline(friday, 2)
    assert warn.date().isoformat() == "2026-12-07" and due.hour == friday.hour + 1  # CET


async def test_every_case_has_a_first_contact_deadline_met_by_an_answer(desk: Desk) -> None:
    anna = desk.confidant("c-anna")
    case = await desk.report(preferred_confidant="c-anna")
    seen = await desk.intake.get(f"/v1/cases/{case['case_id']}", headers=anna)
    first = (await seen.json())["deadlines"]["first_contact"]
    assert first["met_at"] is None
    opened = datetime.fromisoformat(first["due"])
    assert opened > datetime.now(UTC) + timedelta(hours=23)  # two working days on
    # The workspace list sorts by it: the case due first comes first.
    later = await desk.report(preferred_confidant="c-anna")
    listed = await desk.intake.get("/v1/cases?sort=first_contact", headers=anna)
    ids = [c["case_id"] for c in (await listed.json())["items"]]
    assert ids.index(case["case_id"]) < ids.index(later["case_id"])
    # The working day before, the confidant is warned; once overdue, the office.
    soon = datetime.fromisoformat(first["due"]) - timedelta(hours=1)
    assert (await jobs.run_all(state(desk.intake), now=soon))["deadline_warnings"] == 2
    overdue = datetime.fromisoformat(first["due"]) + timedelta(days=3)
    ran = await jobs.run_all(state(desk.intake), now=overdue)
    assert ran["deadline_warnings"] == 2  # one case each: overdue, told once
    assert (await jobs.run_all(state(desk.intake), now=overdue))["deadline_warnings"] == 0
    events = [e for e in await desk.events() if e["type"] == "intake.case.deadline_due"]
    assert sorted((e["data"]["deadline"], e["data"]["overdue"]) for e in events) == [
        ("first_contact", False),
        ("first_contact", False),
        ("first_contact", True),
        ("first_contact", True),
    ]
    # A message from the confidant meets it.
    answer = await desk.intake.post(
        f"/v1/cases/{later['case_id']}/messages", headers=anna, json={"text": "Dag, ik bel u."}
    )
    assert answer.status == 201
    seen = await desk.intake.get(f"/v1/cases/{later['case_id']}", headers=anna)
    assert (await seen.json())["deadlines"]["first_contact"]["met_at"] is not None


async def test_closing_with_a_referral_and_a_follow_up_then_reopening(desk: Desk) -> None:
    anna = desk.confidant("c-anna")
    case = await desk.report(preferred_confidant="c-anna")
    path = f"/v1/cases/{case['case_id']}"
    places = await desk.intake.get(f"{path}/referrals?lang=en", headers=anna)
    names = {p["id"]: p["name"] for p in (await places.json())["items"]}
    assert names["company_doctor"] == "Company doctor"
    unknown = await desk.intake.patch(
        path,
        headers=anna,
        json={"status": "closed", "outcome": "referral", "referral": "astrologer"},
    )
    assert unknown.status == 422
    closed = await desk.intake.patch(
        path,
        headers=anna,
        json={
            "status": "closed",
            "outcome": "referral",
            "referral": "company_doctor",
            "follow_up_days": 28,
        },
    )
    assert closed.status == 200, await closed.text()
    follow_up = (await closed.json())["follow_up"]
    assert follow_up["sent"] is False
    # Not yet; then on the day: the reporter is asked how it goes, once.
    intake = state(desk.intake)
    assert (await jobs.run_all(intake))["follow_ups"] == 0
    day = datetime.fromisoformat(follow_up["due"]) + timedelta(minutes=1)
    assert (await jobs.run_all(intake, now=day))["follow_ups"] == 1
    assert (await jobs.run_all(intake, now=day))["follow_ups"] == 0
    messages = await desk.intake.get(f"{path}/messages", headers=anna)
    texts = [m["text"] for m in (await messages.json())["items"]]
    assert len(texts) == 1 and "Hoe gaat het nu met u?" in texts[0]
    events = await desk.events()
    kinds = [e["type"] for e in events]
    assert kinds.count("intake.case.follow_up_due") == 1
    closing = next(e for e in events if e["type"] == "intake.case.closed")
    assert closing["data"]["referral_kind"] == "company_doctor"
    # Reopened with a reason: open again, counted once (the reports keep one case).
    no_reason = await desk.intake.post(f"{path}/reopen", headers=anna, json={})
    assert no_reason.status == 422
    reopened = await desk.intake.post(
        f"{path}/reopen", headers=anna, json={"reason": "De melder belde opnieuw."}
    )
    assert reopened.status == 200, await reopened.text()
    again = await reopened.json()
    assert again["status"] == "in_contact" and again["reopened"] == 1
    twice = await desk.intake.post(f"{path}/reopen", headers=anna, json={"reason": "nog eens"})
    assert twice.status == 409
    stored = await intake.db["cases"].find_one({"_id": case["case_id"]})
    assert stored is not None and "opnieuw" not in str(stored["reopened"])  # sealed


async def test_the_office_keeps_the_organisations_places_to_refer_to(desk: Desk) -> None:
    anna = desk.confidant("c-anna")
    own = [
        {"id": "arbo", "kind": "company_doctor", "name": "Arbo Noord, dr. Visser"},
        {"id": "klachten", "kind": "complaints_committee", "name": "Klachtencommissie Zorggroep"},
    ]
    path = f"/v1/orgs/{desk.org['id']}"
    assert (await desk.intake.patch(path, headers=anna, json={"referrals": own})).status == 403
    wrong = [{"id": "x", "kind": "astrology", "name": "Sterren"}]
    refused = await desk.intake.patch(path, headers=desk.admin, json={"referrals": wrong})
    assert refused.status == 422
    kept = await desk.intake.patch(path, headers=desk.admin, json={"referrals": own})
    assert kept.status == 200, await kept.text()
    case = await desk.report(preferred_confidant="c-anna")
    places = await desk.intake.get(f"/v1/cases/{case['case_id']}/referrals", headers=anna)
    assert [p["name"] for p in (await places.json())["items"]] == [p["name"] for p in own]
    closed = await desk.intake.patch(
        f"/v1/cases/{case['case_id']}",
        headers=anna,
        json={"status": "closed", "outcome": "referral", "referral": "arbo"},
    )
    assert closed.status == 200, await closed.text()
    read = await (await desk.intake.get(f"/v1/cases/{case['case_id']}", headers=anna)).json()
    assert read["referral_to"] == "Arbo Noord, dr. Visser"


async def test_the_office_lists_every_organisations_cases_without_their_content(
    desk: Desk,
) -> None:
    case = await desk.report(preferred_confidant="c-anna")
    every = await desk.intake.get("/v1/cases", headers=desk.admin)
    assert every.status == 200, await every.text()
    [item] = (await every.json())["items"]
    assert item["case_id"] == case["case_id"] and "text" not in item and "contact" not in item
    assert "first_contact" in item["deadlines"]  # what the office watches: overdue promises
    one = await desk.intake.get(f"/v1/cases?org_id={desk.org['id']}", headers=desk.admin)
    assert [c["case_id"] for c in (await one.json())["items"]] == [case["case_id"]]
    other = await desk.intake.get("/v1/cases?org_id=elsewhere", headers=desk.admin)
    assert (await other.json())["items"] == []
