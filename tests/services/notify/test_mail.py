"""Mails to reporters and confidants, end to end from real intake and booking events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from icalendar import Calendar

from tests.polling import eventually
from tests.services.booking.conftest import next_weekday_at
from tests.services.notify.conftest import ANNA, Inbox, Suite, bearer, quiet

JAN = "jan.devries@example.nl"


def invitation(received: object) -> Calendar:
    """The one .ics attachment of a mail, parsed."""
    [attachment] = [
        a
        for a in received.attachments()  # type: ignore[attr-defined]
        if a.get_filename() in ("uitnodiging.ics", "invitation.ics")
    ]
    return Calendar.from_ical(attachment.get_content())


async def invitation_about(inbox: Inbox, subject: str) -> Calendar:
    """The invitation in the first mail to Jan whose subject says ``subject``, once it came."""

    async def came() -> bool:
        return bool(inbox.with_subject(JAN, subject))

    await eventually(came)
    return invitation(inbox.with_subject(JAN, subject)[0])


async def test_report_confirmed_to_a_named_reporter_in_their_language(
    suite: Suite, inbox: Inbox
) -> None:
    await suite.report()
    await suite.report(anonymous=True, contact=None)  # nobody to write to
    await suite.report(
        locale="en",
        contact={"name": "Sam", "email": "sam@example.org", "preferred_channel": "email"},
    )

    async def both() -> bool:
        return bool(inbox.to(JAN)) and bool(inbox.to("sam@example.org"))

    await eventually(both)
    [dutch] = inbox.to(JAN)
    assert dutch.message["Subject"] == "Uw melding is ontvangen"
    assert dutch.message["To"] == JAN
    assert "Beste Jan de Vries" in dutch.text()
    assert dutch.message["Content-Language"] == "nl"
    html = dutch.message.get_body(("html",))
    assert html is not None and '<html lang="nl">' in html.get_content()
    [english] = inbox.to("sam@example.org")
    assert english.message["Subject"] == "Your report has been received"
    assert "Dear Sam" in english.text()
    assert "Vertrouwenspersonen Noord" in str(english.message["From"])
    # The anonymous reporter gave no address: no confirmation was even planned.
    planned = [d for d in await suite.deliveries() if d["template"] == "case_received"]
    assert len(planned) == 2 and {d["status"] for d in planned} == {"sent"}
    # Anna hears of each of the three cases assigned to her, without a word of content.
    await eventually(lambda: _count(inbox, ANNA, 3))
    assert {r.message["Subject"][:26] for r in inbox.to(ANNA)} == {"Nieuwe melding toegewezen "}


async def test_booking_sends_an_invitation_with_the_calendar_uid_then_updates_and_cancels(
    suite: Suite, inbox: Inbox
) -> None:
    case = await suite.report()
    appointment = await suite.book(case)
    uid = f"vertrouwd-{appointment['id']}@vertrouwd"

    async def booked() -> bool:
        return bool(inbox.with_subject(JAN, "ingepland")) and bool(
            inbox.with_subject(ANNA, "Nieuw gesprek ingepland")
        )

    await eventually(booked)
    [mail] = inbox.with_subject(JAN, "ingepland")
    assert appointment["video_url"] in mail.text()
    calendar = invitation(mail)
    assert str(calendar["method"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == uid
    assert event.decoded("sequence") == 0
    assert event.decoded("dtstart").isoformat() == appointment["start"]
    assert str(event["attendee"]) == f"mailto:{JAN}"
    [for_anna] = inbox.with_subject(ANNA, "Nieuw gesprek ingepland")
    # Her subject names the case by its reference, as the workspace does.
    assert for_anna.message["Subject"].endswith(f"({case['reference']})")
    assert for_anna.attachments() == []  # it is in her own calendar already
    assert "https://vertrouwd.example/" in for_anna.text()

    later = next_weekday_at(14)
    moved = await suite.booking.post(
        f"/v1/appointments/{appointment['id']}/reschedule",
        headers=bearer(case["token"]),
        json={"start": later.isoformat()},
    )
    assert moved.status == 200, await moved.text()

    update = await invitation_about(inbox, "verzet")
    [event] = update.walk("VEVENT")
    assert str(update["method"]) == "REQUEST" and str(event["uid"]) == uid
    assert event.decoded("sequence") == 1
    assert event.decoded("dtstart") == later

    cancelled = await suite.booking.post(
        f"/v1/appointments/{appointment['id']}/cancel", headers=bearer(case["token"])
    )
    assert cancelled.status == 200, await cancelled.text()

    cancel = await invitation_about(inbox, "gaat niet door")
    [event] = cancel.walk("VEVENT")
    assert str(cancel["method"]) == "CANCEL" and str(event["uid"]) == uid
    assert event.decoded("sequence") >= 2 and str(event["status"]) == "CANCELLED"

    # Anna heard of the move and the cancellation too, since the reporter made them.
    async def anna_told() -> bool:
        return bool(inbox.with_subject(ANNA, "verzet")) and bool(
            inbox.with_subject(ANNA, "geannuleerd")
        )

    await eventually(anna_told)
    assert all(
        case["reference"] in mail.message["Subject"]
        for words in ("verzet", "geannuleerd")
        for mail in inbox.with_subject(ANNA, words)
    )


async def _count(inbox: Inbox, address: str, n: int) -> bool:
    return len(inbox.to(address)) >= n


async def test_reminders_are_sent_at_their_time_and_dropped_when_cancelled(
    suite: Suite, inbox: Inbox
) -> None:
    case = await suite.report()
    appointment = await suite.book(case, days_ahead=3)
    n = suite.state()

    async def planned() -> list[dict[str, object]]:
        found = [d for d in await suite.deliveries() if d["template"].startswith("reminder.")]
        return found

    async def two_reminders() -> bool:
        return len(await planned()) == 2

    await eventually(two_reminders)
    reminders = await planned()
    start = appointment["start"]
    assert {d["template"] for d in reminders} == {"reminder.1440", "reminder.60"}
    assert all(d["status"] == "pending" for d in reminders)
    day_before = next(d for d in reminders if d["template"] == "reminder.1440")
    from datetime import datetime

    assert datetime.fromisoformat(str(day_before["due_at"])) == datetime.fromisoformat(
        start
    ) - timedelta(days=1)

    # Time passes (in the database): the day-before reminder becomes due and is sent.
    await n.db["deliveries"].update_one(
        {"_id": day_before["id"]}, {"$set": {"due_at": datetime.now().astimezone()}}
    )

    async def reminded() -> bool:
        return bool(inbox.with_subject(JAN, "Herinnering"))

    await eventually(reminded)
    assert "over 24 uur" in str(inbox.with_subject(JAN, "Herinnering")[0].message["Subject"])

    cancelled = await suite.booking.post(
        f"/v1/appointments/{appointment['id']}/cancel", headers=bearer(case["token"])
    )
    assert cancelled.status == 200

    async def dropped() -> bool:
        found = {d["template"]: d["status"] for d in await planned()}
        return found == {"reminder.1440": "sent", "reminder.60": "cancelled"}

    await eventually(dropped)
    # Even when its time comes, the cancelled reminder is not sent.
    hour_before = next(d for d in reminders if d["template"] == "reminder.60")
    await n.db["deliveries"].update_one(
        {"_id": hour_before["id"]}, {"$set": {"due_at": datetime.now().astimezone()}}
    )
    await eventually(lambda: _count(inbox, JAN, 4))  # received, booked, reminder, cancelled
    await quiet(suite.notify)  # two sweeps since its time came: it would have gone
    assert len(inbox.with_subject(JAN, "Herinnering")) == 1


async def test_a_reschedule_moves_the_reminders(suite: Suite, inbox: Inbox) -> None:
    case = await suite.report()
    appointment = await suite.book(case, days_ahead=3)
    later = next_weekday_at(15, 4)

    async def reminders() -> dict[str, str]:
        return {
            d["id"]: f"{d['status']} {d['due_at']}"
            for d in await suite.deliveries()
            if d["template"].startswith("reminder.")
        }

    async def first_two() -> bool:
        return len(await reminders()) == 2

    await eventually(first_two)
    moved = await suite.booking.post(
        f"/v1/appointments/{appointment['id']}/reschedule",
        headers=bearer(case["token"]),
        json={"start": later.isoformat()},
    )
    assert moved.status == 200

    async def replaced() -> bool:
        return len(await reminders()) == 4

    await eventually(replaced)
    states = sorted((await reminders()).values())
    expected_due = {
        (later - timedelta(days=1)).isoformat(),
        (later - timedelta(hours=1)).isoformat(),
    }
    pending = {s.split(" ", 1)[1] for s in states if s.startswith("pending")}
    cancelled = [s for s in states if s.startswith("cancelled")]
    assert pending == expected_due and len(cancelled) == 2


async def test_messages_are_announced_never_shown(
    suite: Suite, inbox: Inbox, token: Callable[..., str]
) -> None:
    case = await suite.report()
    anna = bearer(token("confidant", "intake", orgs=[suite.org["id"]], sub="c-anna"))
    secret = "Piet Jansen heeft dit echt gezegd"  # words the inbox fixture looks for, too
    posted = await suite.intake.post(
        f"/v1/cases/{case['case_id']}/messages", headers=anna, json={"text": secret}
    )
    assert posted.status == 201, await posted.text()
    reply = await suite.intake.post(
        f"/v1/cases/{case['case_id']}/messages",
        headers=bearer(case["token"]),
        json={"text": "Dank u, Piet weet hier niets van."},
    )
    assert reply.status == 201, await reply.text()

    async def both_told() -> bool:
        return bool(inbox.with_subject(JAN, "nieuw bericht")) and bool(
            inbox.with_subject(ANNA, "Nieuw bericht bij melding")
        )

    await eventually(both_told)
    [to_jan] = inbox.with_subject(JAN, "nieuw bericht")
    assert "Om uw privacy te beschermen staat het" in to_jan.text()
    [to_anna] = inbox.with_subject(ANNA, "Nieuw bericht bij melding")
    assert f"https://vertrouwd.example/staff/cases/{case['case_id']}" in to_anna.text()
    # The case is named as the confidant knows it: its reference, not an internal id.
    assert case["reference"] in str(to_anna.message["Subject"])
    [assigned] = inbox.with_subject(ANNA, "Nieuwe melding toegewezen")
    assert case["reference"] in str(assigned.message["Subject"])
