"""A week's work through the front door (nginx, the suite under one address), in a real
browser, and then every link: each URL in every mail sent and each link on every page
reached is opened in a fresh browser and must show what it promised.

The path: the start page leads an employee to their organisation's page; a named report and
a conversation booked; anonymous reports (by the API, through the front door); the confidant
opens the case from the mail, answers; the employee reads it with the code and answers back;
the reminder; the year's report drafted and published and a signal passed on from the
workspace; the organisation's admin reads both from their mails' links."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Browser, Page, expect

from deploy.frontdoor import SERVICES, route_of
from deploy.stack.infra import Infra
from services.booking.calendars.writer import write_pending
from services.booking.state import BOOKING
from services.notify.state import NOTIFY
from tests.browser.conftest import OpenSuite
from tests.browser.setup import (
    PASSWORD,
    bearer,
    make_anna,
    make_org,
    make_staff,
    radicale_calendar,
    send_report,
)
from tests.conftest import StartService
from tests.polling import eventually
from tests.services.booking.conftest import calendar_url
from tests.services.notify.conftest import ANNA, NOTIFY_ENV, Inbox, inbox

__all__ = ["calendar_url", "inbox"]  # fixtures used here
JAN = "jan@example.nl"
HR = "hr@zorggroep-noord.nl"
NOT_FOUND = re.compile("bestaat niet|does not exist")
REMINDERS = {"template": {"$regex": "^reminder"}}  # a day or an hour before, as time allows
VIDEO = "https://meet.jit.si/"  # the video provider: the outside world


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [v for k, v in attrs if tag == "a" and k == "href" and v]


def urls_in(mail: EmailMessage) -> set[str]:
    """Every URL a mail offers: in its text, and as links in its HTML."""
    found: set[str] = set()
    for part in mail.walk():
        if part.get_content_maintype() != "text":
            continue
        body = str(part.get_content())
        found |= {u.rstrip(".,)") for u in re.findall(r"https?://[^\s<>\"']+", body)}
        if part.get_content_subtype() == "html":
            parser = _Hrefs()
            parser.feed(body)
            found |= {h for h in parser.found if h.startswith("http")}
    return found


async def links_on(page: Page) -> dict[str, str]:
    """The page's links as it stands: address and text."""
    pairs: list[list[str]] = await page.eval_on_selector_all(
        "a[href]", "as => as.map(a => [a.href, (a.textContent || '').trim()])"
    )
    return {href: text for href, text in pairs}


async def log_in_as(page: Page, username: str) -> None:
    """Log in on the form the page shows, in its language (a link may say ?lang=en)."""
    en = "lang=en" in page.url
    await page.get_by_label("User name" if en else "Gebruikersnaam").fill(username)
    await page.get_by_label("Password" if en else "Wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Log in" if en else "Inloggen").click()


