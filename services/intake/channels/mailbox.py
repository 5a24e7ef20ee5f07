"""Reading the organisations' mailboxes over IMAP: each new mail becomes a case, or a message
on the case it answers.

One watcher per mailbox: log in, store everything in INBOX, then wait with IDLE (or poll
where the server has no IDLE). A mail leaves INBOX only after it is stored, by MOVE to
``Processed`` (or ``Ignored`` for machine mail), so a watcher that dies between reading and
storing leaves it for the next reading, and the claim in ``channels.receive`` stores a mail
read twice once. Several instances may watch the same mailbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aioimaplib
from aiohttp import web

from services.intake.channels import incoming as channels
from services.intake.channels import mailparse
from services.intake.state import INTAKE, Intake
from services.intake.store import documents as docs
from services.intake.store.collections import MAILBOX_STATE

log = logging.getLogger(__name__)
# aioimaplib logs every byte it reads at DEBUG, mails included: never below WARNING.
logging.getLogger("aioimaplib").setLevel(logging.WARNING)
PROCESSED, IGNORED = "Processed", "Ignored"
BATCH = 25  # mails fetched per request
PARALLEL = 8  # mails stored at once
_UID = re.compile(rb"UID (\d+)")


class MailboxError(Exception):
    """The server refused something; the watcher reconnects after a pause."""


async def take(intake: Intake, org: docs.Organisation, raw: bytes) -> str:
    """Store one mail; return the folder it goes to."""
    mail = mailparse.parse(raw, org["mailbox"]["address"])
    if mail.verdict == "machine":
        log.info("machine mail set aside", extra={"reason": mail.reason})
        return IGNORED
    external_id = mail.message_id or f"<sha256.{hashlib.sha256(raw).hexdigest()}>"
    text = mail.text if mail.refers_to else f"{mail.subject}\n\n{mail.text}".strip()
    locale = mail.locale or org.get("locale", "nl")
    await channels.receive(
        intake,
        org,
        channels.Inbound(
            channel="email",
            external_id=external_id,
            sender=mail.sender,
            name=mail.name,
            text=text[: mailparse.MAX_TEXT],
            locale=locale,
            refers_to=mail.refers_to,
            subject=mail.subject,
            dropped=mail.dropped,
        ),
    )
    intake.relay_wanted.set()  # the acknowledgement or nothing: the relay decides
    return PROCESSED


def _fetched(lines: list[Any]) -> list[tuple[int, bytes]]:
    """The (uid, message) pairs of a ``UID FETCH ... (BODY.PEEK[])`` answer. The UID may be
    said before the literal or after it, as servers choose."""
    found: list[tuple[int, bytes]] = []
    uid: int | None = None
    raw: bytes | None = None
    for line in lines:
        if isinstance(line, bytearray):
            raw = bytes(line)
        elif isinstance(line, bytes):
            match = _UID.search(line)
            if match:
                uid = int(match.group(1))
            if uid is not None and raw is not None:
                found.append((uid, raw))
                uid, raw = None, None
    return found


async def drain(intake: Intake, org: docs.Organisation, imap: aioimaplib.IMAP4) -> int:
    """Store every mail in INBOX; return how many were stored or set aside."""
    answer = await imap.uid_search("ALL")
    if answer.result != "OK":
        raise MailboxError("search refused")
    uids = [int(u) for u in answer.lines[0].split()] if answer.lines else []
    done = 0
    gate = asyncio.Semaphore(PARALLEL)

    async def one(raw: bytes) -> str | None:
        async with gate:
            try:
                return await take(intake, org, raw)
            except Exception:
                log.exception("mail not stored; it stays in INBOX")
                return None

    for start in range(0, len(uids), BATCH):
        batch = ",".join(str(u) for u in uids[start : start + BATCH])
        fetched = await imap.uid("fetch", batch, "(BODY.PEEK[])")
        if fetched.result != "OK":
            raise MailboxError("fetch refused")
        mails = _fetched(fetched.lines)
        folders = await asyncio.gather(*(one(raw) for _, raw in mails))
        for folder in (PROCESSED, IGNORED):
            moving = [str(uid) for (uid, _), f in zip(mails, folders, strict=True) if f == folder]
            if not moving:
                continue
            if folder == PROCESSED and sealing(intake) and not intake.settings.mailbox_keep_days:
                await delete(imap, ",".join(moving))  # sealed: no copy in the clear stays
            else:
                moved = await imap.uid("move", ",".join(moving), folder)
                if moved.result != "OK":
                    raise MailboxError("move refused")
            done += len(moving)
        if None in folders:
            raise MailboxError("a mail could not be stored")
    return done


def sealing(intake: Intake) -> bool:
    """Cases are sealed to keys (the firm has an escrow key): stored mail is not kept."""
    return bool(intake.settings.escrow_public_key)


async def delete(imap: aioimaplib.IMAP4, uids: str) -> None:
    """Flag and expunge the mails ``uids``: by UID EXPUNGE (RFC 4315), which touches only
    these, where the server has it; else EXPUNGE, which also takes what others flagged."""
    flagged = await imap.uid("store", uids, "+FLAGS.SILENT", r"(\Deleted)")
    if flagged.result != "OK":
        raise MailboxError("delete refused")
    if imap.has_capability("UIDPLUS"):
        expunged = await imap.uid("expunge", uids)
    else:
        expunged = await imap.expunge()
    if expunged.result != "OK":
        raise MailboxError("expunge refused")


async def forget_processed(intake: Intake, imap: aioimaplib.IMAP4) -> None:
    """Mail kept in Processed past ``mailbox_keep_days``, deleted (while sealing)."""
    if not sealing(intake) or not intake.settings.mailbox_keep_days:
        return
    before = intake.clock.now() - timedelta(days=intake.settings.mailbox_keep_days)
    if (await imap.select(PROCESSED)).result != "OK":
        return
    try:
        found = await imap.uid_search(f"BEFORE {before:%d-%b-%Y}")
        uids = found.lines[0].split() if found.result == "OK" and found.lines else []
        if uids:
            await delete(imap, b",".join(uids).decode())
    finally:
        await imap.select("INBOX")


async def session(intake: Intake, org: docs.Organisation) -> None:
    """One connection to the mailbox, until it fails."""
    settings = intake.settings
    box = org["mailbox"]
    password = intake.cipher.open(box["password"], doc_id=org["_id"], field="mailbox.password")
    imap: aioimaplib.IMAP4
    if settings.imap_tls:
        imap = aioimaplib.IMAP4_SSL(settings.imap_host, settings.imap_port, timeout=30)
    else:
        imap = aioimaplib.IMAP4(settings.imap_host, settings.imap_port, timeout=30)
    try:
        await imap.wait_hello_from_server()
        if (await imap.login(box["username"], password)).result != "OK":
            raise MailboxError("login refused")
        for folder in (PROCESSED, IGNORED):
            await imap.create(folder)  # "NO" when it exists already: fine
        await forget_processed(intake, imap)
        if (await imap.select("INBOX")).result != "OK":
            raise MailboxError("INBOX not selectable")
        await _state(intake, org["_id"], connected=True, error=None)
        idle = settings.imap_idle and imap.has_capability("IDLE")
        while True:
            # Until a pass finds nothing: mail that came during a pass was announced while
            # we were busy, and IDLE reports only what comes after it starts.
            while await drain(intake, org, imap):
                pass
            if not idle:
                await asyncio.sleep(settings.imap_poll_s)
                continue
            waiting = await imap.idle_start(timeout=settings.imap_idle_s)
            await imap.wait_server_push(timeout=settings.imap_idle_s + 30)
            imap.idle_done()
            await asyncio.wait_for(waiting, 30)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(imap.logout(), 5)
        transport = getattr(imap.protocol, "transport", None)
        if transport is not None:  # logout may not get to close it (a dead server)
            transport.close()


async def _state(intake: Intake, org_id: str, *, connected: bool, error: str | None) -> None:
    await intake.update(
        MAILBOX_STATE,
        {"_id": org_id},
        {"$set": {"connected": connected, "error": error, "checked_at": intake.clock.now()}},
        upsert=True,
    )


async def watch(intake: Intake, org_id: str) -> None:
    """Keep a session to the organisation's mailbox, reconnecting after failures."""
    pause = 1.0
    while True:
        org = await docs.organisations(intake.db).find_one({"_id": org_id})
        if not org or not org.get("mailbox"):
            return
        try:
            await session(intake, org)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # No message text here, never: the server's words may quote a mail.
            error = type(exc).__name__
            log.warning("mailbox failed", extra={"org_id": org_id, "error": error})
            with contextlib.suppress(Exception):
                await _state(intake, org_id, connected=False, error=error)
        await asyncio.sleep(pause)
        pause = min(pause * 2, 60.0)


