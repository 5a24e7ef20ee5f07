"""Intake's collections and indexes."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from shared.db import IndexSpec

TIMELINE = "case_timeline"
ORGANISATIONS = "organisations"

INDEXES: IndexSpec = {
    TIMELINE: [IndexModel([("case_id", ASCENDING), ("occurred_at", ASCENDING)])],
    ORGANISATIONS: [IndexModel("slug", unique=True)],
}
