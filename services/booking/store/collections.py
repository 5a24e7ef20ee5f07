"""Booking's collections and indexes."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from shared.db import IndexSpec

CASES = "cases"  # what booking knows of a case: its organisation and assigned confidant
CONFIDANTS = "confidants"
TYPES = "appointment_types"
APPOINTMENTS = "appointments"
# One document per 5-minute granule a booked appointment occupies, buffers included, keyed
# "<confidant>|<granule start>": the unique _id is what makes double booking impossible,
# across instances, on MongoDB and on FerretDB alike.
CLAIMS = "claims"
IDEMPOTENCY = "idempotency"  # "<case>|<Idempotency-Key>" -> appointment
BUSY = "busy"  # a calendar's busy time, in buckets by object name (see busystore)
PROPOSALS = "proposals"  # times proposed to a case's reporter, picked with a signed link
OAUTH_STATES = "oauth_states"  # connecting Google or Microsoft: state -> verifier (oauth)

INDEXES: IndexSpec = {
    CASES: [IndexModel([("org_id", ASCENDING), ("confidant_id", ASCENDING)])],
    CONFIDANTS: [IndexModel("org_ids")],
    APPOINTMENTS: [
        IndexModel([("confidant_id", ASCENDING), ("status", ASCENDING), ("end", ASCENDING)]),
        IndexModel("case_id"),
        IndexModel("calendar.pending", sparse=True),
    ],
    CLAIMS: [IndexModel("owner")],
    PROPOSALS: [IndexModel("case_id")],
}
