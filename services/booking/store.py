"""Booking's collections and indexes."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from shared.db import IndexSpec

CASES = "cases"  # what booking knows of a case: its organisation and assigned confidant
CONFIDANTS = "confidants"

INDEXES: IndexSpec = {
    CASES: [IndexModel([("org_id", ASCENDING), ("confidant_id", ASCENDING)])],
    CONFIDANTS: [IndexModel("slug", unique=True)],
}
