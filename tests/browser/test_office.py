"""The firm's office in a real browser, on a phone: logged in through the workspace, it
lands on its own page; it creates an organisation with its ways in and a confidant's
account, and sees every organisation's cases by status and the deadlines passed, with no
content."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.async_api import Browser, expect

from tests.browser.conftest import audit, snap
from tests.browser.setup import log_in, make_staff
from tests.conftest import StartService
from tests.polling import eventually
from tests.scene import bearer


async def test_the_office_creates_an_organisation_and_an_account_and_sees_the_cases(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    intake = await start_service("intake")
    await make_staff(intake, token, username="kantoor", role="admin", display_name="Kantoor")
    page = await browser.new_page(viewport={"width": 375, "height": 740})
    await log_in(page, intake, "kantoor")
    await expect(page.get_by_role("heading", name="Het kantoor")).to_be_visible()

    await page.get_by_label("Naam", exact=True).first.fill("Bouwbedrijf Zuid")
    await page.get_by_label("Adres van de meldpagina").fill("bouw-zuid")
    await page.get_by_label("De vertrouwenspersonen").fill("c-anna")
    await page.get_by_label("Telefoonnummer voor meldingen").fill("+31 40 123 4567")
    await page.get_by_role("button", name="Organisatie aanmaken").click()
    await expect(page.locator("#orgs")).to_contain_text("Bouwbedrijf Zuid (/o/bouw-zuid)")
    await expect(page.locator("#orgs")).to_contain_text("+31 40 123 4567")
    # Changed afterwards: the promise of a first contact, and the WhatsApp channel.
    await page.get_by_text("Wijzigen Bouwbedrijf Zuid").click()
    editing = page.locator("#orgs li").first
    await editing.get_by_label("Eerste contact binnen (werkdagen)").fill("3")
    await editing.get_by_label("Telefoonnummer-id van WhatsApp Business (nieuw)").fill(
        "106540352242922"
    )
    await editing.get_by_role("button", name="Opslaan").click()
    office_token = bearer(token("admin", "intake"))
    [org] = (await (await intake.get("/v1/orgs", headers=office_token)).json())["items"]

    async def changed() -> bool:
        [found] = (await (await intake.get("/v1/orgs", headers=office_token)).json())["items"]
        channels = await (
            await intake.get(f"/v1/orgs/{org['id']}/channels", headers=office_token)
        ).json()
        return bool(
            found["first_contact_days"] == 3
            and channels["whatsapp_phone_number_id"] == "106540352242922"
        )

    await eventually(changed)

    new_account = page.get_by_role("form", name="Een nieuw account")
    await new_account.get_by_label("Rol").select_option("confidant")
    await page.locator("#staff-name").fill("Anna de Boer")
    await new_account.get_by_label("Gebruikersnaam", exact=True).fill("anna")
    await new_account.get_by_label("Id in de agenda", exact=True).fill("c-anna")
    await page.get_by_role("button", name="Account aanmaken").click()
    await expect(page.locator("#staff-done")).to_contain_text("anna")
    # No password given: a one-time link, which Anna opens to choose her own.
    link = page.get_by_label("Eenmalige link")
    await expect(link).to_have_value(re.compile(r"/staff/welcome#[A-Za-z0-9_-]{43}$"))
    url = await link.input_value()
    await expect(page.locator("#accounts")).to_contain_text("nog geen wachtwoord")
    anna = await browser.new_page(viewport={"width": 375, "height": 740})
    await anna.goto(url)
    await anna.get_by_label("Nieuw wachtwoord").fill("een lang genoeg wachtwoord")
    await anna.get_by_label("Hetzelfde wachtwoord nog eens").fill("een lang genoeg wachtwoord")
    await anna.get_by_role("button", name="Wachtwoord instellen").click()
    await expect(anna.get_by_role("heading", name="Uw wachtwoord is ingesteld")).to_be_visible()
    await audit(anna)
    login = await intake.post(
        "/v1/auth/token", json={"username": "anna", "password": "een lang genoeg wachtwoord"}
    )
    assert login.status == 200 and (await login.json())["role"] == "confidant"
    again = await browser.new_page()
    await again.goto(url)  # used: it opens nothing more
    await again.get_by_label("Nieuw wachtwoord").fill("nog een lang wachtwoord")
    await again.get_by_label("Hetzelfde wachtwoord nog eens").fill("nog een lang wachtwoord")
    await again.get_by_role("button", name="Wachtwoord instellen").click()
    await expect(again.locator("#problem")).to_contain_text("used or expired")

    # A report comes in: the overview counts it, without a word of what it says.
    made = await intake.post(
        "/v1/cases",
        json={
            "organisation": "bouw-zuid",
            "category": "pesten",
            "anonymous": True,
            "text": "Mijn voorman scheldt mij uit.",
        },
    )
    assert made.status == 201, await made.text()
    await page.reload()
    row = page.locator("#overview tr", has_text="Bouwbedrijf Zuid")
    await expect(row.locator("td").first).to_have_text("1")  # one new case
    await expect(page.locator("main")).not_to_contain_text("voorman")
    # Anna leaves: her cases go to Bram, who serves the organisation too.
    patch = await intake.patch(
        f"/v1/orgs/{org['id']}", headers=office_token, json={"confidant_ids": ["c-anna", "c-bram"]}
    )
    assert patch.status == 200, await patch.text()
    await page.get_by_label("Van (id in de agenda)").fill("c-anna")
    await page.get_by_label("Naar (id in de agenda)").fill("c-bram")
    await page.get_by_role("button", name="Overdragen").click()
    await expect(page.locator("#handover-done")).to_have_text("Overgedragen: 1 / 1")
    moved = await (await intake.get("/v1/cases", headers=office_token)).json()
    assert [c["confidant_id"] for c in moved["items"]] == ["c-bram"]
    await snap(page, "30-office")
    await audit(page)
    office = bearer(token("admin", "intake"))
    listed = await (await intake.get("/v1/orgs", headers=office)).json()
    assert [o["slug"] for o in listed["items"]] == ["bouw-zuid"]


async def test_the_office_invoices_a_period_and_credits_it_from_the_reports_page(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    import json
    from urllib.parse import urlencode

    from tests.services.reporting.test_invoices import CONTRACT, cases_in, label, months_ago

    reporting = await start_service("reporting", REPORTING_K="3")
    org = "org-noord"
    first = months_ago(3)
    await cases_in(reporting, org, {first: 5})
    admin = token("admin", "reporting", sub="office")
    put = await reporting.put(f"/v1/orgs/{org}/contract", headers=bearer(admin), json=CONTRACT)
    assert put.status == 200, await put.text()
    page = await browser.new_page(viewport={"width": 375, "height": 740})
    handed = urlencode({"t": admin, "names": json.dumps({org: "Zorggroep Noord"})})
    await page.goto(str(reporting.make_url("/reports")) + "#" + handed)
    await expect(page.get_by_role("heading", name="Facturen en creditnota's")).to_be_visible()
    await page.get_by_label("Eerste maand").fill(label(first))
    await page.get_by_label("Laatste maand").fill(label(first))
    await page.get_by_role("button", name="Deze periode factureren").click()
    invoice = page.locator("#invoice-list li").first
    await expect(invoice).to_contain_text("€ 1678.57")
    await invoice.get_by_label("Waarom (komt op de creditnota)").fill("Verkeerd uurtarief")
    await invoice.get_by_role("button", name="Deze factuur crediteren").click()
    await expect(invoice).to_contain_text("gecrediteerd met CN-")
    await expect(invoice.get_by_role("link", name="Creditnota PDF")).to_be_visible()
    await audit(page)
    notes = await (
        await reporting.get(f"/v1/orgs/{org}/credit-notes", headers=bearer(admin))
    ).json()
    assert [n["reason"] for n in notes["items"]] == ["Verkeerd uurtarief"]
