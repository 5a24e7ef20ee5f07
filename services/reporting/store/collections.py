"""Reporting's collections and indexes. Nothing here can hold personal data."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from shared.db import IndexSpec

CASES = "cases"  # the projection: one PII-free document per case (projection.FIELDS)
REPORTS = "reports"  # drafts and published reports: what is shown, never the true counts
TALLIES = "tallies"  # per organisation and month, every count a report needs (tally.py)
SIGNALS = "signals"  # trend signals, proposed and confirmed
SIGNAL_KEYS = "signal_keys"  # one claim per organisation, trend and day: proposed once
SETTINGS = "org_settings"  # per organisation: k and the minimum number of cases
ORGS = "orgs"  # per organisation: its name and departments, as intake's events gave them
CONTRACTS = "contracts"  # per organisation: who pays, where, and the prices
INVOICES = "invoices"  # made once, never changed: quantities and amounts per period
DRAFT_CLAIMS = "draft_claims"  # "yearly|<org>|<year>": the schedule drafts each report once
CREDIT_NOTES = "credit_notes"  # one per invoice it corrects (its _id), made once
INVOICE_CLAIMS = "invoice_claims"  # one per invoice number and per organisation's period
ACTIVITIES = "activities"  # the organisation's own work, entered by hand: kind, day, time

INDEXES: IndexSpec = {
    CASES: [IndexModel([("org_id", ASCENDING)])],
    TALLIES: [IndexModel([("org_id", ASCENDING), ("month", ASCENDING)])],
    REPORTS: [IndexModel([("org_id", ASCENDING), ("status", ASCENDING)])],
    SIGNALS: [IndexModel([("org_id", ASCENDING)])],
    INVOICES: [IndexModel([("org_id", ASCENDING), ("end", ASCENDING)])],
    INVOICE_CLAIMS: [IndexModel([("year", ASCENDING)]), IndexModel("credit_year", sparse=True)],
    CREDIT_NOTES: [IndexModel([("org_id", ASCENDING), ("start", ASCENDING)])],
    ACTIVITIES: [IndexModel([("org_id", ASCENDING), ("month", ASCENDING)])],
}
