from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    service = "reporting"
    default_port = 8084

    k: int = Field(5, ge=3, le=100, description="Counts below this are hidden (per org: API).")
    firm_name: str = Field(
        "Vertrouwd",
        min_length=1,
        max_length=120,
        description="The confidants' firm, named on every report (like notify's sender name).",
    )
    min_cases: int = Field(
        10, ge=1, description="Below this many cases a report shows totals only (per org: API)."
    )