async def test_a_week_through_the_front_door_and_every_link_opens_what_it_says(
    open_suite: OpenSuite,
    token: Callable[..., str],
    browser: Browser,
    infra: Infra,
    inbox: Inbox,
    calendar_url: str,
) -> None:
    suite = await open_suite(
        notify={**NOTIFY_ENV, "NOTIFY_SMTP_PORT": str(inbox.port)},
        reporting={"REPORTING_K": "3", "REPORTING_MIN_CASES": "3"},
    )
    org = await make_org(suite.intake, token, departments=["Zorg", "Staf"])
    for account in (
        {"username": "anna", "role": "confidant", "confidant_id": "c-anna", "email": ANNA},
        {"username": "hr-noord", "role": "org_admin", "org_id": org["id"], "email": HR},
    ):
        await make_staff(suite.intake, token, **account)
    await make_anna(
        suite.booking,
        token,
        org["id"],
        modes=["online"],
        calendar=radicale_calendar(infra.caldav_url, calendar_url),
    )
    seen: dict[str, str] = {}  # every link on every page reached: address -> its text

    async def look(page: Page) -> None:
        seen.update(await links_on(page))

    # The employee starts at the one address and finds their organisation's page.
    jan = await browser.new_page()
    await jan.goto(suite.url)
    await look(jan)
    await jan.get_by_role("textbox", name="Organisatie").fill("zorggroep-noord")
    await jan.get_by_role("button", name="Naar de meldpagina").click()
    assert jan.url == suite.at("/o/zorggroep-noord")
    await look(jan)
    code = await send_report(jan, "Jan", JAN)
    await look(jan)
    await jan.get_by_role("checkbox", name="Ik heb mijn code bewaard").check()
    await jan.get_by_role("link", name="Plan een gesprek met de vertrouwenspersoon").click()
    await jan.locator("#days button").first.click()
    await jan.locator("#times button").first.click()
    await jan.get_by_role("button", name="Gesprek vastleggen").click()
    await expect(jan.get_by_role("heading", name="Uw gesprek is vastgelegd")).to_be_visible()
    assert jan.url.startswith(suite.at("/book"))
    await look(jan)

    # More reports from the same department, by the API through the front door.
    async with suite.intake.session.post(
        suite.at("/api/intake/v1/cases"),
        json={"organisation": "zorggroep-noord", "category": "pesten", "anonymous": True},
    ) as answer:
        assert answer.status == 201, await answer.text()
        by_api = [(await answer.json())["case_id"]]
    for _ in range(3):
        answer = await suite.intake.post(
            "/v1/cases",
            json={
                "organisation": "zorggroep-noord",
                "category": "pesten",
                "anonymous": True,
                "department": "Zorg",
            },
        )
        assert answer.status == 201
        by_api.append((await answer.json())["case_id"])

    # The confidant opens the case from the mail, and answers.
    def mail(address: str, words: str) -> EmailMessage:
        return inbox.with_subject(address, words)[0].message

    async def assigned() -> bool:
        return len(inbox.with_subject(ANNA, "Nieuwe melding toegewezen")) >= 5

    await eventually(assigned)
    cases = await (
        await suite.intake.get(
            "/v1/cases",
            headers=bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna")),
        )
    ).json()
    named = next(c for c in cases["items"] if c["case_id"] not in by_api)
    new_case = next(
        m.message
        for m in inbox.with_subject(ANNA, "Nieuwe melding toegewezen")
        if named["reference"] in str(m.message["Subject"])
    )
    [link] = [u for u in urls_in(new_case) if "/staff/cases/" in u]
    anna = await browser.new_page()
    await anna.goto(link)
    await log_in_as(anna, "anna")
    await expect(anna.locator("#one-title")).to_have_text(named["reference"])
    await anna.get_by_label("Bericht aan de melder").fill("Tot donderdag, Jan.")
    await anna.get_by_role("button", name="Versturen").click()
    await expect(anna.get_by_text("Tot donderdag, Jan.")).to_be_visible()
    await look(anna)

    # The employee is told, comes back with the code, reads and answers.
    async def told() -> bool:
        return bool(inbox.with_subject(JAN, "nieuw bericht"))

    await eventually(told)
    [back_link] = [u for u in urls_in(mail(JAN, "nieuw bericht")) if route_of(urlsplit(u).path)]
    back = await browser.new_page()
    await back.goto(back_link)
    await back.get_by_label("Uw meldingscode").fill(code)
    await back.get_by_role("button", name="Openen").click()
    await expect(back.get_by_text("Tot donderdag, Jan.")).to_be_visible()
    await back.get_by_label("Uw bericht").fill("Dank u, tot dan.")
    await back.get_by_role("button", name="Versturen").click()
    await expect(back.get_by_text("Dank u, tot dan.")).to_be_visible()
    await look(back)

    async def answered() -> bool:
        return bool(inbox.with_subject(ANNA, "Nieuw bericht bij melding"))

    await eventually(answered)
    assert named["reference"] in str(mail(ANNA, "Nieuw bericht bij melding")["Subject"])

    # The day before: the reminder.
    booking_app, notify_app = suite.booking.app, suite.notify.app
    assert booking_app is not None and notify_app is not None
    await write_pending(booking_app[BOOKING])
    deliveries = notify_app[NOTIFY].db["deliveries"]

    async def planned() -> bool:
        return bool(await deliveries.count_documents(REMINDERS))

    await eventually(planned)
    await deliveries.update_many(REMINDERS, {"$set": {"due_at": datetime.now(UTC)}})

    async def reminded() -> bool:
        return bool(inbox.with_subject(JAN, "Herinnering"))

    await eventually(reminded)

    # The year's report and a signal, from the workspace.
    anna.on("dialog", lambda dialog: dialog.accept())  # "Publish?": yes
    await anna.goto(suite.at("/staff"))
    await anna.get_by_role("link", name="Rapportages en signalen per organisatie").click()
    await expect(anna).to_have_url(suite.at("/reports"))  # the token left the address
    await anna.get_by_label("Jaar").fill(str(datetime.now(UTC).year))
    await anna.get_by_role("button", name="Concept maken").click()
    await expect(anna.locator("#report-list li").first).to_contain_text("concept")
    await anna.locator("#report-list li").first.get_by_role("button", name="Publiceren").click()
    await expect(anna.locator("#report-list li").first).to_contain_text("gepubliceerd")
    await anna.get_by_role("button", name="Signalen zoeken").click()
    signal = anna.locator("#signal-list li").filter(has_text="voorgesteld").first
    await signal.get_by_label("Toelichting voor de organisatie").fill("Let op de werkdruk.")
    await signal.get_by_role("button", name="Doorgeven").click()
    await expect(anna.locator("#signal-list")).to_contain_text("Let op de werkdruk.")
    await look(anna)

    # The organisation's admin reads both, from the links in their mails.
    async def employer_told() -> bool:
        return bool(inbox.with_subject(HR, "rapportage") and inbox.with_subject(HR, "Signaal"))

    await eventually(employer_told)
    hr = await browser.new_page()
    [report_link] = urls_in(mail(HR, "rapportage"))
    await hr.goto(report_link)
    await log_in_as(hr, "hr-noord")
    await expect(hr.locator("main")).to_contain_text(str(datetime.now(UTC).year))
    await expect(hr.locator("main")).to_contain_text("Let op de werkdruk.")
    await expect(hr).to_have_url(suite.at("/org"))
    # Named, dated, and saying what a signal is about; nothing about a single case.
    await expect(hr.get_by_role("heading", level=1)).to_have_text(
        "Zorggroep Noord: Rapportages van de vertrouwenspersoon"
    )
    await expect(hr.locator("#reports")).to_contain_text("gepubliceerd op")
    await expect(hr.locator("#signals")).to_contain_text(
        re.compile(r"Meer meldingen over \w|Meerdere meldingen uit de afdeling (Zorg|Staf)")
    )
    assert "Tot donderdag" not in await hr.locator("main").inner_text()
    # The organisation's own connection, through notify's API behind the same front door.
    await hr.get_by_label("Adres (https://…)").fill("https://hooks.zorggroep-noord.example/vp")
    await hr.get_by_role("button", name="Koppeling toevoegen").click()
    await expect(hr.locator("#secret")).to_contain_text(
        "Het geheim om berichten mee te controleren"
    )
    await expect(hr.locator("#webhooks")).to_contain_text(
        "https://hooks.zorggroep-noord.example/vp"
    )
    hooks = await suite.notify.get(
        f"/v1/orgs/{org['id']}/webhooks", headers=bearer(token("admin", "notify"))
    )
    assert [w["url"] for w in (await hooks.json())["items"]] == [
        "https://hooks.zorggroep-noord.example/vp"
    ]
    await look(hr)
    await hr.get_by_role(
        "button", name="Verwijderen: https://hooks.zorggroep-noord.example/vp"
    ).click()
    await expect(hr.locator("#webhooks")).to_contain_text("Nog geen koppelingen.")

    # Every mail links into the suite, by its one address, and carries no word of a case.
    from_mails: set[str] = set()
    for received in inbox.received:
        message = received.message
        assert "Tot donderdag" not in message.as_string()
        about_a_case = re.search("melding|bericht bij", str(message["Subject"]))
        if received.recipients == [ANNA] and about_a_case:
            assert re.search(r"VP-\d{4}-", str(message["Subject"])), message["Subject"]
        from_mails |= {u for u in urls_in(message) if not u.startswith(VIDEO)}
    assert from_mails and all(u.startswith(suite.url) for u in from_mails), from_mails

    # Now open every one of them, and every link the pages offered, in a fresh browser.
    offered = {
        u: t
        for u, t in seen.items()
        if u.startswith(("http://", "https://")) and not u.startswith(VIDEO)
    }
    outside = {u for u in offered if not u.startswith(suite.url)}
    assert not outside, f"links out of the suite: {outside}"
    fresh = await browser.new_context()
    checked: list[str] = []
    for url in sorted(from_mails | set(offered)):
        path = urlsplit(url).path
        assert route_of(path), f"{url}: the front door does not route it"
        page = await fresh.new_page()
        opened = await page.goto(url)
        assert opened is not None and opened.status == 200, (url, opened and opened.status)
        await expect(page.locator("h1")).to_be_visible()
        assert not NOT_FOUND.search(await page.locator("h1").inner_text()), url
        await _shows_what_it_promised(page, path, named, org)
        checked.append(url)
        await page.close()
    # All the suite's pages were among them: the mails' (a case, the code page, the log-in,
    # the agenda) and the pages' own (start, report, booking, reports, agenda, languages).
    paths = {urlsplit(u).path for u in checked}
    assert {"/case", "/staff", "/agenda", "/book", "/reports", "/staff/agenda"} <= paths, paths
    assert any(p.startswith("/staff/cases/") for p in paths)
    assert any(p.startswith("/o/") for p in paths)
    assert any(urlsplit(u).query == "lang=en" for u in checked)
    await fresh.close()


