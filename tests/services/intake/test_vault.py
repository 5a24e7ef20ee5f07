"""Cases sealed to their own keys (issue 26), through intake's API as the browsers use it:
once the confidant has keys and the firm an escrow key, what a case says reaches the
database only sealed, and opens only with the confidant's key, the reporter's code or
escrow. The server answers envelopes; these tests open them as the browsers would."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.intake.rotate import NotYet, retire
from services.intake.settings import IntakeSettings
from services.intake.store.collections import CASES, MESSAGES, NOTES
from shared import envelope
from shared.crypto import DataKeys, FieldCipher
from tests.conftest import Keys, StartService
from tests.polling import eventually
from tests.services.intake.conftest import NAMED, Desk
from tests.services.intake.conftest import state as intake_of
from tests.services.intake.test_keys import made_in_the_browser, pair_of

B64 = base64.b64encode
Client = TestClient[web.Request, web.Application]
PASSWORD = "een lang genoeg wachtwoord"


@dataclass
class Sealed:
    """An intake with an escrow key, and anna's keys as her browser holds them."""

    intake: Client
    escrow: envelope.KeyPair
    anna: envelope.KeyPair


@pytest.fixture
async def sealed(start_service: StartService, desk: Desk) -> Sealed:
    escrow = envelope.KeyPair.generate()
    intake = await start_service("intake", INTAKE_ESCROW_PUBLIC_KEY=B64(escrow.public).decode())
    body, recovery = made_in_the_browser(PASSWORD, escrow)
    made = await intake.put("/v1/me/keys", headers=desk.confidant("c-anna"), json=body)
    assert made.status == 201, await made.text()
    return Sealed(intake, escrow, pair_of(body, recovery))


def opened(pair: envelope.KeyPair, b64: str) -> str:
    return envelope.open_sealed(pair, base64.b64decode(b64)).decode()


def case_pair(vault: dict[str, Any], holder: envelope.KeyPair) -> envelope.KeyPair:
    """The case's key pair, from the reader's wrap of it."""
    private = envelope.open_sealed(holder, base64.b64decode(vault["wrap"]))
    return envelope.KeyPair(base64.b64decode(vault["public_key"]), private)


async def raw_docs(client: Client, collection: str, query: dict[str, Any]) -> bytes:
    """The documents as the database holds them, in BSON: what a dump would hold."""
    found = await intake_of(client).db[collection].find(query).to_list(None)
    return b"".join(bson.encode(doc) for doc in found)


