"""A server breach reveals no case content (issue 26).

Every way in is seeded with markers of its own: a report through the site (its code made as
the reporter's browser makes it), a mail, a WhatsApp message, a call registered by the
confidant, a case from before the confidant had keys, messages both ways and notes. Then
the stack stops, and the test takes everything the server had: FerretDB's files, the
JetStream store, Radicale's and Dovecot's folders, the key and data files, the services'
log, the temporary files and the environment. The attacker (``attacker.py``) finds no
marker in any form, with every key it can find tried on every envelope; only the addresses
notify writes to (allowed, under the server's keys) are found, which shows it opens what
the server's keys seal. Handed a confidant's password, her recovery kit, the escrow shares
or a reporter's code, the same attacker finds what each opens.

The attacker also reads values sealed under the server's keys out of freed database pages,
trying every document id it finds: without FerretDB's ``secure_delete`` (deploy/stack/
database.py) it finds the WhatsApp message in the webhook kept for a moment before it was
stored, which is why SQLite zeroes what it frees.

What is not taken: the SMTP sink's folder, which stands for the reporters' own inboxes (a
relayed answer is meant to arrive there), and the WhatsApp stand-in (Meta's servers)."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploy import escrow
from deploy import whatsapp_standin as wa
from deploy.stack.infra import Infra
from shared import envelope
from tests.breach.attacker import Secrets, attack
from tests.conftest import Isolation, Keys, StartService
from tests.polling import eventually
from tests.scene import make_org
from tests.services.intake import mailtools
from tests.services.intake.conftest import Client, bearer
from tests.services.intake.test_keys import made_in_the_browser, pair_of
from tests.services.intake.test_whatsapp_channel import NUMBER_ID, SECRET, graph, secrets_env

__all__ = ["graph"]  # a fixture used here
B64 = base64.b64encode
PASSWORD = "een lang genoeg wachtwoord voor de inbraaktest"

# What each way in says, each word its own.
WEB = "MRK-WEB-1f9c pestgedrag op de afdeling"
NAME = "MRK-NAME-77ad"
PHONE_NUMBER = "+31655501234"
LEGACY = "MRK-LEGACY-4be0 een melding van voor de sleutels"
MAIL = "MRK-MAIL-c3d1 mijn manager schreeuwt"
SUBJECT = "MRK-SUBJ-08e2"
MAIL_NAME = "MRK-MAILNAME-5a"
MAIL_ANSWER = "MRK-MAILANSWER-9d4 bel me gerust"
WHATSAPP = "MRK-WA-2e6f ik durf het niet te zeggen"
WHATSAPP_NAME = "MRK-WANAME-61"
CALL = "MRK-CALL-b8a0 belde over intimidatie"
TO_REPORTER = "MRK-TOREP-3c77 zullen we praten?"
FROM_REPORTER = "MRK-FROMREP-e51a graag, dinsdag"
NOTE = "MRK-NOTE-4d2c eerst rooster bekijken"
CALL_NOTE = "MRK-CALLNOTE-0b9e terugbellen vrijdag"
REFERRAL = "MRK-REFERRAL-6f1 huisarts De Linde"
REOPENED = "MRK-REOPEN-a93 het begon weer"
CONTENT = [
    WEB, NAME, PHONE_NUMBER, LEGACY, MAIL, SUBJECT, MAIL_NAME, MAIL_ANSWER, WHATSAPP,
    WHATSAPP_NAME, CALL, TO_REPORTER, FROM_REPORTER, NOTE, CALL_NOTE, REFERRAL, REOPENED,
]  # fmt: skip
# The addresses notify writes to: kept under the server's keys by necessity.
WEB_EMAIL = "melder.inbraak@example.nl"
MAIL_SENDER = "afzender.inbraak@example.nl"
WHATSAPP_SENDER = "31687654321"
ALLOWED = [WEB_EMAIL, MAIL_SENDER, WHATSAPP_SENDER]
# What the reporter of the web case reads with their code.
REPORTER_READS = {WEB, TO_REPORTER, FROM_REPORTER}


async def test_everything_the_server_had_reveals_no_case_content(
    start_service: StartService,
    token: Callable[..., str],
    infra: Infra,
    stack_dir: Path,
    keys: Keys,
    isolation: Isolation,
    service_env: dict[str, str],
    graph: tuple[wa.GraphStandIn, str],
    tmp_path: Path,
) -> None:
    loot = tmp_path / "loot"
    root = logging.getLogger()
    handler, level = logging.FileHandler(tmp_path / "services.log"), root.level
    handler.setLevel(logging.INFO)  # what a deployment logs
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        firm = envelope.KeyPair.generate()
        shares = escrow.split(firm)
        secrets, services = await seed(
            start_service, token, infra, isolation, graph, tmp_path, firm
        )
        # Stop everything: the services, then the servers, so that the files are as a
        # stopped server leaves them.
        for service in services:
            await service.close()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()
    for process in reversed(infra.processes):
        process.stop()
    taken = {
        "stack": stack_dir,  # FerretDB, JetStream, Radicale, Dovecot, their logs
        "keys": keys.directory,  # the data keys, the token signing key
        "temporary": tmp_path,  # the services' log, the WhatsApp secrets' files
    }
    for name, source in taken.items():
        copy_files(source, loot / name)
    (loot / "environment.json").write_text(json.dumps({**os.environ, **service_env}))
    assert (loot / "temporary" / "services.log").stat().st_size > 0
    for process in infra.processes:  # (up again for the fixtures that clean up)
        process.start()
    for process in infra.processes:
        process.wait_ready(60)

    markers = [*CONTENT, *ALLOWED]
    found = attack(loot, markers)
    assert found.markers == set(ALLOWED), found
    assert found.envelopes >= 20 and found.server_sealed >= 3, found

    # The positive control: each secret a reader holds opens what it should.
    everything = set(CONTENT)
    by_password = attack(loot, markers, Secrets(password=PASSWORD))
    assert by_password.markers >= everything, everything - by_password.markers
    by_kit = attack(loot, markers, Secrets(kit=secrets["kit"]))
    assert by_kit.markers >= everything, everything - by_kit.markers
    by_escrow = attack(loot, markers, Secrets(shares=shares[:2]))
    assert by_escrow.markers >= everything, everything - by_escrow.markers
    by_code = attack(loot, markers, Secrets(code=secrets["code"]))
    assert by_code.markers - set(ALLOWED) == REPORTER_READS, by_code


async def seed(
    start_service: StartService,
    token: Callable[..., str],
    infra: Infra,
    isolation: Isolation,
    graph: tuple[wa.GraphStandIn, str],
    tmp_path: Path,
    firm: envelope.KeyPair,
) -> tuple[dict[str, str], list[Client]]:
    """Every way in, with its markers; returns the recovery kit and the web report's code,
    and the services."""
    admin = bearer(token("admin", "intake"))
    standin, graph_url = graph
    smtp = {"SMTP_HOST": infra.smtp_host, "SMTP_PORT": str(infra.smtp_port)}
    before = await start_service("intake", **smtp)
    org = await make_org(before, token)
    anna = bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna"))
    legacy = await before.post(
        "/v1/cases",
        json={
            "organisation": "zorggroep-noord",
            "category": "pesten",
            "anonymous": True,
            "text": LEGACY,
        },
    )
    assert legacy.status == 201, await legacy.text()
    await before.close()  # (it would read the mailbox too, as a service without sealing)

    intake = await start_service(
        "intake",
        INTAKE_ESCROW_PUBLIC_KEY=B64(firm.public).decode(),
        **smtp,
        **secrets_env(tmp_path, graph_url),
    )
    body, recovery = made_in_the_browser(PASSWORD, firm)
    assert (await intake.put("/v1/me/keys", headers=anna, json=body)).status == 201
    kit = kit_of(recovery)
    address = f"{isolation.tag}@vertrouwenspersonen.example"
    mailtools.add_mailbox(infra, address)
    channels = {
        "mailbox": {"address": address, "username": address, "password": mailtools.PASSWORD},
        "whatsapp_phone_number_id": NUMBER_ID,
    }
    put = await intake.put(f"/v1/orgs/{org['id']}/channels", headers=admin, json=channels)
    assert put.status == 200, await put.text()

    # The site: the code made in the browser, which sends what it derives.
    code = "R7KM-2QWX-9PTD-4HVN-B3CZ"
    derived = envelope.code_keys(code)
    web = await intake.post(
        "/v1/cases",
        json={
            "organisation": "zorggroep-noord",
            "category": "pesten",
            "anonymous": False,
            "text": WEB,
            "contact": {"name": NAME, "email": WEB_EMAIL, "phone": PHONE_NUMBER},
            "case_code": False,
            "reporter_keys": {
                "lookup": derived.lookup.hex(),
                "check": hashlib.sha256(derived.secret).hexdigest(),
                "public_key": B64(derived.pair.public).decode(),
            },
        },
    )
    assert web.status == 201, await web.text()
    web_case = (await web.json())["case_id"]

    # A mail, a WhatsApp message, a call registered by the confidant.
    mail = mailtools.plain(f"{MAIL_NAME} <{MAIL_SENDER}>", address, SUBJECT, MAIL)
    await mailtools.deliver(infra, address, mail.as_bytes())
    payload = wa.incoming(NUMBER_ID, WHATSAPP_SENDER, WHATSAPP_NAME, text=WHATSAPP)
    data, headers = wa.signed(SECRET, payload)
    assert (
        await intake.post("/v1/channels/whatsapp/webhook", data=data, headers=headers)
    ).status == 200
    call = await intake.post(
        "/v1/cases",
        headers=anna,
        json={
            "organisation": "zorggroep-noord",
            "category": "intimidatie",
            "channel": "phone",
            "anonymous": True,
            "preferred_confidant": "c-anna",
            "text": CALL,
        },
    )
    assert call.status == 201, await call.text()
    call_case = (await call.json())["case_id"]

    async def cases() -> dict[str, dict[str, Any]]:
        listed = await (await intake.get("/v1/cases", headers=anna)).json()
        return {c["channel"]: c for c in listed["items"]}

    async def all_in() -> bool:
        return {"web", "email", "whatsapp", "phone"} <= (await cases()).keys()

    await eventually(all_in, within=30)
    mail_case = (await cases())["email"]["case_id"]

    # Messages both ways (the confidant's sealed in her browser), notes, a relayed answer.
    read = await (await intake.get(f"/v1/cases/{web_case}", headers=anna)).json()
    pair = pair_of(body, recovery)
    case_public = base64.b64decode(read["vault"]["public_key"])
    assert envelope.open_sealed(pair, base64.b64decode(read["vault"]["wrap"]))

    def sealed(public: bytes, text: str) -> str:
        return B64(envelope.seal(public, text.encode())).decode()

    said = await intake.post(
        f"/v1/cases/{web_case}/messages",
        headers=anna,
        json={
            "sealed": sealed(case_public, TO_REPORTER),
            "reporter": sealed(derived.pair.public, TO_REPORTER),
        },
    )
    assert said.status == 201, await said.text()
    access = await intake.post(
        "/v1/cases/access",
        json={"code_lookup": derived.lookup.hex(), "code_secret": derived.secret.hex()},
    )
    reporter = bearer((await access.json())["token"])
    back = await intake.post(
        f"/v1/cases/{web_case}/messages", headers=reporter, json={"text": FROM_REPORTER}
    )
    assert back.status == 201, await back.text()
    for case_id, note in (
        (web_case, {"sealed": sealed(case_public, NOTE)}),
        (call_case, {"text": CALL_NOTE}),
    ):
        kept = await intake.post(f"/v1/cases/{case_id}/notes", headers=anna, json=note)
        assert kept.status == 201, await kept.text()
    # The call's case closed with a referral in the confidant's words, then taken up again.
    closing = {"status": "closed", "outcome": "referral", "referral_to": REFERRAL}
    closed = await intake.patch(f"/v1/cases/{call_case}", headers=anna, json=closing)
    assert closed.status == 200, await closed.text()
    reopened = await intake.post(
        f"/v1/cases/{call_case}/reopen", headers=anna, json={"reason": REOPENED}
    )
    assert reopened.status == 200, await reopened.text()
    answer = await intake.post(
        f"/v1/cases/{mail_case}/messages", headers=anna, json={"text": MAIL_ANSWER}
    )
    assert answer.status == 201, await answer.text()

    async def settled() -> bool:
        """The answer relayed (its copy for the relay gone), the old case sealed, the mail
        out of the mailbox."""
        messages = await (await intake.get(f"/v1/cases/{mail_case}/messages", headers=anna)).json()
        relayed = all(m["delivery"]["state"] == "sent" for m in messages["items"] if m["delivery"])
        old = [c for c in (await (await intake.get("/v1/cases", headers=anna)).json())["items"]]
        unsealed = [
            c
            for c in old
            if (await (await intake.get(f"/v1/cases/{c['case_id']}", headers=anna)).json())["vault"]
            is None
        ]
        mailbox = await mailtools.count(infra, address, "INBOX") + max(
            0, await mailtools.count(infra, address, "Processed")
        )
        return relayed and not unsealed and mailbox == 0

    await eventually(settled, within=30)
    assert any(m["to"] == WHATSAPP_SENDER for m in standin.sent)  # the acknowledgement
    return {"kit": kit, "code": code}, [intake]


def copy_files(source: Path, target: Path) -> None:
    """Every regular file under ``source`` (sockets and pipes hold nothing at rest), but the
    SMTP sink's folder (the reporters' inboxes) and the loot itself."""
    for path in source.rglob("*"):
        parts = path.relative_to(source).parts
        if parts[0] in ("mail", "loot") or not path.is_file() or path.is_symlink():
            continue
        (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / path.relative_to(source))


def kit_of(recovery: bytes) -> str:
    """The recovery key as the kit shows it (shared/static/keys.js toKit)."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    bits = "".join(f"{byte:08b}" for byte in recovery)
    bits += "0" * (-len(bits) % 5)
    chars = "".join(alphabet[int(bits[i : i + 5], 2)] for i in range(0, len(bits), 5))
    return "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))
