"""Notify's collections and indexes.

No address, name or message is ever stored here: a delivery names its recipient by id (a
case, a confidant, an organisation's admin by keyed hash, a webhook) and keeps a keyed hash
of the address it went to.
"""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from shared.db import IndexSpec

# One document per (event id, recipient, template), its _id derived from those three: a
# redelivered event finds its deliveries already there and adds nothing.
DELIVERIES = "deliveries"
# What notify knows of each appointment (times, sequence) and its reminders' delivery ids,
# so a reschedule or cancel can move or drop them.
APPOINTMENTS = "appointments"
# Webhook endpoints per organisation (secret sealed).
WEBHOOKS = "webhooks"

INDEXES: IndexSpec = {
    DELIVERIES: [
        IndexModel([("status", ASCENDING), ("due_at", ASCENDING)]),
        IndexModel([("created_at", ASCENDING)]),
    ],
    WEBHOOKS: [IndexModel([("org_id", ASCENDING)])],
}
