"""What a period costs under a contract: pure arithmetic, in exact cents."""

from __future__ import annotations

from decimal import Decimal

from services.reporting.domain.pricing import Usage, bill, reveals
from services.reporting.store.documents import Prices

USAGE = Usage(months=3, cases=14, case_hours=Decimal("22.5"), conversations=9, visits=4)


def test_hours_travel_per_km_administration_per_case_and_vat() -> None:
    terms = Prices(
        hourly_rate=Decimal("95.00"),
        conversation_minutes=60,
        travel="per_km",
        distance_km=Decimal("32.5"),
        rate_per_km=Decimal("0.23"),
        administration="per_case",
        administration_fee=Decimal("25"),
        vat_percent=Decimal(21),
    )
    found = bill(terms, USAGE)
    assert [(line.code, line.quantity, line.unit, line.amount) for line in found.lines] == [
        ("case_work", Decimal("22.5"), "HUR", Decimal("2137.50")),
        ("conversations", Decimal(9), "HUR", Decimal("855.00")),
        ("travel_km", Decimal("260.0"), "KMT", Decimal("59.80")),  # 4 visits, there and back
        ("administration_cases", Decimal(14), "C62", Decimal("350.00")),
    ]
    assert found.net == Decimal("3402.30")
    assert found.vat == Decimal("714.48")  # 21 %, half up to the cent
    assert found.gross == Decimal("4116.78") == found.net + found.vat


def test_per_visit_per_month_short_conversations_and_nothing_for_free_things() -> None:
    terms = Prices(
        hourly_rate=Decimal("80"),
        conversation_minutes=45,
        travel="per_visit",
        travel_per_visit=Decimal("17.50"),
        administration="per_month",
        administration_fee=Decimal("40"),
        vat_percent=Decimal(0),
        vat_category="Z",
    )
    found = bill(terms, USAGE)
    lines = {line.code: (line.quantity, line.amount) for line in found.lines}
    assert lines["conversations"] == (Decimal("6.75"), Decimal("540.00"))  # 9 x 45 minutes
    assert lines["travel_visits"] == (Decimal(4), Decimal("70.00"))
    assert lines["administration_months"] == (Decimal(3), Decimal("120.00"))
    assert found.vat == 0 and found.gross == found.net
    quiet = bill(terms, Usage(months=1, cases=0, case_hours=Decimal(0), conversations=0, visits=0))
    assert [line.code for line in quiet.lines] == ["administration_months"]


def test_a_period_with_one_to_k_minus_one_cases_is_billed_as_one_line_of_its_amount() -> None:
    assert reveals(Usage(1, 2, Decimal(0), 0, 0), k=3)
    assert reveals(Usage(1, 5, Decimal(0), 2, 0), k=3)  # two conversations tell as much
    assert reveals(Usage(1, 5, Decimal(0), 5, 1), k=3)  # and one visit
    assert not reveals(Usage(1, 3, Decimal(0), 3, 0), k=3)
    assert not reveals(Usage(1, 0, Decimal(0), 0, 0), k=3)  # nothing to hide in nothing
    terms = Prices(
        hourly_rate=Decimal("95"),
        administration="per_case",
        administration_fee=Decimal("25"),
        travel="per_visit",
        travel_per_visit=Decimal("20"),
    )
    small = Usage(months=3, cases=2, case_hours=Decimal("3.5"), conversations=2, visits=1)
    full, merged = bill(terms, small), bill(terms, small, k=3)
    assert [line.code for line in merged.lines] == ["services"]
    [line] = merged.lines
    assert line.quantity == 1 and line.amount == full.net == merged.net
    assert merged.gross == full.gross
    large = Usage(months=3, cases=7, case_hours=Decimal("9"), conversations=6, visits=3)
    assert bill(terms, large, k=3) == bill(terms, large)  # nothing below k: every line