async def _shows_what_it_promised(
    page: Page, path: str, case: dict[str, Any], org: dict[str, Any]
) -> None:
    """What each kind of link says it opens, it opens (after logging in where that is asked)."""
    if path.startswith("/staff/cases/"):
        await log_in_as(page, "anna")
        case_id = path.rsplit("/", 1)[1]
        if case_id == case["case_id"]:
            await expect(page.locator("#one-title")).to_have_text(case["reference"])
        else:
            await expect(page.locator("#one-title")).to_have_text(re.compile(r"^VP-\d{4}-"))
    elif path == "/case":
        await expect(page.locator("#case-code")).to_be_editable()
    elif path == "/agenda":
        await log_in_as(page, "anna")
        await expect(page.locator("#appointments")).to_be_visible()  # booking's agenda
    elif path == "/staff":
        await expect(page.locator("#username")).to_be_editable()
    elif path.startswith("/o/"):
        await expect(page.locator("body")).to_contain_text(org["name"])
    elif path == "/book":
        await expect(page.locator("main")).to_be_visible()
    else:
        await expect(page.locator("main")).to_be_visible()


async def test_every_page_a_service_serves_is_routed_to_it_by_the_front_door(
    start_service: StartService,
) -> None:
    """A page added to a service without its route in deploy/frontdoor.py fails here."""
    own = ("/v1/", "/healthz", "/readyz", "/metrics", "/openapi")
    pages: list[tuple[str, str]] = []
    for name in SERVICES:
        app = (await start_service(name)).app
        assert app is not None
        for resource in app.router.resources():
            info = resource.get_info()
            # A file under a static folder stands for the folder ("prefix" has no slash).
            path = str(info.get("path") or info.get("formatter") or f"{info['prefix']}/x.js")
            if not path.startswith(own):
                pages.append((name, re.sub(r"\{[^}]+\}", "x", path)))
    assert ("booking", "/staff/agenda") in pages and ("intake", "/") in pages
    for name, path in pages:
        expected = "intake" if path.startswith("/static/common") else name
        assert route_of(path) == expected, (name, path)
        assert route_of(f"/api/{name}/v1/anything") == name
    assert route_of("/nothing-here") is None
