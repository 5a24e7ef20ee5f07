"""What a period of work costs an organisation under its contract. Pure: no I/O.

The seeds' way of charging: an hourly rate for the confidant's time (case work as logged,
and the conversations), travel for visits on location (a fee per visit, or kilometres there
and back from the confidant's base), and administration (per case, or per month), with VAT.
Amounts are exact decimals, rounded half up to cents per line, as an invoice needs them.

What an invoice may say is what a published report may: quantities per period, never a
line per case or a date of a conversation, and no count below k: a period whose cases or
conversations number 1 to k-1 is billed as one line, "services in this period", with its
amount and no quantity, so a small client is billed every period all the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from services.reporting.domain.disclosure import Counts
from services.reporting.store.documents import Prices

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Usage:
    """What a period holds, as counts for the whole period only."""

    months: int
    cases: int  # opened in the period
    case_hours: Decimal  # logged on the cases closed in the period
    conversations: int
    visits: int  # conversations on location: the ones that bring travel

    @classmethod
    def of(cls, counts: Counts, hours: float) -> Usage:
        modes = counts.breakdowns.get(("conversations", "mode"), {})
        return cls(
            months=counts.end - counts.start,
            cases=int(counts.totals.get("cases", 0)),
            case_hours=Decimal(str(hours)),
            conversations=int(counts.totals.get("conversations", 0)),
            visits=int(modes.get("on_location", 0)),
        )


@dataclass(frozen=True)
class Line:
    code: str  # what it is for (the texts come from the formats)
    quantity: Decimal
    unit: str  # UN/ECE Recommendation 20: HUR hour, KMT kilometre, C62 one, MON month
    price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Bill:
    lines: list[Line]
    net: Decimal
    vat_percent: Decimal
    vat: Decimal
    gross: Decimal


def bill(terms: Prices, usage: Usage, k: int | None = None) -> Bill:
    """The invoice lines of a period: one per kind of cost, none for what costs nothing;
    one line for all of it when its quantities would tell a count below ``k``."""
    conversation_hours = Decimal(usage.conversations * terms.conversation_minutes) / 60
    wanted: list[tuple[str, Decimal, str, Decimal]] = [
        ("case_work", usage.case_hours, "HUR", terms.hourly_rate),
        ("conversations", conversation_hours, "HUR", terms.hourly_rate),
    ]
    if terms.travel == "per_visit":
        wanted.append(("travel_visits", Decimal(usage.visits), "C62", terms.travel_per_visit))
    elif terms.travel == "per_km":
        km = Decimal(usage.visits) * 2 * terms.distance_km
        wanted.append(("travel_km", km, "KMT", terms.rate_per_km))
    if terms.administration == "per_case":
        wanted.append(
            ("administration_cases", Decimal(usage.cases), "C62", terms.administration_fee)
        )
    elif terms.administration == "per_month":
        wanted.append(
            ("administration_months", Decimal(usage.months), "MON", terms.administration_fee)
        )
    lines = [
        Line(code, quantity, unit, money(price), money(quantity * price))
        for code, quantity, unit, price in wanted
        if quantity and price
    ]
    net = sum((line.amount for line in lines), Decimal(0))
    if k is not None and lines and reveals(usage, k):
        lines = [Line("services", Decimal(1), "C62", money(net), money(net))]
    vat = money(net * terms.vat_percent / 100)
    return Bill(lines, money(net), terms.vat_percent, vat, money(net) + vat)


def reveals(usage: Usage, k: int) -> bool:
    """Whether the period's lines would say more than a report may: a number of cases,
    conversations or visits from 1 to k-1 (a line's quantity is one, or follows from one)."""
    return any(0 < n < k for n in (usage.cases, usage.conversations, usage.visits))
