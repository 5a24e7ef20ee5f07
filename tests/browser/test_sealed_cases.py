"""A case sealed to its own key, worked on in Chromium end to end (issue 26): the site's
form makes the case code in the reporter's browser; the confidant's workspace unlocks her
key with her password, opens the report, and seals her answer and her note; the reporter
comes back with the code and reads the answer, opened in their browser. The database holds
none of the words, and a reload without the password opens nothing."""

from __future__ import annotations

import base64
from collections.abc import Callable

import bson
import pytest
from playwright.async_api import Browser, Page, expect

from services.intake.store.collections import CASES, MESSAGES, NOTES
from shared import envelope
from tests.browser.setup import bearer, first_log_in, log_in, make_anna_login, make_org
from tests.conftest import StartService
from tests.polling import eventually
from tests.services.intake.conftest import NAMED, Client, state
from tests.services.intake.test_accounts import token_of
from tests.services.intake.test_keys import made_in_the_browser, pair_of

REPORT = "SLEUTEL-7731 de planner schuift mijn diensten als straf"
ANSWER = "ANTWOORD-5520 zullen we dinsdag bellen?"
NOTE = "NOTITIE-9043 rooster opvragen bij HR"
PASSWORD = "een lang genoeg wachtwoord"
REPLY = "WEERWOORD-3318 dinsdag is goed"


async def sealing_intake(
    start_service: StartService, firm: envelope.KeyPair, *, certifying: bool = False
) -> Client:
    """Booking, and intake sealing to ``firm``'s escrow key (and asking its certificates)."""
    booking = await start_service("booking")
    settings = {"INTAKE_ESCROW_PUBLIC_KEY": base64.b64encode(firm.public).decode()}
    if certifying:
        signing = envelope.signing_public(firm.private)
        settings["INTAKE_FIRM_SIGNING_KEY"] = base64.b64encode(signing).decode()
    return await start_service("intake", INTAKE_BOOKING_URL=str(booking.make_url("/")), **settings)


