"""The first log-in's keys, made in Chromium (shared/static/keys.js) and kept by intake:
the browser unlocks them with the password and with the recovery kit, refuses a wrong
password; Python opens the same private key with the password, the kit and two escrow
shares (so nothing passes by wrapping nothing openable)."""

from __future__ import annotations

import base64
from collections.abc import Callable

from nacl.public import PrivateKey
from playwright.async_api import Browser, expect

from deploy import escrow
from shared import envelope
from tests.browser.conftest import audit
from tests.browser.setup import PASSWORD as SETUP_PASSWORD
from tests.browser.setup import log_in, make_anna_login, make_org
from tests.conftest import StartService

PASSWORD = "een lang genoeg wachtwoord"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

FIRST_LOG_IN = """async ({ token, password }) => {
  const keys = await import("/static/common/keys.js");
  const api = (path, init = {}) => fetch(path, {
    ...init, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
  });
  const escrowKey = (await (await api("/v1/keys/escrow")).json()).public_key;
  const made = await keys.makeKeys(password, escrowKey);
  const stored = await api("/v1/me/keys", { method: "PUT", body: JSON.stringify(made.body) });
  const kept = await (await api("/v1/me/keys")).json();
  const b64 = (u) => btoa(String.fromCharCode(...u));
  const unlocked = await keys.unlock(kept, password);
  const typed = made.kit.toLowerCase().replaceAll("-", " ").replace("0", "o");
  const recovered = await keys.recover(kept, typed);
  let wrong = "opened";
  try { await keys.unlock(kept, "een ander wachtwoord"); } catch (error) { wrong = error.message; }
  return { status: stored.status, kit: made.kit, unlocked: b64(unlocked.private),
           recovered: b64(recovered.private), wrong };
}"""


def from_kit(kit: str) -> bytes:
    bits = "".join(f"{ALPHABET.index(c):05b}" for c in kit.replace("-", ""))
    return int(bits[:256], 2).to_bytes(32, "big")


async def test_the_first_log_ins_keys_open_three_ways_and_no_other(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    firm = envelope.KeyPair.generate()
    shares = escrow.split(firm)
    public = base64.b64encode(firm.public).decode()
    intake = await start_service("intake", INTAKE_ESCROW_PUBLIC_KEY=public)
    anna = token("confidant", "intake", sub="c-anna")
    page = await browser.new_page()
    await page.goto(str(intake.make_url("/")))
    got = await page.evaluate(FIRST_LOG_IN, {"token": anna, "password": PASSWORD})
    assert got["status"] == 201
    assert got["unlocked"] == got["recovered"]
    assert "does not open the envelope" in got["wrong"]
    assert len(got["kit"].replace("-", "")) == 52

    kept = await (
        await intake.get("/v1/me/keys", headers={"Authorization": f"Bearer {anna}"})
    ).json()
    private = base64.b64decode(got["unlocked"])
    assert bytes(PrivateKey(private).public_key) == base64.b64decode(kept["public_key"])
    by_password = envelope.unwrap(
        envelope.derive(PASSWORD, base64.b64decode(kept["salt"]), kept["ops"], kept["memory"]),
        base64.b64decode(kept["by_password"]),
    )
    by_kit = envelope.unwrap(from_kit(got["kit"]), base64.b64decode(kept["by_recovery"]))
    by_escrow = envelope.open_sealed(
        escrow.combine(shares[1:]), base64.b64decode(kept["to_escrow"])
    )
    assert by_password == by_kit == by_escrow == private
    assert kept["memory"] >= 64 * 1024 * 1024


async def test_the_workspace_shows_the_kit_once_and_keeps_the_keys_when_it_is_typed_back(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    firm = envelope.KeyPair.generate()
    booking = await start_service("booking")
    intake = await start_service(
        "intake",
        INTAKE_BOOKING_URL=str(booking.make_url("/")),
        INTAKE_ESCROW_PUBLIC_KEY=base64.b64encode(firm.public).decode(),
    )
    await make_org(intake, token)
    await make_anna_login(intake, token)
    anna = {"Authorization": f"Bearer {token('confidant', 'intake', sub='c-anna')}"}
    page = await browser.new_page()
    await log_in(page, intake, "anna")
    await expect(page.get_by_role("heading", name="Uw herstelsleutel")).to_be_visible()
    await audit(page)
    kit = (await page.locator("#kit-code").text_content() or "").strip()
    assert len(kit.replace("-", "")) == 52
    assert (await intake.get("/v1/me/keys", headers=anna)).status == 404  # not before
    await page.get_by_label("Typ uw herstelsleutel nog eens over").fill("ABCD-" + kit[5:])
    await page.get_by_role("button", name="Ik heb hem bewaard: verder").click()
    await expect(page.get_by_role("alert")).to_contain_text("niet de herstelsleutel")
    await page.get_by_label("Typ uw herstelsleutel nog eens over").fill(kit.lower())
    await page.get_by_role("button", name="Ik heb hem bewaard: verder").click()
    await expect(page.get_by_role("heading", name="Mijn meldingen")).to_be_visible()
    await expect(page.locator("#kit")).to_be_hidden()
    kept = await (await intake.get("/v1/me/keys", headers=anna)).json()
    by_password = envelope.unwrap(
        envelope.derive(SETUP_PASSWORD, base64.b64decode(kept["salt"])),
        base64.b64decode(kept["by_password"]),
    )
    assert by_password == envelope.unwrap(from_kit(kit), base64.b64decode(kept["by_recovery"]))
    assert by_password == envelope.open_sealed(firm, base64.b64decode(kept["to_escrow"]))
    # The next log-in finds the keys kept: no kit again.
    again = await browser.new_page()
    await log_in(again, intake, "anna")
    await expect(again.get_by_role("heading", name="Mijn meldingen")).to_be_visible()
    await expect(again.locator("#kit")).to_be_hidden()