async def test_a_sealed_case_opens_only_for_its_confidant_reporter_and_escrow(
    sealed: Sealed, desk: Desk
) -> None:
    anna = desk.confidant("c-anna")
    report = {**NAMED, "organisation": desk.org["slug"], "preferred_confidant": "c-anna"}
    made = await sealed.intake.post("/v1/cases", json=report)
    assert made.status == 201, await made.text()
    case_id, code = (await made.json())["case_id"], (await made.json())["case_code"]

    read = await (await sealed.intake.get(f"/v1/cases/{case_id}", headers=anna)).json()
    assert read["text"] is None and read["contact"]["email"] == "jan.devries@example.nl"
    assert read["contact"]["name"] is None  # the name is only in the sealed contact
    key = case_pair(read["vault"], sealed.anna)
    assert opened(key, read["vault"]["text"]) == NAMED["text"]
    assert json.loads(opened(key, read["vault"]["contact"]))["name"] == "Jan de Vries"
    # Escrow opens the same case key (the ceremony's way in).
    raw = await intake_of(sealed.intake).db[CASES].find_one({"_id": case_id})
    assert raw is not None
    assert envelope.open_sealed(sealed.escrow, raw["vault"]["wraps"]["escrow"]) == key.private

    # The reporter comes back with the code, or with what their browser derives from it.
    keys = envelope.code_keys(code)
    for access in (
        {"case_code": code},
        {"code_lookup": keys.lookup.hex(), "code_secret": keys.secret.hex()},
    ):
        answer = await sealed.intake.post("/v1/cases/access", json=access)
        assert answer.status == 200, await answer.text()
    wrong = {"code_lookup": keys.lookup.hex(), "code_secret": bytes(32).hex()}
    assert (await sealed.intake.post("/v1/cases/access", json=wrong)).status == 401
    reporter = {"Authorization": f"Bearer {(await answer.json())['token']}"}
    mine = await (await sealed.intake.get(f"/v1/cases/{case_id}", headers=reporter)).json()
    assert mine["vault"]["wrap"] is None and "contact" not in mine["vault"]
    assert opened(keys.pair, mine["vault"]["text"]) == NAMED["text"]

    # Messages both ways: the confidant's browser seals to the case and the reporter; the
    # reporter's text is sealed on arrival; a note is the case's alone.
    answer_text = "Dank voor uw melding; zullen we donderdag bellen?"
    said = await sealed.intake.post(
        f"/v1/cases/{case_id}/messages",
        headers=anna,
        json={
            "sealed": B64(envelope.seal(key.public, answer_text.encode())).decode(),
            "reporter": B64(envelope.seal(keys.pair.public, answer_text.encode())).decode(),
        },
    )
    assert said.status == 201, await said.text()
    back = await sealed.intake.post(
        f"/v1/cases/{case_id}/messages", headers=reporter, json={"text": "Donderdag past."}
    )
    assert back.status == 201, await back.text()
    note = await sealed.intake.post(
        f"/v1/cases/{case_id}/notes", headers=anna, json={"text": "Eerst HR-beleid nalezen."}
    )
    assert note.status == 201, await note.text()

    url = f"/v1/cases/{case_id}/messages"
    for headers, pair in ((anna, key), (reporter, keys.pair)):
        items = (await (await sealed.intake.get(url, headers=headers)).json())["items"]
        assert [m["text"] for m in items] == [None, None]
        assert [opened(pair, m["sealed"]) for m in items] == [answer_text, "Donderdag past."]
    notes = (await (await sealed.intake.get(f"{url[:-8]}notes", headers=anna)).json())["items"]
    assert [opened(key, n["sealed"]) for n in notes] == ["Eerst HR-beleid nalezen."]

    # What the database holds says none of it.
    stored = b"".join(
        [
            await raw_docs(sealed.intake, CASES, {"_id": case_id}),
            await raw_docs(sealed.intake, MESSAGES, {"case_id": case_id}),
            await raw_docs(sealed.intake, NOTES, {"case_id": case_id}),
        ]
    )
    for secret in ("kleineert", "Jan de Vries", "donderdag", "Donderdag", "HR-beleid"):
        assert secret.encode() not in stored, secret
    assert code.encode() not in stored
    assert hashlib.sha256(keys.secret).hexdigest().encode() in stored  # the check, not the secret
    assert keys.secret.hex().encode() not in stored


async def test_sealed_and_unsealed_cases_take_only_what_they_can_keep(
    sealed: Sealed, desk: Desk
) -> None:
    anna, bram = desk.confidant("c-anna"), desk.confidant("c-bram")
    base = {**NAMED, "organisation": desk.org["slug"]}
    of_anna = await (
        await sealed.intake.post("/v1/cases", json={**base, "preferred_confidant": "c-anna"})
    ).json()
    of_bram = await (
        await sealed.intake.post("/v1/cases", json={**base, "preferred_confidant": "c-bram"})
    ).json()
    # Bram has no keys yet: his case is kept under the server's keys, as before.
    read = await (await sealed.intake.get(f"/v1/cases/{of_bram['case_id']}", headers=bram)).json()
    assert read["vault"] is None and read["text"] == NAMED["text"]
    envelope_b64 = B64(envelope.seal(sealed.anna.public, b"x")).decode()
    refused = await sealed.intake.post(
        f"/v1/cases/{of_bram['case_id']}/notes", headers=bram, json={"sealed": envelope_b64}
    )
    assert refused.status == 409 and "send the text" in await refused.text()
    # Something that is not an envelope, or both forms, or neither: 422, nothing kept.
    url = f"/v1/cases/{of_anna['case_id']}/notes"
    for body, field in (
        ({"sealed": B64(b"\x02" + bytes(300)).decode()}, "sealed"),
        ({"sealed": envelope_b64, "text": "ook"}, "sealed"),
        ({}, "text"),
        ({"text": "x", "reporter": envelope_b64}, "reporter"),
    ):
        answer = await sealed.intake.post(url, headers=anna, json=body)
        assert answer.status == 422, (body, await answer.text())
        assert field in await answer.text()
    assert (await (await sealed.intake.get(url, headers=anna)).json())["items"] == []


