"""What goes out: the mails from their templates, the invitation, and the webhooks'
signatures and addresses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar

from services.notify.channels.invite import invitation
from services.notify.channels.render import MailContext, Templates
from services.notify.channels.webhooks import signature, url_problem, verify
from shared import event_schemas  # noqa: F401
from shared.replies import Appointment
from shared.text import LOCALES

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
START = NOW + timedelta(days=3)


CONTEXT: MailContext = {
    "name": "<script>alert(1)</script>",
    "case_url": "https://vertrouwd.example/case",
    "reference": "abcd1234",
    "link": "https://vertrouwd.example/staff/cases/c1",
    "when": "maandag 30 november 2026 om 10:00",
    "end_time": "11:00",
    "mode": "on_location",
    "video_url": None,
    "address": "Stationsplein 1, Zwolle",
    "lead": "over 1 uur",
    "deadline": "feedback",
    "due": "1 december 2026",
    "evaluate_on": "2027-03-01",
    "org_name": "Zorggroep Noord",
    "kind": "yearly",
    "period_from": "2026-01-01",
    "period_to": "2026-12-31",
    "error": "unauthorized",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_template_renders_in_both_languages_and_escapes_html(locale: Any) -> None:
    templates = Templates("Firma", {"nl": "Voet", "en": "Foot"})
    names = templates.names()
    assert len(names) == 20
    for name in names:
        mail = templates.render(name, locale, CONTEXT)
        assert mail.subject and "\n" not in mail.subject, name
        assert ("Voet" if locale == "nl" else "Foot") in mail.text
        assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html, name
        assert f'<html lang="{locale}">' in mail.html
    due = templates.render("deadline_due", locale, {**CONTEXT, "deadline": "feedback"})
    said = "de terugkoppeling bij melding" if locale == "nl" else "the feedback in case"
    assert said in due.text


def test_the_invitation_is_valid_icalendar_with_method_uid_and_sequence() -> None:
    appointment: Appointment = {
        "id": "a1",
        "start": START.isoformat(),
        "end": (START + timedelta(hours=1)).isoformat(),
        "mode": "online",
        "sequence": 2,
        "video_url": "https://meet.example/vp-x",
    }
    for method in ("REQUEST", "CANCEL"):
        data = invitation(
            appointment,
            method,
            organizer=("Firma", "noreply@firma.example"),
            attendee="jan@example.nl",
            locale="nl",
            now=START - timedelta(days=1),
        )
        calendar = Calendar.from_ical(data)
        assert str(calendar["method"]) == method
        [vevent] = calendar.walk("VEVENT")
        assert str(vevent["uid"]) == "vertrouwd-a1@vertrouwd"
        assert vevent.decoded("sequence") == 2
        assert vevent.decoded("dtstart") == START
        assert vevent.decoded("dtstamp") == START - timedelta(days=1)  # the sender's clock
        assert str(vevent["status"]) == ("CANCELLED" if method == "CANCEL" else "CONFIRMED")
        assert str(vevent["organizer"]) == "mailto:noreply@firma.example"


def test_signatures_verify_only_with_the_secret_the_body_and_a_fresh_time() -> None:
    body = b'{"type": "reporting.report.ready"}'
    header = signature("whsec_a", 1_700_000_000, body)
    assert verify("whsec_a", header, body, now=1_700_000_010)
    assert not verify("whsec_b", header, body, now=1_700_000_010)
    assert not verify("whsec_a", header, body + b" ", now=1_700_000_010)
    assert not verify("whsec_a", header, body, now=1_700_000_000 + 301)  # a replay
    assert not verify("whsec_a", "garbage", body, now=1_700_000_010)


def test_webhook_urls_must_be_https_without_credentials() -> None:
    assert url_problem("https://hooks.example.org/x", allow_private=False) is None
    assert url_problem("http://hooks.example.org/x", allow_private=False)
    assert url_problem("http://127.0.0.1:9/x", allow_private=True) is None
    assert url_problem("https://user:pw@hooks.example.org/x", allow_private=False)
    assert url_problem("https:///x", allow_private=False)
