"""Intake's collections and indexes."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

from shared.db import IndexSpec

ORGANISATIONS = "organisations"
STAFF = "staff"
CASES = "cases"
NOTES = "notes"  # the confidant's private notes, sealed
MESSAGES = "messages"  # between reporter and confidant, sealed
AUDIT = "audit"  # every read of case content
THROTTLE = "throttle"  # rate limits and lock-outs
LOAD = "confidant_load"  # open cases per confidant, for assignment
TIMELINE = "case_timeline"
# Idempotency-Key claims of new reports: the case id and the code (sealed), so that a retry
# gets the same answer. Kept an hour (jobs.purge_report_claims): the code otherwise lives
# only as a slow hash.
REPORT_CLAIMS = "report_claims"

INDEXES: IndexSpec = {
    ORGANISATIONS: [IndexModel("slug", unique=True)],
    STAFF: [IndexModel("username", unique=True), IndexModel("confidant_id", sparse=True)],
    CASES: [
        IndexModel("code_hash", unique=True, sparse=True),
        IndexModel("reference", unique=True),
        IndexModel([("org_id", ASCENDING), ("created_at", DESCENDING)]),
        IndexModel([("confidant_id", ASCENDING), ("status", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("closed_at", ASCENDING)]),
    ],
    NOTES: [IndexModel([("case_id", ASCENDING), ("created_at", ASCENDING)])],
    MESSAGES: [IndexModel([("case_id", ASCENDING), ("created_at", ASCENDING)])],
    AUDIT: [IndexModel([("case_id", ASCENDING), ("at", ASCENDING)])],
    THROTTLE: [IndexModel("expires_at")],
    TIMELINE: [IndexModel([("case_id", ASCENDING), ("occurred_at", ASCENDING)])],
}