async def test_a_report_from_the_site_brings_only_what_the_code_derives(
    sealed: Sealed, desk: Desk
) -> None:
    """The site's form makes the code in the browser: intake gets the look-up id, the
    secret's hash and the reporter's public key, and answers no code."""
    code = "MW3K-8Q2D-ZT5R-9HXN-B4PC"
    keys = envelope.code_keys(code)
    body = {
        **NAMED,
        "organisation": desk.org["slug"],
        "preferred_confidant": "c-anna",
        "case_code": False,
        "reporter_keys": {
            "lookup": keys.lookup.hex(),
            "check": hashlib.sha256(keys.secret).hexdigest(),
            "public_key": B64(keys.pair.public).decode(),
        },
    }
    made = await sealed.intake.post("/v1/cases", json=body)
    assert made.status == 201, await made.text()
    assert (await made.json())["case_code"] is None
    access = {"code_lookup": keys.lookup.hex(), "code_secret": keys.secret.hex()}
    answer = await sealed.intake.post("/v1/cases/access", json=access)
    assert answer.status == 200, await answer.text()
    token = (await answer.json())["token"]
    mine = await (
        await sealed.intake.get(
            f"/v1/cases/{(await made.json())['case_id']}",
            headers={"Authorization": f"Bearer {token}"},
        )
    ).json()
    assert opened(keys.pair, mine["vault"]["text"]) == NAMED["text"]
    both = {**body, "case_code": True}
    assert (await sealed.intake.post("/v1/cases", json=both)).status == 422


async def test_cases_from_before_keys_are_sealed_once_their_confidant_has_keys(
    start_service: StartService, desk: Desk
) -> None:
    """The migration: a case, its messages and note kept under the server's keys are sealed
    to the case's new key as soon as anna's keys are kept, however many instances do it at
    once; the reporter's old code still opens the case, and from then on gives a key."""
    anna = desk.confidant("c-anna")
    base = {**NAMED, "organisation": desk.org["slug"], "preferred_confidant": "c-anna"}
    made = await (await desk.intake.post("/v1/cases", json=base)).json()
    case_id, code = made["case_id"], made["case_code"]
    reporter = {"Authorization": f"Bearer {made['token']}"}
    url = f"/v1/cases/{case_id}"
    for headers, text in ((reporter, "Het is weer gebeurd."), (anna, "Ik bel u morgen.")):
        said = await desk.intake.post(f"{url}/messages", headers=headers, json={"text": text})
        assert said.status == 201, await said.text()
    await desk.intake.post(f"{url}/notes", headers=anna, json={"text": "Dossier LEGACY-4411."})

    escrow = envelope.KeyPair.generate()
    sealing = await start_service("intake", INTAKE_ESCROW_PUBLIC_KEY=B64(escrow.public).decode())
    body, recovery = made_in_the_browser(PASSWORD, escrow)
    assert (await sealing.put("/v1/me/keys", headers=anna, json=body)).status == 201
    # Two more instances' rounds at the same moment as the one the keys started.
    from services.intake.domain.reseal import reseal_for

    await asyncio.gather(
        reseal_for(intake_of(sealing), "c-anna"), reseal_for(intake_of(desk.intake), "c-anna")
    )

    async def sealed_everywhere() -> bool:
        dump = b"".join(
            [
                await raw_docs(sealing, CASES, {"_id": case_id}),
                await raw_docs(sealing, MESSAGES, {"case_id": case_id}),
                await raw_docs(sealing, NOTES, {"case_id": case_id}),
            ]
        )
        return all(
            word not in dump
            for word in (b"kleineert", b"Jan de Vries", b"weer gebeurd", b"morgen", b"LEGACY")
        )

    await eventually(sealed_everywhere)
    pair = pair_of(body, recovery)
    read = await (await sealing.get(url, headers=anna)).json()
    key = case_pair(read["vault"], pair)
    assert read["text"] is None and opened(key, read["vault"]["text"]) == NAMED["text"]
    assert json.loads(opened(key, read["vault"]["contact"]))["phone"] == "+31612345678"
    assert read["contact"]["email"] == "jan.devries@example.nl"  # notify's, as it was
    assert read["contact"]["phone"] is None
    messages = (await (await sealing.get(f"{url}/messages", headers=anna)).json())["items"]
    assert [opened(key, m["sealed"]) for m in messages] == [
        "Het is weer gebeurd.",
        "Ik bel u morgen.",
    ]
    notes = (await (await sealing.get(f"{url}/notes", headers=anna)).json())["items"]
    assert [opened(key, n["sealed"]) for n in notes] == ["Dossier LEGACY-4411."]

    # The reporter's code from before still opens the case; what is written to them from
    # now on is sealed to the key it gives.
    access = await sealing.post("/v1/cases/access", json={"case_code": code})
    assert access.status == 200, await access.text()
    keys = envelope.code_keys(code)
    derived = {"code_lookup": keys.lookup.hex(), "code_secret": keys.secret.hex()}
    assert (await sealing.post("/v1/cases/access", json=derived)).status == 200
    said = await sealing.post(f"{url}/messages", headers=anna, json={"text": "Tot morgen."})
    assert said.status == 201
    mine = (await (await sealing.get(f"{url}/messages", headers=reporter)).json())["items"]
    assert opened(keys.pair, mine[-1]["sealed"]) == "Tot morgen."


