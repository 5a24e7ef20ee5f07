"""The first log-in's keys, made in Chromium (shared/static/keys.js) and kept by intake:
the browser unlocks them with the password and with the recovery kit, refuses a wrong
password; Python opens the same private key with the password, the kit and two escrow
shares (so nothing passes by wrapping nothing openable)."""

from __future__ import annotations

import base64
from collections.abc import Callable

from nacl.public import PrivateKey
from playwright.async_api import Browser

from deploy import escrow
from shared import envelope
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
