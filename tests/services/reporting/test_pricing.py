"""What a period costs under a contract: pure arithmetic, in exact cents."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from services.reporting.domain.pricing import Usage, bill, reveals
from services.reporting.store.documents import Prices

USAGE = Usage(
    months=3,
    cases=14,
    case_hours=Decimal("22.5"),
    conversations=9,
    visits=4,
    conversation_minutes=9 * 60,
    km=Decimal("260.0"),  # 4 visits of 32.5 km, there and back
)


def test_hours_travel_per_km_administration_per_case_and_vat() -> None:
    terms = Prices(
        hourly_rate=Decimal("95.00"),
        travel="per_km",
        rate_per_km=Decimal("0.23"),
        administration="per_case",
        administration_fee=Decimal("25"),
        vat_percent=Decimal(21),
    )
    found = bill(terms, USAGE)
    assert [(line.code, line.quantity, line.unit, line.amount) for line in found.lines] == [
        ("conversations", Decimal(9), "HUR", Decimal("855.00")),
        ("case_work", Decimal("22.5"), "HUR", Decimal("2137.50")),
        ("travel_km", Decimal("260.0"), "KMT", Decimal("59.80")),  # 4 visits, there and back
        ("administration_cases", Decimal(14), "C62", Decimal("350.00")),
    ]
    assert found.net == Decimal("3402.30")
    assert found.vat == Decimal("714.48")  # 21 %, half up to the cent
    assert found.gross == Decimal("4116.78") == found.net + found.vat


def test_per_visit_per_month_short_conversations_and_nothing_for_free_things() -> None:
    terms = Prices(
        hourly_rate=Decimal("80"),
        travel="per_visit",
        travel_per_visit=Decimal("17.50"),
        administration="per_month",
        administration_fee=Decimal("40"),
        vat_percent=Decimal(0),
        vat_category="Z",
    )
    found = bill(terms, replace(USAGE, conversation_minutes=9 * 45))
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
    small = Usage(3, 2, Decimal("3.5"), 2, 1, conversation_minutes=95, travel_minutes=40)
    full, merged = bill(terms, small), bill(terms, small, k=3)
    assert [line.code for line in merged.lines] == ["services"]
    [line] = merged.lines
    # The time, as one amount; the fees per case and per visit (2 x 25 + 1 x 20) are not
    # charged: 25 times a count the client could divide out again.
    assert line.quantity == 1 and line.amount == merged.net == full.net - 70
    assert line.amount == Decimal("482.60")  # (1.58 h + 3.5 h) x 95
    large = Usage(3, 7, Decimal("9"), 6, 3, conversation_minutes=400)
    assert bill(terms, large, k=3) == bill(terms, large)  # nothing below k: every line


def test_real_lengths_the_organisations_work_travel_time_and_a_subscription() -> None:
    terms = Prices(
        hourly_rate=Decimal("90"),
        travel="per_km",
        rate_per_km=Decimal("0.23"),
        travel_hourly_rate=Decimal("45"),
        subscription_per_month=Decimal("150"),
    )
    usage = Usage(
        months=3,
        cases=6,
        case_hours=Decimal("4.25"),
        conversations=6,
        visits=2,
        conversation_minutes=50 + 75 + 60 + 45 + 90 + 35,  # as held, not 6 x 60
        organisation_minutes=120 + 90,  # an introduction, the yearly report
        km=Decimal("84.4"),
        travel_minutes=95,
    )
    lines = {line.code: (line.quantity, line.amount) for line in bill(terms, usage).lines}
    assert lines == {
        "conversations": (Decimal("5.92"), Decimal("532.80")),  # 355 minutes
        "case_work": (Decimal("4.25"), Decimal("382.50")),
        "organisation_work": (Decimal("3.50"), Decimal("315.00")),
        "travel_time": (Decimal("1.58"), Decimal("71.10")),  # 95 minutes
        "travel_km": (Decimal("84.4"), Decimal("19.41")),
        "subscription": (Decimal(3), Decimal("450.00")),
    }


def test_a_small_period_keeps_what_tells_no_count_on_its_own_lines() -> None:
    terms = Prices(
        hourly_rate=Decimal("90"),
        administration="per_month",
        administration_fee=Decimal("20"),
        subscription_per_month=Decimal("100"),
    )
    small = Usage(3, 2, Decimal("1.5"), 2, 0, conversation_minutes=100, organisation_minutes=60)
    merged = bill(terms, small, k=5)
    codes = [line.code for line in merged.lines]
    assert codes == ["services", "organisation_work", "administration_months", "subscription"]
    assert merged.lines[0].amount == Decimal("285.30")  # (1.67 h + 1.5 h) x 90, as one
    assert merged.net == bill(terms, small).net


def counts_an_invoice_allows(
    terms: Prices, usage: Usage, k: int | None, most: int = 8
) -> set[tuple[int, int, int]]:
    """The attacker of invoices: every (cases, conversations, visits) that would have made
    exactly the invoice published (its lines, quantities and amounts), with the same time
    and kilometres, which the client does not know anyway. One candidate: the count is out."""
    published = bill(terms, usage, k)
    return {
        (n, c, v)
        for n in range(most)
        for c in range(most)
        for v in range(most)
        if bill(terms, replace(usage, cases=n, conversations=c, visits=v), k) == published
    }


FULL_TERMS = Prices(
    hourly_rate=Decimal("95"),
    travel="per_visit",
    travel_per_visit=Decimal("20"),
    administration="per_case",
    administration_fee=Decimal("25"),
    subscription_per_month=Decimal("50"),
)


def test_a_small_clients_invoice_fits_every_small_count_alike() -> None:
    small = Usage(3, 2, Decimal("2.25"), 2, 1, conversation_minutes=105, travel_minutes=30)
    allowed = counts_an_invoice_allows(FULL_TERMS, small, k=3)
    # Any number of cases, conversations and visits gives the same invoice, as long as one
    # of them is below k (as a report's "< 3" says): the 2 cases are not derivable.
    assert {n for n, _, _ in allowed} >= {0, 1, 2, 3, 4} and (2, 2, 1) in allowed
    assert all(0 < min(x for x in t if x) < 3 for t in allowed if any(t))
    # The control: billed line by line, the same period tells its count at once.
    assert {n for n, _, _ in counts_an_invoice_allows(FULL_TERMS, small, k=None)} == {2}
