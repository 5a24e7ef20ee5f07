from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    service = "reporting"
    default_port = 8084

    k: int = Field(5, ge=3, le=100, description="Counts below this are hidden (per org: API).")
    schedule_interval_s: float = Field(
        3600.0,
        gt=0,
        description="Seconds between runs of the schedule: trend detection for every "
        "organisation (a trend proposed once a day) and last year's reports drafted.",
    )
    firm_name: str = Field(
        "Vertrouwd",
        min_length=1,
        max_length=120,
        description="The confidants' firm, named on every report (like notify's sender name).",
    )
    # The firm as it invoices (the seller on every invoice).
    firm_street: str = Field(
        "Stationsplein 1", max_length=200, description="The firm's street and number, on invoices."
    )
    firm_postcode: str = Field("8011 CW", max_length=20, description="The firm's postcode.")
    firm_city: str = Field("Zwolle", max_length=100, description="The firm's city.")
    firm_country: str = Field(
        "NL", pattern=r"^[A-Z]{2}$", description="The firm's country (ISO 3166)."
    )
    firm_kvk: str = Field(
        "12345678",
        pattern=r"^[0-9]{8}$",
        description="The firm's Chamber of Commerce number (its Peppol address, scheme 0106).",
    )
    firm_vat_id: str = Field("NL000099998B57", max_length=20, description="The firm's VAT number.")
    firm_iban: str = Field(
        "NL91ABNA0417164300",
        pattern=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$",
        description="Where invoices are paid.",
    )
    firm_email: str = Field(
        "facturen@vertrouwd.example", max_length=254, description="The firm's invoicing address."
    )
    payment_days: int = Field(30, ge=1, le=120, description="Days an invoice may be paid in.")
    min_cases: int = Field(
        10, ge=1, description="Below this many cases a report shows totals only (per org: API)."
    )
