"""The envelope both ways: Python (shared/envelope.py, PyNaCl) seals and wraps, the browser
(shared/static/sealed.js: libsodium in a module worker, served by intake) opens, and back;
the same Argon2id key from the same password and salt; altered envelopes and other keys
refused on both sides."""

from __future__ import annotations

import base64
from typing import Any

from playwright.async_api import Browser

from shared import envelope
from tests.conftest import StartService

B64 = base64.b64encode
OPS, MEMORY = 2, 64 * 1024 * 1024

IN_THE_BROWSER = """async (given) => {
  const sealed = await import("/static/common/sealed.js");
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const b64 = (u) => btoa(String.fromCharCode(...u));
  const words = (u) => new TextDecoder().decode(u);
  const pair = { public: bytes(given.pub), private: bytes(given.priv) };
  const key = bytes(given.key);
  const refused = async (attempt) => {
    try { await attempt(); return "opened"; } catch (error) { return error.message; }
  };
  const mine = await sealed.keyPair();
  const altered = bytes(given.sealed);
  altered[40] ^= 1;
  const toMine = await sealed.seal(mine.public, bytes(given.marker));
  return {
    opened: words(await sealed.openSealed(pair, bytes(given.sealed))),
    unwrapped: words(await sealed.unwrap(key, bytes(given.wrapped))),
    derived: b64(await sealed.derive(given.password, bytes(given.salt), given.ops, given.memory)),
    mine: { pub: b64(mine.public), priv: b64(mine.private) },
    toPython: b64(await sealed.seal(pair.public, new TextEncoder().encode("uit de browser"))),
    wrappedToPython: b64(await sealed.wrap(key, new TextEncoder().encode("ook ingepakt"))),
    toItself: words(await sealed.openSealed(mine, toMine)),
    altered: await refused(() => sealed.openSealed(pair, altered)),
    otherKey: await refused(() => sealed.openSealed(mine, bytes(given.sealed))),
    otherVersion: await refused(() => sealed.unwrap(key, bytes(given.sealed))),
  };
}"""


async def test_python_and_the_browser_open_each_others_envelopes(
    start_service: StartService, browser: Browser
) -> None:
    intake = await start_service("intake")
    pair, key, salt = envelope.KeyPair.generate(), bytes(range(32)), envelope.new_salt()
    marker = "MELDING-7f3a: de teamleider intimideert mij"
    given: dict[str, Any] = {
        "pub": B64(pair.public).decode(),
        "priv": B64(pair.private).decode(),
        "key": B64(key).decode(),
        "sealed": B64(envelope.seal(pair.public, marker.encode())).decode(),
        "wrapped": B64(envelope.wrap(key, b"de sleutel van een zaak")).decode(),
        "password": "een lang genoeg wachtwoord",
        "salt": B64(salt).decode(),
        "marker": B64(marker.encode()).decode(),
        "ops": OPS,
        "memory": MEMORY,
    }
    page = await browser.new_page()
    await page.goto(str(intake.make_url("/")))
    got = await page.evaluate(IN_THE_BROWSER, given)

    assert got["opened"] == marker
    assert got["unwrapped"] == "de sleutel van een zaak"
    assert got["toItself"] == marker
    derived = envelope.derive(given["password"], salt, OPS, MEMORY)
    assert base64.b64decode(got["derived"]) == derived
    from_browser = base64.b64decode(got["toPython"])
    assert len(from_browser) == 1 + 48 + envelope.BLOCK  # version, key and tag, one block
    assert envelope.open_sealed(pair, from_browser) == b"uit de browser"
    wrapped = base64.b64decode(got["wrappedToPython"])
    assert envelope.unwrap(key, wrapped) == b"ook ingepakt"
    # The browser's own key pair opens in Python what Python seals to it.
    mine = envelope.KeyPair(
        base64.b64decode(got["mine"]["pub"]), base64.b64decode(got["mine"]["priv"])
    )
    assert envelope.open_sealed(mine, envelope.seal(mine.public, b"terug")) == b"terug"
    for refusal in ("altered", "otherKey"):
        assert "does not open the envelope" in got[refusal], got[refusal]
    assert "envelope version 1, not 2" in got["otherVersion"]