def _fingerprint(mailbox: docs.MailboxLink) -> str:
    return hashlib.sha256(repr(sorted(mailbox.items())).encode()).hexdigest()


@contextlib.asynccontextmanager
async def mailbox_watchers(app: web.Application) -> AsyncIterator[None]:
    """A watcher per organisation with a mailbox, started, restarted on a change and stopped
    as mailboxes are set; off without ``INTAKE_IMAP_HOST``."""
    intake = app[INTAKE]
    if not intake.settings.imap_host:
        yield
        return
    running: dict[str, tuple[str, asyncio.Task[None]]] = {}

    async def supervise() -> None:
        while True:
            try:
                wanted = {
                    org["_id"]: _fingerprint(org["mailbox"])
                    async for org in docs.organisations(intake.db).find(
                        {"mailbox": {"$exists": True}}, {"mailbox": 1}
                    )
                }
            except Exception:
                log.exception("mailboxes not listed")
                wanted = {k: v[0] for k, v in running.items()}
            for org_id, (print_, task) in list(running.items()):
                if wanted.get(org_id) != print_ or task.done():
                    task.cancel()
                    del running[org_id]
            for org_id, print_ in wanted.items():
                if org_id not in running:
                    task = asyncio.create_task(watch(intake, org_id), name=f"mailbox-{org_id}")
                    running[org_id] = (print_, task)
            await asyncio.sleep(intake.settings.mailbox_scan_s)

    supervisor = asyncio.create_task(supervise(), name="mailboxes")
    try:
        yield
    finally:
        supervisor.cancel()
        for _, task in running.values():
            task.cancel()
        for task in [supervisor, *(t for _, t in running.values())]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
