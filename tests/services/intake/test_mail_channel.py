"""E-mail in and out, against a real Dovecot (IMAP, LMTP) and a real SMTP server: a mail
becomes a case with an acknowledgement in its thread; a reply becomes a message on it; the
confidant's answer goes back in the same thread; machine mail is set aside; nothing is read
twice or lost when reading fails half-way."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import json_util

from deploy.stack.infra import Infra
from services.intake.channels import incoming as channels
from services.intake.channels import mailbox
from services.intake.domain import jobs
from services.intake.store.collections import CASES, CHANNEL_CLAIMS, MESSAGES, THREADS
from services.intake.store.documents import organisations
from shared import envelope
from tests.conftest import Isolation, StartService
from tests.polling import eventually
from tests.services.intake import mailtools
from tests.services.intake.conftest import Client, Workspace, bearer, state, stream_events

# notify's SMTP server, which also checks that no mail carries a word of the report
from tests.services.notify.conftest import Inbox, Received, inbox

__all__ = ["inbox"]  # a fixture used here

REPORTER = "Jan de Vries <jan.devries@example.nl>"
JAN = "jan.devries@example.nl"
STORY = "Mijn leidinggevende Piet Jansen kleineert mij elke week in het teamoverleg."


@dataclass
class MailWorld(Workspace):
    intake: Client
    org: dict[str, Any]
    address: str
    inbox: Inbox
    infra: Infra
    anna: dict[str, str]
    admin: dict[str, str]

    async def case(self, case_id: str) -> dict[str, Any]:
        response = await self.intake.get(f"/v1/cases/{case_id}", headers=self.anna)
        assert response.status == 200
        found: dict[str, Any] = await response.json()
        return found

    async def one_case(self, within: float = 15) -> dict[str, Any]:
        async def there() -> bool:
            return len(await self.cases()) == 1

        await eventually(there, within)
        return (await self.cases())[0]

    async def mail_to(self, address: str, n: int = 1) -> list[Received]:
        async def arrived() -> bool:
            return len(self.inbox.to(address)) >= n

        await eventually(arrived)
        return self.inbox.to(address)


async def _setup(
    start_service: StartService,
    token: Callable[..., str],
    inbox: Inbox,
    infra: Infra,
    isolation: Isolation,
    instances: int = 1,
    **settings: str,
) -> list[MailWorld]:
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(inbox.port), **settings}
    clients = [await start_service("intake", **env) for _ in range(instances)]
    admin = bearer(token("admin", "intake"))
    created = await clients[0].post(
        "/v1/orgs",
        headers=admin,
        json={"name": "Zorggroep Noord", "slug": "zorggroep-noord", "confidant_ids": ["c-anna"]},
    )
    org = await created.json()
    address = f"{isolation.tag}@vertrouwenspersonen.example"
    mailtools.add_mailbox(infra, address)
    put = await clients[0].put(
        f"/v1/orgs/{org['id']}/channels",
        headers=admin,
        json={"mailbox": {"address": address, "username": address, "password": mailtools.PASSWORD}},
    )
    assert put.status == 200, await put.text()
    anna = bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna"))
    worlds = [MailWorld(c, org, address, inbox, infra, anna, admin) for c in clients]

    async def connected() -> bool:
        view = await (await clients[0].get(f"/v1/orgs/{org['id']}/channels", headers=admin)).json()
        return bool(view["mailbox"]["connected"])

    await eventually(connected)
    return worlds


@pytest.fixture
async def worlds(
    start_service: StartService,
    token: Callable[..., str],
    inbox: Inbox,
    infra: Infra,
    isolation: Isolation,
) -> Callable[..., Awaitable[list[MailWorld]]]:
    """``await worlds(instances=2, **settings)``: intake instances on one mailbox."""

    async def made(instances: int = 1, **settings: str) -> list[MailWorld]:
        return await _setup(start_service, token, inbox, infra, isolation, instances, **settings)

    return made


@pytest.fixture
async def world(worlds: Callable[..., Awaitable[list[MailWorld]]]) -> MailWorld:
    return (await worlds())[0]


async def test_a_mail_becomes_a_case_acknowledged_in_its_thread(world: MailWorld) -> None:
    sent = mailtools.plain(REPORTER, world.address, "Ongewenst gedrag", STORY)
    await mailtools.deliver(world.infra, world.address, sent.as_bytes())

    found = await world.one_case()
    assert found["channel"] == "email" and found["confidant_id"] == "c-anna"
    case = await world.case(found["case_id"])
    assert STORY in case["text"] and "Ongewenst gedrag" in case["text"]
    assert case["contact"]["email"] == JAN and case["contact"]["name"] == "Jan de Vries"
    assert case["contact"]["preferred_channel"] == "email"

    [ack] = await world.mail_to(JAN)
    assert ack.message["In-Reply-To"] == sent["Message-ID"]
    assert found["reference"] in str(ack.message["Subject"])
    assert ack.message["Auto-Submitted"] == "auto-replied"
    assert str(ack.message["From"]).endswith(f"<{world.address}>")
    assert found["reference"] in ack.text() and "twee werkdagen" in ack.text()
    # Stored, then moved out of INBOX: nothing is read again.
    assert await mailtools.count(world.infra, world.address, "INBOX") == 0
    assert await mailtools.count(world.infra, world.address, "Processed") == 1
    # No second confirmation from notify's side: the event says intake acknowledged it.
    [messages] = [await world.messages(found["case_id"])]
    assert [m["author"] for m in messages] == ["system"]

    async def delivered() -> bool:
        return bool((await world.messages(found["case_id"]))[0]["delivery"]["state"] == "sent")

    await eventually(delivered)


async def test_replies_go_both_ways_in_one_thread(world: MailWorld) -> None:
    first = mailtools.plain(REPORTER, world.address, "Melding", STORY)
    await mailtools.deliver(world.infra, world.address, first.as_bytes())
    case = await world.one_case()
    [ack] = await world.mail_to(JAN)

    reply = mailtools.plain(
        REPORTER,
        world.address,
        "Re: Melding",
        "Het gebeurde weer op dinsdag.\n\nOn Mon, 1 Dec 2026, Vertrouwd wrote:\n> Uw melding",
        in_reply_to=str(ack.message["Message-ID"]),
    )
    await mailtools.deliver(world.infra, world.address, reply.as_bytes())

    async def appended() -> bool:
        return len(await world.messages(case["case_id"])) == 2

    await eventually(appended)
    messages = await world.messages(case["case_id"])
    assert messages[1]["author"] == "reporter"
    assert messages[1]["text"] == "Het gebeurde weer op dinsdag."  # the quote left out
    assert len(await world.cases()) == 1

    await world.answer(case["case_id"], "Zullen we donderdag bellen?")
    sent = await world.mail_to(JAN, 2)
    back = sent[1].message
    assert back["In-Reply-To"] == reply["Message-ID"]
    assert reply["Message-ID"] in str(back["References"])
    assert "Zullen we donderdag bellen?" in sent[1].text()
    assert back["Auto-Submitted"] is None  # a person wrote this one

    # The same subject without a reference is a new case (never matched by subject alone),
    # and a reference from another address is not that reporter's thread either.
    again = mailtools.plain(REPORTER, world.address, "Re: Melding", "Nog iets anders.")
    stranger = mailtools.plain(
        "Kees <kees@example.nl>",
        world.address,
        "Re: Melding",
        "Ik lees mee.",
        in_reply_to=str(ack.message["Message-ID"]),
    )
    await mailtools.deliver(world.infra, world.address, again.as_bytes())
    await mailtools.deliver(world.infra, world.address, stranger.as_bytes())

    async def three() -> bool:
        return len(await world.cases()) == 3

    await eventually(three)
    assert len(await world.messages(case["case_id"])) == 3  # ack, reply, answer


async def test_real_world_shapes_become_readable_cases(world: MailWorld) -> None:
    to = world.address
    inner = mailtools.plain("Piet <piet@example.nl>", "jan@example.nl", "Rooster", "Jij weer?!")
    shapes: list[tuple[bytes, str]] = [
        (
            mailtools.alternative(
                "a@example.nl", to, "Tekst in platte vorm.", "<p>Tekst in <b>HTML</b>.</p>"
            ).as_bytes(),
            "Tekst in platte vorm.",
        ),
        (
            mailtools.html_only(
                "b@example.nl",
                to,
                "<html><head><style>p{}</style></head><body><p>Alleen&nbsp;HTML</p>"
                "<p>tweede alinea</p><script>x()</script></body></html>",
            ).as_bytes(),
            "Alleen HTML\n\ntweede alinea",
        ),
        (
            mailtools.latin1_quoted_printable("c@example.nl", to, "Café de collega's: ça va"),
            "Café de collega's: ça va",
        ),
        (
            mailtools.forwarded("d@example.nl", to, "Kijk wat ik kreeg:", inner),
            "Jij weer?!",
        ),
        (
            mailtools.with_attachment("e@example.nl", to, "Zie bijlage.", 10 * 1024 * 1024),
            "Bijlagen niet bewaard: opname.bin",
        ),
    ]
    for raw, _ in shapes:
        await mailtools.deliver(world.infra, to, raw)
    # Machine mail: a bounce of one of our replies and an out-of-office; neither is a case.
    await mailtools.deliver(
        world.infra, to, mailtools.bounce(to, mailtools.plain(to, JAN, "Re: x", "y"))
    )
    await mailtools.append(world.infra, to, mailtools.auto_reply("f@example.nl", to))

    async def all_there() -> bool:
        return len(await world.cases()) == len(shapes)

    await eventually(all_there, 30)

    async def set_aside() -> bool:
        return await mailtools.count(world.infra, to, "Ignored") == 2

    await eventually(set_aside)
    texts = [(await world.case(c["case_id"]))["text"] for c in await world.cases()]
    for _, expected in shapes:
        assert any(expected in t for t in texts), (expected, texts)
    assert not any("<b>" in t or "x()" in t or "p{}" in t for t in texts)
    assert await mailtools.count(world.infra, to, "INBOX") == 0
    assert await mailtools.count(world.infra, to, "Processed") == len(shapes)
    # Only people get an acknowledgement: five, none to the machines.
    await world.mail_to("e@example.nl")
    assert not world.inbox.to("f@example.nl") and not world.inbox.to("mailer-daemon")


async def test_a_mail_read_but_not_stored_is_stored_later_and_once(
    world: MailWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = channels.receive
    failures = {"left": 2}

    async def dies_first(*args: Any, **kwargs: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("intake stopped between reading and storing")
        return await real(*args, **kwargs)

    monkeypatch.setattr(channels, "receive", dies_first)
    sent = mailtools.plain(REPORTER, world.address, "Melding", STORY)
    await mailtools.deliver(world.infra, world.address, sent.as_bytes())
    # The failed readings left it in INBOX; the watcher reconnects and stores it.
    await world.one_case()
    assert failures["left"] == 0

    # Read again after it was stored (a crash between storing and moving): no second case,
    # no second acknowledgement.
    intake = state(world.intake)
    org = await organisations(intake.db).find_one({"_id": world.org["id"]})
    assert org is not None
    assert await mailbox.take(intake, org, sent.as_bytes()) == mailbox.PROCESSED
    assert len(await world.cases()) == 1
    await world.mail_to(JAN)
    assert await intake.db[MESSAGES].count_documents({"author": "system"}) == 1
    assert len(world.inbox.to(JAN)) == 1


async def test_two_instances_on_one_mailbox_make_each_case_once(
    worlds: Callable[..., Awaitable[list[MailWorld]]],
) -> None:
    both = await worlds(instances=2)
    world = both[0]
    senders = [f"melder{i}@example.nl" for i in range(20)]
    for sender in senders:
        raw = mailtools.plain(sender, world.address, "Melding", f"Verhaal van {sender}")
        await mailtools.deliver(world.infra, world.address, raw.as_bytes())

    async def all_cases() -> bool:
        return len(await world.cases()) == len(senders)

    await eventually(all_cases, 30)

    async def all_acknowledged() -> bool:
        return all(world.inbox.to(s) for s in senders)

    await eventually(all_acknowledged)
    assert sorted(r.recipients[0] for r in world.inbox.received) == sorted(senders)  # once each
    db = state(world.intake).db
    assert await db[CASES].count_documents({}) == len(senders)


async def test_mail_contents_stay_in_intake_sealed(
    world: MailWorld, isolation: Isolation, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # The subject comes back in the thread ("Re: ..."), as mail programs thread by it.
    sent = mailtools.plain(REPORTER, world.address, "Vertrouwelijk", STORY)
    await mailtools.deliver(world.infra, world.address, sent.as_bytes())
    case = await world.one_case()
    await world.mail_to(JAN)
    db = state(world.intake).db
    dump = ""
    for name in await db.list_collection_names():
        dump += json_util.dumps(await db[name].find({}).to_list(10_000))
    assert case["case_id"] in dump  # the right database
    events = json.dumps(await stream_events(world.infra, isolation))
    assert case["case_id"] in events
    # Every line the suite's processes logged (the test's own SMTP server aside: "mail.log").
    logs = "\n".join(
        f"{r.getMessage()} {r.__dict__}" for r in caplog.records if r.name != "mail.log"
    )
    for secret in ("Jan de Vries", JAN, "Piet Jansen", "kleineert", str(sent["Message-ID"])):
        assert secret not in dump, f"{secret!r} in the database"
        assert secret not in events, f"{secret!r} on the stream"
        assert secret not in logs, f"{secret!r} in the logs"


async def test_channel_settings_are_for_admins_and_checked(world: MailWorld) -> None:
    url = f"/v1/orgs/{world.org['id']}/channels"
    assert (await world.intake.get(url, headers=world.anna)).status == 403
    assert (await world.intake.get(url)).status == 401
    bad = await world.intake.put(
        url, headers=world.admin, json={"mailbox": {"address": "geen-adres", "username": "x"}}
    )
    assert bad.status == 422
    fields = (await bad.json())["error"]["fields"]
    assert "mailbox.address" in fields and "mailbox.password" in fields
    view = await (await world.intake.get(url, headers=world.admin)).json()
    assert view["mailbox"]["address"] == world.address and "password" not in view["mailbox"]
    # One channel set: the other stays as it was; named as null, it is switched off.
    whatsapp = await world.intake.put(
        url, headers=world.admin, json={"whatsapp_phone_number_id": "106540352242922"}
    )
    assert whatsapp.status == 200, await whatsapp.text()
    both = await whatsapp.json()
    assert both["mailbox"]["address"] == world.address
    assert both["whatsapp_phone_number_id"] == "106540352242922"
    off = await world.intake.put(url, headers=world.admin, json={"whatsapp_phone_number_id": None})
    assert (await off.json())["whatsapp_phone_number_id"] is None
    assert (await off.json())["mailbox"]["address"] == world.address


async def test_a_mail_report_recategorised_gets_the_deadlines_from_the_day_it_came(
    world: MailWorld, isolation: Isolation
) -> None:
    sent = mailtools.plain(REPORTER, world.address, "Fraude", "De directeur sjoemelt.")
    await mailtools.deliver(world.infra, world.address, sent.as_bytes())
    found = await world.one_case()
    assert found["category"] == "anders" and set(found["deadlines"]) == {"first_contact"}
    url = f"/v1/cases/{found['case_id']}"
    wrong = await world.intake.patch(url, headers=world.anna, json={"subtype": "fraude"})
    assert wrong.status == 422
    changed = await world.intake.patch(
        url,
        headers=world.anna,
        json={"category": "integriteit", "subtype": "fraude", "status": "in_contact"},
    )
    assert changed.status == 200, await changed.text()
    case = await changed.json()
    assert case["category"] == "integriteit" and case["subtype"] == "fraude"
    opened = datetime.fromisoformat(found["created_at"])
    ack = case["deadlines"]["acknowledgement"]
    assert datetime.fromisoformat(ack["due"]) == opened + timedelta(days=7)
    assert ack["met_at"] is not None  # the status change answered the reporter
    events = await stream_events(world.infra, isolation)
    [categorised] = [e for e in events if e["type"] == "intake.case.categorised"]
    assert categorised["data"]["previous"] == "anders"
    told = datetime.fromisoformat(categorised["data"]["acknowledge_by"])
    assert told == datetime.fromisoformat(ack["due"])


async def test_retention_purges_the_channel_traces_with_the_case(world: MailWorld) -> None:
    sent = mailtools.plain(REPORTER, world.address, "Melding", STORY)
    await mailtools.deliver(world.infra, world.address, sent.as_bytes())
    found = await world.one_case()
    await world.mail_to(JAN)
    intake = state(world.intake)
    db = intake.db
    assert await db[THREADS].count_documents({"case_id": found["case_id"]}) == 2  # in and ack
    assert await db[CHANNEL_CLAIMS].count_documents({"case_id": found["case_id"]}) == 1
    closed = await world.intake.patch(
        f"/v1/cases/{found['case_id']}",
        headers=world.anna,
        json={"status": "closed", "outcome": "listening_ear"},
    )
    assert closed.status == 200
    later = datetime.now(UTC) + timedelta(days=400)
    assert (await jobs.run_all(intake, now=later))["purged"] == 1
    case = await db[CASES].find_one({"_id": found["case_id"]})
    assert case is not None
    assert not {"contact", "text", "mail_thread", "channel_key"} & set(case)
    assert await db[THREADS].count_documents({"case_id": found["case_id"]}) == 0
    assert await db[CHANNEL_CLAIMS].count_documents({"case_id": found["case_id"]}) == 0
    assert await db[MESSAGES].count_documents({"case_id": found["case_id"]}) == 0


async def test_a_server_without_idle_is_polled(
    worlds: Callable[..., Awaitable[list[MailWorld]]],
) -> None:
    [world] = await worlds(INTAKE_IMAP_IDLE="false", INTAKE_IMAP_POLL_S="0.3")
    sent = mailtools.plain(REPORTER, world.address, "Melding", STORY)
    await mailtools.deliver(world.infra, world.address, sent.as_bytes())
    found = await world.one_case()
    assert found["channel"] == "email"
    await world.mail_to(JAN)


@pytest.mark.parametrize(("keep_days", "processed"), [("0", 0), ("3", 1)])
async def test_while_sealing_a_stored_mail_leaves_no_copy_in_the_mailbox(
    worlds: Callable[..., Awaitable[list[MailWorld]]], keep_days: str, processed: int
) -> None:
    """With an escrow key, intake seals what a mail says and deletes the mail from the
    mailbox at once, or keeps it in Processed for the days the setting allows."""
    escrow = base64.b64encode(envelope.KeyPair.generate().public).decode()
    [world] = await worlds(INTAKE_ESCROW_PUBLIC_KEY=escrow, INTAKE_MAILBOX_KEEP_DAYS=keep_days)
    sent = mailtools.plain(REPORTER, world.address, "Ongewenst gedrag", STORY)
    await mailtools.deliver(world.infra, world.address, sent.as_bytes())
    await world.one_case()

    async def out_of_inbox() -> bool:
        return await mailtools.count(world.infra, world.address, "INBOX") == 0

    await eventually(out_of_inbox)
    assert await mailtools.count(world.infra, world.address, "Processed") == processed
