"""What reporting looks up about an organisation, for its reports, signals and invoices."""

from __future__ import annotations

from services.reporting.state import Reporting
from services.reporting.store.documents import CaseFacts, Report, cases, org_rules, reports, tallies


async def disclosure_rules(r: Reporting, org_id: str) -> tuple[int, int]:
    """The organisation's k and minimum number of cases, or the installation's."""
    found = await org_rules(r.db).find_one({"_id": org_id})
    if found:
        return int(found["k"]), int(found["min_cases"])
    return r.settings.k, r.settings.min_cases


async def published(r: Reporting, org_id: str) -> list[Report]:
    found = reports(r.db).find({"org_id": org_id, "status": "published"})
    return [d async for d in found]


async def org_cases(r: Reporting, org_id: str) -> list[CaseFacts]:
    return [c async for c in cases(r.db).find({"org_id": org_id})]


async def month_tallies(r: Reporting, org_id: str) -> dict[int, dict[str, float]]:
    """The organisation's tallies by month (empty: reporting has never heard of it)."""
    found = tallies(r.db).find({"org_id": org_id}, {"month": 1, "n": 1})
    return {t["month"]: t.get("n", {}) async for t in found}