async def test_a_case_code_gives_the_same_keys_in_python_and_the_browser(
    start_service: StartService, browser: Browser
) -> None:
    intake = await start_service("intake")
    code = "7K2M-QX9P-4RTV-WB3N-HC8D"
    page = await browser.new_page()
    await page.goto(str(intake.make_url("/")))
    got = await page.evaluate(
        """async ([code, toReporter]) => {
          const sealed = await import("/static/common/sealed.js");
          const b64 = (u) => btoa(String.fromCharCode(...u));
          const bytes = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
          const keys = await sealed.codeKeys(code);
          const opened = await sealed.openSealed(keys.pair, bytes(toReporter));
          return { lookup: b64(keys.lookup), secret: b64(keys.secret),
                   pub: b64(keys.pair.public), opened: new TextDecoder().decode(opened) };
        }""",
        [
            code,
            B64(envelope.seal(envelope.code_keys(code).pair.public, b"voor de melder")).decode(),
        ],
    )
    keys = envelope.code_keys(code)
    assert base64.b64decode(got["lookup"]) == keys.lookup
    assert base64.b64decode(got["secret"]) == keys.secret
    assert base64.b64decode(got["pub"]) == keys.pair.public
    assert got["opened"] == "voor de melder"
    # Three different parts, and another code gives other keys.
    assert len({keys.lookup, keys.secret, keys.pair.public}) == 3
    assert envelope.code_keys("7K2M-QX9P-4RTV-WB3N-HC8E").lookup != keys.lookup


async def test_signatures_and_certificates_check_out_on_both_sides(
    start_service: StartService, browser: Browser
) -> None:
    """A confidant's message signed in Python opens and checks in the browser and back; the
    firm's certificate on both keys checks on both sides; altered, it checks on neither."""
    intake = await start_service("intake")
    firm, person = envelope.KeyPair.generate(), envelope.KeyPair.generate()
    message_key = envelope.message_key(person.private)
    certificate = envelope.certify(firm.private, "c-anna", person.public, message_key)
    signed = envelope.sign_message(person.private, "case-1", "Tot dinsdag, Jan.")
    page = await browser.new_page()
    await page.goto(str(intake.make_url("/")))
    got = await page.evaluate(
        """async (given) => {
          const sealed = await import("/static/common/sealed.js");
          const b = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
          const b64 = (u) => btoa(String.fromCharCode(...u));
          const altered = b(given.signed); altered[70] ^= 1;
          const cert = (who, key) =>
            sealed.certified(b(given.firm), who, b(given.pub), b(given.cert), key);
          return {
            messageKey: b64(await sealed.messageKey(b(given.priv))),
            fromPython: await sealed.signedMessage(b(given.messageKey), "case-1", b(given.signed)),
            otherCase: await sealed.signedMessage(b(given.messageKey), "case-2", b(given.signed)),
            altered: await sealed.signedMessage(b(given.messageKey), "case-1", altered),
            signed: b64(await sealed.signMessage(b(given.priv), "case-1", "Uit de browser.")),
            certified: await cert("c-anna", b(given.messageKey)),
            otherPerson: await cert("c-bram", b(given.messageKey)),
            withoutMessageKey: await cert("c-anna", undefined),
          };
        }""",
        {
            "priv": B64(person.private).decode(),
            "pub": B64(person.public).decode(),
            "messageKey": B64(message_key).decode(),
            "signed": B64(signed).decode(),
            "firm": B64(envelope.signing_public(firm.private)).decode(),
            "cert": B64(certificate).decode(),
        },
    )
    assert base64.b64decode(got["messageKey"]) == message_key
    assert got["fromPython"] == "Tot dinsdag, Jan."
    assert got["otherCase"] is None and got["altered"] is None
    from_browser = base64.b64decode(got["signed"])
    assert envelope.signed_message(message_key, "case-1", from_browser) == "Uit de browser."
    assert envelope.signed_message(message_key, "case-9", from_browser) is None
    assert got["certified"] is True
    assert got["otherPerson"] is False and got["withoutMessageKey"] is False


async def test_the_pages_take_no_string_as_code_but_start_their_crypto_worker(
    start_service: StartService, browser: Browser
) -> None:
    """Trusted Types: HTML put in as a string and a worker from another address are refused
    by the browser; the crypto worker starts through the one policy."""
    intake = await start_service("intake")
    page = await browser.new_page()
    answer = await page.goto(str(intake.make_url("/staff")))
    assert answer is not None
    policy = (await answer.all_headers())["content-security-policy"]
    assert "require-trusted-types-for 'script'" in policy and "trusted-types vertrouwd" in policy
    got = await page.evaluate(
        """async () => {
          const refused = (attempt) => {
            try { attempt(); return "done"; } catch (e) { return e.name; }
          };
          const sealed = await import("/static/common/sealed.js");
          const pair = await sealed.keyPair();
          return {
            html: refused(() => { document.body.innerHTML = "<img src=x onerror=alert(1)>"; }),
            worker: refused(() => new Worker("/static/common/api.js", { type: "module" })),
            policy: refused(() => trustedTypes.createPolicy("vertrouwd", {})),
            keys: pair.public.length,
          };
        }"""
    )
    assert got == {"html": "TypeError", "worker": "TypeError", "policy": "TypeError", "keys": 32}
