"""Notify's collections and indexes.

No address, name or message is ever stored here: a delivery names its recipient by id (a
case, a confidant, an organisation's admin by keyed hash, a webhook) and keeps a keyed hash
of the address it went to.

The path every mail takes is written with inserts only: the intent when the event comes in,
the outcome when it is done. On FerretDB 1.24 an update costs about 15 ms and an insert half
a millisecond (``docs/architecture.md``), and inserts with a unique ``_id`` are also what
makes a second outcome for the same delivery impossible.
"""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from shared.db import IndexSpec

# One document per (event id, recipient, template), its _id derived from those three: a
# redelivered event finds its deliveries already there and adds nothing. Updated only on
# the rare paths: a retry after a failure, a claim by the sweep, settling an outcome.
DELIVERIES = "deliveries"
# How each delivery ended (sent, failed, skipped, dead, cancelled), _id = the delivery's.
OUTCOMES = "outcomes"
# Webhook endpoints per organisation (secret sealed).
WEBHOOKS = "webhooks"
# One insert per attempt to send, keyed by the delivery and the state it was taken from:
# of two instances that take the same delivery at once (a planner and another's sweep, or
# two sweeps on a database whose find-and-modify is not atomic), one insert wins.
SENDS = "send_claims"

FINAL = ("sent", "failed", "skipped", "dead", "cancelled")

INDEXES: IndexSpec = {
    DELIVERIES: [
        IndexModel([("status", ASCENDING), ("due_at", ASCENDING)]),
        IndexModel([("created_at", ASCENDING)]),
    ],
    WEBHOOKS: [IndexModel([("org_id", ASCENDING)])],
    SENDS: [IndexModel([("at", ASCENDING)])],
}
