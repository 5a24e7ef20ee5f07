"""Intake's collections and indexes."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

from shared.db import IndexSpec

ORGANISATIONS = "organisations"
STAFF = "staff"
INVITATIONS = "invitations"  # keyed hash of a one-time link -> the account it sets up
CASES = "cases"
NOTES = "notes"  # the confidant's private notes, sealed
MESSAGES = "messages"  # between reporter and confidant, sealed
AUDIT = "audit"  # every read of case content
THROTTLE = "throttle"  # rate limits and lock-outs
LOAD = "confidant_load"  # open cases per confidant, for assignment
STAFF_KEYS = "staff_keys"  # per person: their public key and their private key, wrapped only
MONTH_CLAIMS = "list_months"  # "<confidant>|YYYY-MM": the months of a confidant's list
ORG_COUNTS = "org_counts"  # per organisation: its cases by status, for the office (counts.py)
TIMELINE = "case_timeline"
# Idempotency-Key claims of new reports: the case id and the code (sealed), so that a retry
# gets the same answer. Kept an hour (jobs.purge_report_claims): the code otherwise lives
# only as a slow hash.
REPORT_CLAIMS = "report_claims"
# Channels (e-mail, WhatsApp). A claim per incoming message (keyed hash of its id): the case
# or message it became, so a message read twice is stored once.
CHANNEL_CLAIMS = "channel_claims"
# Which case a conversation belongs to: an e-mail's Message-ID, or a WhatsApp number's open
# case (keyed hashes, never the id or number itself).
THREADS = "channel_threads"
# One claim per attempt to send a reply: only the claimant sends it.
RELAY_CLAIMS = "relay_claims"
# The replies waiting to be sent, by message id: small, so that looking for what is due
# does not read every message (FerretDB scans a collection for any query not on _id).
RELAY_QUEUE = "relay_queue"
# What a sent reply is called where it went (a WhatsApp wamid): delivery statuses find it.
RELAY_SENT = "relay_sent"
# WhatsApp webhooks as received (the body sealed), kept until their messages are stored: the
# webhook is answered once this one insert is done, the rest follows (webhooks.py).
WEBHOOK_INBOX = "webhook_inbox"
MAILBOX_STATE = "mailbox_state"  # per organisation: connected, or the last error
MIGRATIONS = "migrations"  # one-time changes to documents written before, done
# A second factor for staff log-ins (WebAuthn): each security key, and each ceremony's
# challenge, used once.
STAFF_CREDENTIALS = "staff_credentials"
WEBAUTHN_CHALLENGES = "webauthn_challenges"

INDEXES: IndexSpec = {
    ORGANISATIONS: [
        IndexModel("slug", unique=True),
        IndexModel("whatsapp_phone_number_id", unique=True, sparse=True),
    ],
    STAFF: [IndexModel("username", unique=True), IndexModel("confidant_id", sparse=True)],
    CASES: [
        IndexModel("code_hash", unique=True, sparse=True),
        IndexModel("reference", unique=True),
        IndexModel([("org_id", ASCENDING), ("created_at", DESCENDING)]),
        IndexModel([("confidant_id", ASCENDING), ("status", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("closed_at", ASCENDING)]),
        IndexModel("channel_key", sparse=True),
        # The workspace by the first contact due (?sort=first_contact); the follow-ups due.
        IndexModel([("confidant_id", ASCENDING), ("first_contact_due", ASCENDING)]),
        # A confidant's list, a month at a time (store.caselist).
        IndexModel([("confidant_month", ASCENDING), ("created_at", DESCENDING)]),
        IndexModel([("confidant_status", ASCENDING), ("created_at", DESCENDING)]),
        IndexModel("follow_up.due", sparse=True),
        # The periodic jobs' months (domain.rules.BUCKETS).
        IndexModel("closed_month", sparse=True),
        IndexModel("code_month", sparse=True),
        IndexModel("follow_up_month", sparse=True),
    ],
    MONTH_CLAIMS: [IndexModel("confidant_id")],
    NOTES: [IndexModel([("case_id", ASCENDING), ("created_at", ASCENDING)])],
    MESSAGES: [
        IndexModel([("case_id", ASCENDING), ("created_at", ASCENDING)]),
    ],
    AUDIT: [IndexModel([("case_id", ASCENDING), ("at", ASCENDING)])],
    THROTTLE: [IndexModel("expires_at")],
    TIMELINE: [IndexModel([("case_id", ASCENDING), ("occurred_at", ASCENDING)])],
    CHANNEL_CLAIMS: [IndexModel("case_id"), IndexModel("at")],
    THREADS: [IndexModel("case_id")],
    RELAY_CLAIMS: [IndexModel("at")],
    RELAY_QUEUE: [IndexModel("next_at")],
    RELAY_SENT: [IndexModel("case_id")],
    WEBHOOK_INBOX: [IndexModel("at")],
    STAFF_CREDENTIALS: [IndexModel("owner")],
    WEBAUTHN_CHALLENGES: [IndexModel("at")],
}
