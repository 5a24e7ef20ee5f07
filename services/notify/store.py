"""Notify's collections and indexes."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from shared.db import IndexSpec

OUTBOX = "outbox"  # one job per event that must reach someone; the event id is the key

INDEXES: IndexSpec = {
    OUTBOX: [IndexModel([("status", ASCENDING), ("occurred_at", ASCENDING)])],
}