async def test_a_report_answer_and_note_are_opened_only_in_the_browsers(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    firm = envelope.KeyPair.generate()
    intake = await sealing_intake(start_service, firm)
    await make_org(intake, token)
    await make_anna_login(intake, token)

    # Anna's first log-in makes her keys (the kit typed back).
    staff = await browser.new_page()
    await first_log_in(staff, intake)

    # A report through the site: the code is made in the reporter's browser.
    site = await browser.new_page()
    await site.goto(str(intake.make_url("/o/zorggroep-noord")))
    await site.get_by_label("Waar gaat het over?").select_option("pesten")
    await site.get_by_label("Wat is er gebeurd?").fill(REPORT)
    await site.get_by_role("button", name="Melding versturen").click()
    await expect(site.locator("#case-code")).to_be_visible()
    code = (await site.locator("#case-code").text_content() or "").strip()
    stored = await state(intake).db[CASES].find_one({})
    assert stored is not None and "vault" in stored and "text" not in stored
    assert stored["code_hash"] == envelope.code_keys(code).lookup.hex()

    # A reload keeps the token, not the key: Anna is asked to log in again.
    await staff.reload()
    await expect(staff.get_by_role("alert")).to_contain_text("opnieuw in met uw wachtwoord")
    await log_in(staff, intake, "anna")
    # The list is searched in memory, by what the sealed reports say (opened here).
    await expect(staff.get_by_role("heading", name="Mijn meldingen")).to_be_visible()
    await staff.get_by_label("Zoeken op kenmerk of woorden uit de melding").fill("planner schuift")
    await expect(staff.locator("#cases button")).to_have_count(1)
    await staff.get_by_label("Zoeken op kenmerk of woorden uit de melding").fill(
        "niet in de melding"
    )
    await expect(staff.locator("#cases button")).to_have_count(0)
    await staff.get_by_label("Zoeken op kenmerk of woorden uit de melding").fill("")
    await staff.locator("#cases button").first.click()
    await expect(staff.locator("#report-text")).to_have_text(REPORT)
    await staff.get_by_label("Bericht aan de melder").fill(ANSWER)
    await staff.get_by_role("button", name="Versturen").click()
    await expect(staff.locator("#messages")).to_contain_text(ANSWER)
    await staff.get_by_label("Nieuwe notitie").fill(NOTE)
    await staff.get_by_role("button", name="Notitie bewaren").click()
    await expect(staff.locator("#notes")).to_contain_text(NOTE)

    # The reporter comes back with the code; it derives their key here, and opens the answer.
    back = await browser.new_page()
    await back.goto(str(intake.make_url("/case")))
    await back.get_by_label("Uw meldingscode").fill(code.lower())
    await back.get_by_role("button", name="Openen").click()
    await expect(back.locator("#messages")).to_contain_text(ANSWER)
    await back.get_by_label("Uw bericht").fill(REPLY)
    await back.get_by_role("button", name="Versturen").click()
    await expect(back.locator("#messages")).to_contain_text(REPLY)
    await staff.locator("#cases button").first.click()
    await expect(staff.locator("#messages")).to_contain_text(REPLY)

    db = state(intake).db
    dump = b"".join(
        [bson.encode(doc) for c in (CASES, MESSAGES, NOTES) async for doc in db[c].find({})]
    )
    for marker in ("SLEUTEL-7731", "ANTWOORD-5520", "NOTITIE-9043", "WEERWOORD-3318"):
        assert marker.encode() not in dump, marker
    assert code.encode() not in dump and code.replace("-", "").encode() not in dump
    # Sealed, not lost: the firm's escrow key opens the case's, and that the words.
    case_key = envelope.KeyPair(
        stored["vault"]["public"], envelope.open_sealed(firm, stored["vault"]["wraps"]["escrow"])
    )
    messages = await db[MESSAGES].find({}).sort("created_at", 1).to_list(None)
    opened = [envelope.open_sealed(case_key, doc["vault"]["sealed"]) for doc in messages]
    # Anna's answer carries her signature, made in her browser with her message key.
    anna = await db["staff_keys"].find_one({"_id": "c-anna"})
    assert anna is not None and messages[0]["vault"]["signed"] is True
    assert envelope.signed_message(anna["message_key"], stored["_id"], opened[0]) == ANSWER
    assert "signed" not in messages[1]["vault"] and opened[1].decode() == REPLY


async def test_a_case_the_office_handed_over_is_sealed_on_at_the_next_log_in(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    """Anna's workspace, at her log-in, seals the key of a case the office gave to Bram on
    to Bram's key, having checked the firm's certificate on it; an uncertified key gets
    nothing."""
    firm = envelope.KeyPair.generate()
    intake = await sealing_intake(start_service, firm, certifying=True)
    org = await make_org(intake, token, confidant_ids=("c-anna", "c-bram", "c-cor"))
    await make_anna_login(intake, token)
    admin = bearer(token("admin", "intake"))
    staff = await browser.new_page()
    await first_log_in(staff, intake)

    pairs: dict[str, envelope.KeyPair] = {}
    for who in ("c-anna", "c-bram", "c-cor"):
        if who != "c-anna":  # (Bram's and Cor's keys, as their browsers would make them)
            body, recovery = made_in_the_browser(PASSWORD, firm)
            headers = bearer(token("confidant", "intake", orgs=[org["id"]], sub=who))
            assert (await intake.put("/v1/me/keys", headers=headers, json=body)).status == 201
            pairs[who] = pair_of(body, recovery)
        if who == "c-cor":
            continue  # Cor's key is not certified
        kept = await (await intake.get(f"/v1/keys/{who}", headers=admin)).json()
        signature = envelope.certify(
            firm.private,
            who,
            base64.b64decode(kept["public_key"]),
            base64.b64decode(kept["message_key"]),
        )
        certified = await intake.put(
            f"/v1/keys/{who}/certificate",
            headers=admin,
            json={"certificate": base64.b64encode(signature).decode()},
        )
        assert certified.status == 200, await certified.text()

    cases = {}
    for to in ("c-bram", "c-cor"):
        made = await intake.post(
            "/v1/cases",
            json={
                **NAMED,
                "organisation": org["slug"],
                "department": None,
                "preferred_confidant": "c-anna",
            },
        )
        cases[to] = (await made.json())["case_id"]
        moved = await intake.post(
            f"/v1/cases/{cases[to]}/assign", headers=admin, json={"confidant_id": to}
        )
        assert moved.status == 200, await moved.text()

    again = await browser.new_page()
    await log_in(again, intake, "anna")
    await expect(again.get_by_role("heading", name="Mijn meldingen")).to_be_visible()
    db = state(intake).db

    async def sealed_on() -> bool:
        case = await db[CASES].find_one({"_id": cases["c-bram"]})
        return case is not None and "c-bram" in case["vault"]["wraps"]

    await eventually(sealed_on)
    case = await db[CASES].find_one({"_id": cases["c-bram"]})
    assert case is not None and set(case["vault"]["wraps"]) == {"c-bram", "escrow"}
    key = envelope.KeyPair(
        case["vault"]["public"],
        envelope.open_sealed(pairs["c-bram"], case["vault"]["wraps"]["c-bram"]),
    )
    assert envelope.open_sealed(key, case["vault"]["text"]["sealed"]).decode() == NAMED["text"]
    uncertified = await db[CASES].find_one({"_id": cases["c-cor"]})
    assert uncertified is not None and set(uncertified["vault"]["wraps"]) == {"c-anna", "escrow"}
    assert uncertified["vault"]["pending"] == "c-cor"


async def test_after_a_password_reset_the_kit_opens_the_cases_and_the_new_password_after(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    """A reset gives a new log-in, never the key: the workspace asks for the recovery kit,
    opens the keys with it, locks them with the new password; the next log-in needs only
    that, and the sealed report opens."""
    firm = envelope.KeyPair.generate()
    intake = await sealing_intake(start_service, firm)
    org = await make_org(intake, token)
    await make_anna_login(intake, token)
    admin = bearer(token("admin", "intake"))
    staff = await browser.new_page()
    kit = await first_log_in(staff, intake)
    made = await intake.post(
        "/v1/cases",
        json={**NAMED, "organisation": org["slug"], "department": None},
    )
    assert made.status == 201, await made.text()

    # The office resets Anna's password; she sets a new one with the link.
    [account] = (await (await intake.get("/v1/staff", headers=admin)).json())["items"]
    reset = await intake.post(f"/v1/staff/{account['id']}/invite", headers=admin)
    link = token_of((await reset.json())["invite_url"])
    new = "een nieuw en lang genoeg wachtwoord"
    welcome = await intake.post("/v1/staff/welcome", json={"token": link, "password": new})
    assert welcome.status == 200, await welcome.text()

    async def log_in_with(password: str) -> Page:
        page = await browser.new_page()
        await page.goto(str(intake.make_url("/staff")))
        await page.get_by_label("Gebruikersnaam").fill("anna")
        await page.get_by_label("Wachtwoord").fill(password)
        await page.get_by_role("button", name="Inloggen").click()
        return page

    page = await log_in_with(new)
    await expect(
        page.get_by_role("heading", name="Open uw meldingen met uw herstelsleutel")
    ).to_be_visible()
    await page.get_by_role("textbox", name="Uw herstelsleutel", exact=True).fill("ABCD-" + kit[5:])
    await page.get_by_role("button", name="Mijn meldingen openen").click()
    await expect(page.get_by_role("alert")).to_contain_text("opent uw sleutels niet")
    await page.get_by_role("textbox", name="Uw herstelsleutel", exact=True).fill(
        kit.lower().replace("-", " ")
    )
    await page.get_by_role("button", name="Mijn meldingen openen").click()
    await expect(page.get_by_role("heading", name="Mijn meldingen")).to_be_visible()

    # The next log-in: the new password alone opens the keys, and the report.
    later = await log_in_with(new)
    await later.locator("#cases button").first.click()
    await expect(later.locator("#report-text")).to_have_text(NAMED["text"])
    await expect(later.locator("#recover")).to_be_hidden()


async def test_a_case_handed_to_anna_gets_a_new_key_from_her_browser(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    """Bram knew the case's key; once he hands it to Anna, her workspace replaces it at her
    log-in: what comes after is sealed to a key Bram never had, and the report from before
    still opens, back along the chain."""
    firm = envelope.KeyPair.generate()
    intake = await sealing_intake(start_service, firm)
    org = await make_org(intake, token, confidant_ids=("c-anna", "c-bram"))
    await make_anna_login(intake, token)
    staff = await browser.new_page()
    await first_log_in(staff, intake)

    bram_headers = bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-bram"))
    body, recovery = made_in_the_browser(PASSWORD, firm)
    assert (await intake.put("/v1/me/keys", headers=bram_headers, json=body)).status == 201
    bram = pair_of(body, recovery)
    made = await intake.post(
        "/v1/cases",
        json={
            **NAMED,
            "organisation": org["slug"],
            "department": None,
            "preferred_confidant": "c-bram",
        },
    )
    case_id = (await made.json())["case_id"]
    db = state(intake).db
    case = await db[CASES].find_one({"_id": case_id})
    assert case is not None
    old = envelope.KeyPair(
        case["vault"]["public"], envelope.open_sealed(bram, case["vault"]["wraps"]["c-bram"])
    )
    anna = await (await intake.get("/v1/keys/c-anna", headers=bram_headers)).json()
    wrap = envelope.seal(base64.b64decode(anna["public_key"]), old.private)
    moved = await intake.post(
        f"/v1/cases/{case_id}/assign",
        headers=bram_headers,
        json={"confidant_id": "c-anna", "wrap": base64.b64encode(wrap).decode()},
    )
    assert moved.status == 200, await moved.text()

    again = await browser.new_page()
    await log_in(again, intake, "anna")
    await expect(again.get_by_role("heading", name="Mijn meldingen")).to_be_visible()

    async def rotated() -> bool:
        found = await db[CASES].find_one({"_id": case_id})
        return found is not None and found["vault"]["public"] != old.public

    await eventually(rotated)
    case = await db[CASES].find_one({"_id": case_id})
    assert case is not None and "rotate" not in case["vault"]
    assert set(case["vault"]["wraps"]) == {"c-anna", "escrow"}
    [earlier] = case["vault"]["previous"]
    assert earlier["public"] == old.public
    new = envelope.KeyPair(
        case["vault"]["public"], envelope.open_sealed(firm, case["vault"]["wraps"]["escrow"])
    )
    assert envelope.open_sealed(new, earlier["by_next"]) == old.private  # the chain
    # What arrives now is sealed to the new key: Bram's old one opens nothing of it.
    told = await intake.post(
        f"/v1/cases/{case_id}/notes",
        headers=bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna")),
        json={"text": "Na de overdracht."},
    )
    assert told.status == 201, await told.text()
    note = await db[NOTES].find_one({"case_id": case_id})
    assert note is not None
    assert envelope.open_sealed(new, note["vault"]["sealed"]) == b"Na de overdracht."
    with pytest.raises(envelope.EnvelopeError):
        envelope.open_sealed(old, note["vault"]["sealed"])
    # Anna's workspace opens the report from before (sealed to the old key) and the note.
    await again.locator("#cases button").first.click()
    await expect(again.locator("#report-text")).to_have_text(NAMED["text"])
    await expect(again.locator("#notes")).to_contain_text("Na de overdracht.")
