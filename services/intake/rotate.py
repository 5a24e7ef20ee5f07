"""Rotate the key for personal data at rest: add a new current key, re-encrypt everything.

    python -m services.intake.rotate            # a new key; the old ones stay in the file
    python -m services.intake.rotate --retire   # ... and the old ones go (issue 26)

Reads the same settings as the service (``INTAKE_DATA_KEYS_FILE``, ``MONGODB_URI`` ...).
The old keys stay in the file, so instances still running with the old file keep reading
values; once every instance has restarted with the new file and this command has finished,
an old key can be removed by hand. Safe to run again if it stops half-way: it re-encrypts
whatever is not under the current key yet, one value at a time. Run it while the intake
service is stopped, or on MongoDB: on FerretDB a write by the service to the same case at
the same moment could be lost (see ``shared.db.DocLocks``).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from services.intake.settings import IntakeSettings
from services.intake.store.collections import (
    CASES,
    MESSAGES,
    NOTES,
    ORGANISATIONS,
    STAFF,
    WEBHOOK_INBOX,
)
from shared.crypto import DataKeys, FieldCipher
from shared.db import Mongo
from shared.settings import SettingsError

# Where sealed values live; the associated data is (document id, field path).
SEALED: dict[str, tuple[str, ...]] = {
    CASES: (
        "text",
        "referral_to",
        "contact.name",
        "contact.email",
        "contact.phone",
        "mail_thread",
    ),
    NOTES: ("text",),
    MESSAGES: ("text", "relay_text"),
    STAFF: ("email",),
    ORGANISATIONS: ("mailbox.password",),
    WEBHOOK_INBOX: ("body",),
}


def _get(doc: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)  # type: ignore[assignment]
    return doc


async def reencrypt(mongo: Mongo, cipher: FieldCipher) -> int:
    """Re-seal every value not under the current key; return how many."""
    current = cipher.keys.current
    count = 0
    for collection, paths in SEALED.items():
        for path in paths:
            query = {f"{path}.k": {"$exists": True, "$ne": current}}
            async for doc in mongo.db[collection].find(query, {path: 1}):
                sealed = _get(doc, path)
                plain = cipher.open(sealed, doc_id=doc["_id"], field=path)
                resealed = cipher.seal(plain, doc_id=doc["_id"], field=path)
                result = await mongo.db[collection].update_one(
                    {"_id": doc["_id"], f"{path}.c": sealed["c"]}, {"$set": {path: resealed}}
                )
                count += result.modified_count
    return count


async def still_under_server_keys(mongo: Mongo) -> int:
    """Case content the server's keys still open: cases without a vault (not purged), and
    messages and notes not sealed to one."""
    cases = await mongo.db[CASES].count_documents({"vault": {"$exists": False}, "purged_at": None})
    texts = 0
    for collection in (MESSAGES, NOTES):
        texts += await mongo.db[collection].count_documents({"text": {"$exists": True}})
    return cases + texts


class NotYet(Exception):
    """Case content is still under the server's keys: retiring them would lose it."""


async def retire(settings: IntakeSettings) -> tuple[str, int, list[str]]:
    """Once every case is sealed to its own key (domain/reseal.py), the keys that sealed
    case content go: a new key, everything that stays under the server's keys (addresses
    notify writes to, mailbox passwords, the relay's copies) re-encrypted to it, and every
    other key deleted from the file, so that no key file from now on opens a backup's case
    content from before. Refused (``NotYet``) while any case content is under them."""
    mongo = Mongo(settings.mongodb_uri, settings.database_name)
    try:
        left = await still_under_server_keys(mongo)
        if left:
            raise NotYet(f"{left} cases, messages or notes are still under the server's keys")
    finally:
        await mongo.close()
    kid, count = await rotate(settings)
    keys = DataKeys.load(settings.data_keys_file)
    gone = sorted(k for k in keys.keys if k != kid)
    DataKeys(kid, {kid: keys.keys[kid]}, keys.code_salt, keys.hash_key).save(
        settings.data_keys_file
    )
    return kid, count, gone


async def rotate(settings: IntakeSettings) -> tuple[str, int]:
    keys = DataKeys.load(settings.data_keys_file).with_new_key()
    keys.save(settings.data_keys_file)  # first: a value is never sealed with an unsaved key
    mongo = Mongo(settings.mongodb_uri, settings.database_name)
    try:
        return keys.current, await reencrypt(mongo, FieldCipher(keys))
    finally:
        await mongo.close()


def main() -> int:
    try:
        settings = IntakeSettings.from_env()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if "--retire" in sys.argv[1:]:
        try:
            kid, count, gone = asyncio.run(retire(settings))
        except NotYet as exc:
            print(f"not retired: {exc}; they are sealed once their confidants have keys")
            return 1
        print(f"new data key {kid}; {count} values re-encrypted; keys deleted: {', '.join(gone)}")
        return 0
    kid, count = asyncio.run(rotate(settings))
    print(f"new data key {kid}; {count} values re-encrypted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