async def test_a_case_is_handed_over_only_to_a_key_the_firm_certified(
    start_service: StartService, desk: Desk
) -> None:
    """With the firm's signing key set, a case is sealed to a confidant only once their key
    carries the firm's certificate; the office's hand-over waits for the key to be sealed
    on by someone who holds it, who then holds it no longer; a confidant hands over with
    the key sealed on at once."""
    escrow_pair = envelope.KeyPair.generate()
    signing = envelope.signing_public(escrow_pair.private)
    intake = await start_service(
        "intake",
        INTAKE_ESCROW_PUBLIC_KEY=B64(escrow_pair.public).decode(),
        INTAKE_FIRM_SIGNING_KEY=B64(signing).decode(),
    )
    anna, bram = desk.confidant("c-anna"), desk.confidant("c-bram")
    pairs = {}
    for who, headers in (("c-anna", anna), ("c-bram", bram)):
        body, recovery = made_in_the_browser(PASSWORD, escrow_pair)
        assert (await intake.put("/v1/me/keys", headers=headers, json=body)).status == 201
        pairs[who] = pair_of(body, recovery)
    base = {**NAMED, "organisation": desk.org["slug"]}

    async def new_case(confidant: str) -> str:
        made = await intake.post("/v1/cases", json={**base, "preferred_confidant": confidant})
        assert made.status == 201, await made.text()
        return str((await made.json())["case_id"])

    # Not certified yet: kept under the server's keys.
    early = await new_case("c-anna")
    read = await (await intake.get(f"/v1/cases/{early}", headers=anna)).json()
    assert read["vault"] is None and read["text"] == NAMED["text"]
    key = await (await intake.get("/v1/keys/c-anna", headers=bram)).json()
    assert key["certified"] is False and key["certificate"] is None

    url = "/v1/keys/{}/certificate"
    wrong = envelope.certify(escrow_pair.private, "c-bram", pairs["c-anna"].public)
    refused = await intake.put(
        url.format("c-anna"), headers=desk.admin, json={"certificate": B64(wrong).decode()}
    )
    assert refused.status == 422 and "certificate" in await refused.text()
    assert (
        await intake.put(url.format("c-anna"), headers=anna, json={"certificate": "AAAA"})
    ).status == 403
    for who in ("c-anna", "c-bram"):
        signature = envelope.certify(
            escrow_pair.private, who, pairs[who].public, envelope.message_key(pairs[who].private)
        )
        done = await intake.put(
            url.format(who), headers=desk.admin, json={"certificate": B64(signature).decode()}
        )
        assert done.status == 200 and (await done.json())["certified"] is True

    async def sealed_now() -> bool:
        return (await (await intake.get(f"/v1/cases/{early}", headers=anna)).json())[
            "vault"
        ] is not None

    await eventually(sealed_now)  # the early case, sealed once her key was certified

    # The office hands a case over: it waits for Anna's browser to seal it on.
    case_id = await new_case("c-anna")
    answer = await intake.post(
        f"/v1/cases/{case_id}/assign", headers=desk.admin, json={"confidant_id": "c-bram"}
    )
    assert answer.status == 200, await answer.text()
    waiting = await (await intake.get(f"/v1/cases/{case_id}", headers=bram)).json()
    assert waiting["vault"]["wrap"] is None
    [item] = (await (await intake.get("/v1/keys/pending", headers=anna)).json())["items"]
    assert item["case_id"] == case_id and item["holder"]["person_id"] == "c-bram"
    assert item["holder"]["certified"] is True
    assert (await (await intake.get("/v1/keys/pending", headers=bram)).json())["items"] == []
    case_key = envelope.KeyPair(
        base64.b64decode(item["public_key"]),
        envelope.open_sealed(pairs["c-anna"], base64.b64decode(item["wrap"])),
    )
    to_bram = B64(envelope.seal(pairs["c-bram"].public, case_key.private)).decode()
    seal_on = f"/v1/cases/{case_id}/wraps"
    for body, status in (
        ({"holder": "c-bram", "wrap": B64(b"\x01" + bytes(40)).decode()}, 422),
        ({"holder": "c-anna", "wrap": to_bram}, 409),
    ):
        assert (await intake.post(seal_on, headers=anna, json=body)).status == status
    assert (
        await intake.post(seal_on, headers=bram, json={"holder": "c-bram", "wrap": to_bram})
    ).status == 409
    sealed_on = await intake.post(seal_on, headers=anna, json={"holder": "c-bram", "wrap": to_bram})
    assert sealed_on.status == 200, await sealed_on.text()
    now = await (await intake.get(f"/v1/cases/{case_id}", headers=bram)).json()
    assert opened(case_pair(now["vault"], pairs["c-bram"]), now["vault"]["text"]) == NAMED["text"]
    raw = await intake_of(intake).db[CASES].find_one({"_id": case_id})
    assert raw is not None and set(raw["vault"]["wraps"]) == {"c-bram", "escrow"}
    assert "pending" not in raw["vault"]

    # Bram hands it back himself, the key sealed on to Anna in the same request.
    back = B64(envelope.seal(pairs["c-anna"].public, case_key.private)).decode()
    answer = await intake.post(
        f"/v1/cases/{case_id}/assign", headers=bram, json={"confidant_id": "c-anna", "wrap": back}
    )
    assert answer.status == 200, await answer.text()
    raw = await intake_of(intake).db[CASES].find_one({"_id": case_id})
    assert raw is not None and set(raw["vault"]["wraps"]) == {"c-anna", "escrow"}


