"""The one-time re-sealing of cases kept under the server's keys (issue 26): as soon as a
confidant has keys, each of their cases gets a vault, and its report, contact details,
messages and notes are sealed to it and removed in the clear. From then on the server
cannot read that case. It runs from the periodic round and right after someone's keys
are kept; two instances may run it at once.

Each step is one conditional write: a case gets a vault only while it has none (so every
instance seals to the same case key, the one stored), and a text is sealed only while it
is still under the server's keys. A message written while its case was being sealed is
caught by the next pass (``STRAGGLERS``)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from services.intake.domain import vault as vaults
from services.intake.domain.opening import CONTACT_FIELDS, vault_holders
from services.intake.state import Intake
from services.intake.store import documents as docs
from services.intake.store.collections import CASES, MESSAGES, NOTES

log = logging.getLogger(__name__)

# Cases sealed this recently have their texts looked over again in each round.
STRAGGLERS = timedelta(hours=1)
BATCH = 200


async def reseal_all(intake: Intake) -> int:
    """Every confidant with keys: their cases still under the server's keys, sealed."""
    if not intake.settings.escrow_public_key:
        return 0
    sealed = 0
    async for keys in docs.staff_keys(intake.db).find({}, {"_id": 1}):
        sealed += await reseal_for(intake, keys["_id"])
    return sealed


async def after_keys(intake: Intake, confidant_id: str) -> None:
    """Right after someone's keys are kept (the round catches what this misses)."""
    try:
        await reseal_for(intake, confidant_id)
    except Exception:
        log.exception("re-sealing after new keys failed; the round tries again")


async def reseal_for(intake: Intake, confidant_id: str) -> int:
    """One confidant's cases: sealed to their key and escrow; returns how many."""
    holders = await vault_holders(intake, confidant_id)
    if holders is None:
        return 0
    sealed = 0
    query = {"confidant_id": confidant_id, "vault": {"$exists": False}, "purged_at": None}
    while batch := await docs.cases(intake.db).find(query).limit(BATCH).to_list(None):
        for case in batch:
            sealed += await reseal_case(intake, case, holders)
    since = intake.clock.now() - STRAGGLERS
    recent = {"confidant_id": confidant_id, "vault.sealed_at": {"$gt": since}}
    async for case in docs.cases(intake.db).find(recent, {"vault": 1}):
        await seal_texts(intake, case["_id"], case["vault"])
    if sealed:
        log.info("cases sealed to keys", extra={"confidant_id": confidant_id, "count": sealed})
    return sealed


async def reseal_case(intake: Intake, case: docs.Case, holders: dict[str, bytes]) -> int:
    """The case's vault, with its report and contact details; then its texts."""
    cipher, case_id = intake.cipher, case["_id"]
    vault = vaults.new_vault(holders, None)
    vault["sealed_at"] = intake.clock.now()
    text = cipher.open_optional(case.get("text"), doc_id=case_id, field="text")
    if text is not None:
        vault["text"] = vaults.seal_text(vault, text, for_reporter=False)
    contact = case.get("contact")
    unset: dict[str, str] = {"text": ""}
    sets: dict[str, Any] = {"vault": vault}
    if contact:
        opened = {
            f: cipher.open_optional(contact.get(f), doc_id=case_id, field=f"contact.{f}")
            for f in CONTACT_FIELDS
        }
        vault["contact"] = vaults.seal_json(
            vault, {**opened, "preferred_channel": contact.get("preferred_channel")}
        )
        # Only the address notify writes to stays under the server's keys.
        keep = notification_field(contact.get("preferred_channel"), opened)
        unset |= {f"contact.{f}": "" for f in CONTACT_FIELDS if f != keep}
    as_read = {
        "_id": case_id,
        "vault": {"$exists": False},
        "purged_at": None,
        "text": case.get("text"),
    }
    if not await intake.update(CASES, as_read, {"$set": sets, "$unset": unset}):
        # Another instance sealed it first, or it changed meanwhile: the next pass sees it.
        return 0
    await seal_texts(intake, case_id, vault)
    return 1


def notification_field(preferred: str | None, contact: dict[str, str | None]) -> str | None:
    """Which contact field notify writes to (as ``opening.notification_contact``)."""
    channel = preferred or ("email" if contact.get("email") else "phone")
    field = "email" if channel == "email" else "phone"
    return field if contact.get(field) else None


async def seal_texts(intake: Intake, case_id: str, vault: dict[str, Any]) -> int:
    """The case's messages and notes still under the server's keys, sealed to its vault
    (the relay keeps its own copy of what it has still to send)."""
    sealed = 0
    for collection in (MESSAGES, NOTES):
        found = intake.db[collection].find({"case_id": case_id, "text": {"$exists": True}})
        async for doc in found:
            text = intake.cipher.open(doc["text"], doc_id=doc["_id"], field="text")
            sets: dict[str, Any] = {"vault": vaults.seal_text(vault, text, for_reporter=False)}
            if (doc.get("relay") or {}).get("state") == "pending":
                sets["relay_text"] = intake.cipher.seal(text, doc_id=doc["_id"], field="relay_text")
            as_read = {"_id": doc["_id"], "text": doc["text"]}
            sealed += await intake.update(
                collection, as_read, {"$set": sets, "$unset": {"text": ""}}
            )
    return sealed


async def forget_holder(intake: Intake, person_id: str, org_id: str | None = None) -> int:
    """A confidant who leaves (an organisation, or the firm) holds no key of a case that is
    not theirs any more: their wraps of those cases are deleted (of ``org_id``'s only, when
    they leave one organisation). A case still assigned to them keeps theirs until the
    office hands it over. Returns how many wraps went."""
    query: dict[str, Any] = {
        f"vault.wraps.{person_id}": {"$exists": True},
        "confidant_id": {"$ne": person_id},
    }
    if org_id is not None:
        query["org_id"] = org_id
    gone = 0
    async for case in docs.cases(intake.db).find(query, {"_id": 1}):
        as_read = {"_id": case["_id"], "confidant_id": {"$ne": person_id}}
        # (and its key is replaced by its confidant's browser: vault.rotate)
        gone += await intake.update(
            CASES,
            as_read,
            {"$unset": {f"vault.wraps.{person_id}": ""}, "$set": {"vault.rotate": True}},
        )
    if gone:
        log.info("wraps deleted", extra={"confidant_id": person_id, "count": gone})
    return gone
