"""Rotate the key for personal data at rest: add a new current key, re-encrypt everything.

    python -m services.intake.rotate

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
    kid, count = asyncio.run(rotate(settings))
    print(f"new data key {kid}; {count} values re-encrypted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