async def test_a_confidants_signed_message_checks_out_and_a_forged_one_does_not(
    start_service: StartService, desk: Desk
) -> None:
    """The confidant's browser signs what it writes to the reporter; the reporter's page
    checks the signature with the key the firm certified. A message a server adds in the
    confidant's name has no such signature; notes and the reporter's messages are not
    signed."""
    escrow_pair = envelope.KeyPair.generate()
    intake = await start_service(
        "intake",
        INTAKE_ESCROW_PUBLIC_KEY=B64(escrow_pair.public).decode(),
        INTAKE_FIRM_SIGNING_KEY=B64(envelope.signing_public(escrow_pair.private)).decode(),
    )
    anna = desk.confidant("c-anna")
    body, recovery = made_in_the_browser(PASSWORD, escrow_pair)
    assert (await intake.put("/v1/me/keys", headers=anna, json=body)).status == 201
    mine = pair_of(body, recovery).private
    public, message_key = base64.b64decode(body["public_key"]), envelope.message_key(mine)
    certificate = envelope.certify(escrow_pair.private, "c-anna", public, message_key)
    stored = await intake.put(
        "/v1/keys/c-anna/certificate",
        headers=desk.admin,
        json={"certificate": B64(certificate).decode()},
    )
    assert stored.status == 200, await stored.text()
    made = await intake.post(
        "/v1/cases",
        json={**NAMED, "organisation": desk.org["slug"], "preferred_confidant": "c-anna"},
    )
    case_id, code = (await made.json())["case_id"], (await made.json())["case_code"]
    reporter_keys = envelope.code_keys(code)
    reporter = {"Authorization": f"Bearer {(await made.json())['token']}"}
    read = await (await intake.get(f"/v1/cases/{case_id}", headers=reporter)).json()
    vault = read["vault"]
    confidant = vault["confidant"]
    assert confidant["message_key"] == B64(message_key).decode() and confidant["certified"]

    signed = envelope.sign_message(mine, case_id, "Ik bel u dinsdag.")
    url = f"/v1/cases/{case_id}/messages"
    said = await intake.post(
        url,
        headers=anna,
        json={
            "sealed": B64(envelope.seal(base64.b64decode(vault["public_key"]), signed)).decode(),
            "reporter": B64(envelope.seal(reporter_keys.pair.public, signed)).decode(),
            "signed": True,
        },
    )
    assert said.status == 201, await said.text()
    # What a server could add in her name: sealed to the reporter, but signed by no one.
    forged = envelope.KeyPair.generate().private
    await intake.post(
        url,
        headers=anna,
        json={
            "sealed": B64(envelope.seal(base64.b64decode(vault["public_key"]), b"x")).decode(),
            "reporter": B64(
                envelope.seal(
                    reporter_keys.pair.public,
                    envelope.sign_message(forged, case_id, "Bel dit nummer."),
                )
            ).decode(),
            "signed": True,
        },
    )
    items = (await (await intake.get(url, headers=reporter)).json())["items"]
    checked = [
        envelope.signed_message(
            base64.b64decode(confidant["message_key"]),
            case_id,
            envelope.open_sealed(reporter_keys.pair, base64.b64decode(m["sealed"])),
        )
        for m in items
    ]
    assert [m["signed"] for m in items] == [True, True]
    assert checked == ["Ik bel u dinsdag.", None]
    assert envelope.certified(
        envelope.signing_public(escrow_pair.private),
        "c-anna",
        base64.b64decode(confidant["public_key"]),
        base64.b64decode(confidant["certificate"]),
        base64.b64decode(confidant["message_key"]),
    )
    # Only a confidant's message is signed.
    sealed_text = B64(envelope.seal(base64.b64decode(vault["public_key"]), b"y")).decode()
    for headers, path in ((reporter, url), (anna, f"/v1/cases/{case_id}/notes")):
        refused = await intake.post(
            path, headers=headers, json={"sealed": sealed_text, "signed": True}
        )
        assert refused.status == 422 and "signed" in await refused.text()


