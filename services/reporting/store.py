"""Reporting's collections and indexes. Nothing here can hold personal data."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from shared.db import IndexSpec

FACTS = "facts"  # one PII-free row per event: type, org, category, month

INDEXES: IndexSpec = {
    FACTS: [IndexModel([("org_id", ASCENDING), ("month", ASCENDING), ("type", ASCENDING)])],
}