async def test_a_confidant_who_leaves_keeps_no_key_of_cases_not_theirs(
    sealed: Sealed, desk: Desk
) -> None:
    """Anna's case handed over by the office (waiting for her browser to seal it on) and
    one still hers: when the organisation lets her go, the first loses her wrap (escrow's
    stays, for the ceremony); the one still assigned to her keeps it until handed over."""
    base = {**NAMED, "organisation": desk.org["slug"], "preferred_confidant": "c-anna"}
    handed, kept = [
        (await (await sealed.intake.post("/v1/cases", json=base)).json())["case_id"]
        for _ in range(2)
    ]
    moved = await sealed.intake.post(
        f"/v1/cases/{handed}/assign", headers=desk.admin, json={"confidant_id": "c-bram"}
    )
    assert moved.status == 200, await moved.text()
    cases = intake_of(sealed.intake).db[CASES]
    before = await cases.find_one({"_id": handed})
    assert before is not None and set(before["vault"]["wraps"]) == {"c-anna", "escrow"}
    changed = await sealed.intake.patch(
        f"/v1/orgs/{desk.org['id']}", headers=desk.admin, json={"confidant_ids": ["c-bram"]}
    )
    assert changed.status == 200, await changed.text()
    after = await cases.find_one({"_id": handed})
    assert after is not None and set(after["vault"]["wraps"]) == {"escrow"}
    assert after["vault"]["pending"] == "c-bram"
    assert after["vault"]["rotate"] is True  # its next holder's browser replaces the key
    still = await cases.find_one({"_id": kept})
    assert still is not None and set(still["vault"]["wraps"]) == {"c-anna", "escrow"}


async def test_a_new_case_key_is_taken_only_from_its_confidant_and_for_the_key_it_has(
    sealed: Sealed, desk: Desk
) -> None:
    anna, bram = desk.confidant("c-anna"), desk.confidant("c-bram")
    made = await sealed.intake.post(
        "/v1/cases",
        json={**NAMED, "organisation": desk.org["slug"], "preferred_confidant": "c-anna"},
    )
    case_id = (await made.json())["case_id"]
    read = await (await sealed.intake.get(f"/v1/cases/{case_id}", headers=anna)).json()
    old = case_pair(read["vault"], sealed.anna)
    new = envelope.KeyPair.generate()

    def sealed_key(to: bytes, key: bytes) -> str:
        return B64(envelope.seal(to, key)).decode()

    body = {
        "from_key": read["vault"]["public_key"],
        "public_key": B64(new.public).decode(),
        "wrap": sealed_key(sealed.anna.public, new.private),
        "escrow": sealed_key(sealed.escrow.public, new.private),
        "by_next": sealed_key(new.public, old.private),
    }
    url = f"/v1/cases/{case_id}/key"
    assert (await sealed.intake.post(url, headers=bram, json=body)).status == 404
    stale = {**body, "from_key": B64(new.public).decode()}
    assert (await sealed.intake.post(url, headers=anna, json=stale)).status == 409
    short = {**body, "wrap": B64(b"\x01" + bytes(60)).decode()}
    assert (await sealed.intake.post(url, headers=anna, json=short)).status == 422
    done = await sealed.intake.post(url, headers=anna, json=body)
    assert done.status == 200, await done.text()
    again = await (await sealed.intake.get(f"/v1/cases/{case_id}", headers=anna)).json()
    assert again["vault"]["public_key"] == B64(new.public).decode()
    [earlier] = again["vault"]["previous"]
    chained = envelope.open_sealed(
        case_pair(again["vault"], sealed.anna), base64.b64decode(earlier["by_next"])
    )
    assert chained == old.private
    assert opened(old, again["vault"]["text"]) == NAMED["text"]  # sealed before: the old key
    # The same rotation again: its key is not the case's any more.
    assert (await sealed.intake.post(url, headers=anna, json=body)).status == 409


async def test_the_server_keys_that_sealed_case_content_are_retired_once_none_is_left(
    start_service: StartService,
    desk: Desk,
    service_env: dict[str, str],
    keys: Keys,
    tmp_path: Path,
) -> None:
    """``python -m services.intake.rotate --retire``: refused while a case is under the
    server's keys; once all are sealed to their own, a new data key, what remains under the
    server's keys re-encrypted to it, and the old keys deleted from the file."""
    key_file = tmp_path / "data-keys.json"
    shutil.copyfile(keys.secrets_env["INTAKE_DATA_KEYS_FILE"], key_file)
    env = {"INTAKE_DATA_KEYS_FILE": str(key_file)}
    before = await start_service("intake", **env)
    base = {**NAMED, "organisation": desk.org["slug"], "preferred_confidant": "c-anna"}
    made = await (await before.post("/v1/cases", json=base)).json()
    settings = IntakeSettings.from_env({**service_env, **env})
    old_kid = DataKeys.load(key_file).current
    with pytest.raises(NotYet, match="1 cases"):
        await retire(settings)
    assert DataKeys.load(key_file).current == old_kid  # nothing changed

    escrow = envelope.KeyPair.generate()
    sealing = await start_service(
        "intake", INTAKE_ESCROW_PUBLIC_KEY=B64(escrow.public).decode(), **env
    )
    body, _ = made_in_the_browser(PASSWORD, escrow)
    anna = desk.confidant("c-anna")
    assert (await sealing.put("/v1/me/keys", headers=anna, json=body)).status == 201

    async def none_left() -> bool:
        read = await (await sealing.get(f"/v1/cases/{made['case_id']}", headers=anna)).json()
        return read["vault"] is not None

    await eventually(none_left)
    kid, count, gone = await retire(settings)
    kept = DataKeys.load(key_file)
    assert kid != old_kid and gone == [old_kid] and set(kept.keys) == {kid}
    assert count >= 1  # the notification address, now under the new key
    raw = await intake_of(sealing).db[CASES].find_one({"_id": made["case_id"]})
    assert raw is not None and raw["contact"]["email"]["k"] == kid
    opened_email = FieldCipher(kept).open(
        raw["contact"]["email"], doc_id=made["case_id"], field="contact.email"
    )
    assert opened_email == "jan.devries@example.nl"
