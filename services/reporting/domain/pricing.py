"""What a period of work costs an organisation under its contract. Pure: no I/O.

Billing follows the work as it was done: the conversations at their real length (as the
confidant confirmed them, the booked length until then), case work in the month it was
logged, the organisation's own work (its meetings with the firm, the yearly report, a
session), travel as the confidant confirmed it per visit (kilometres there and back, or a
fee per visit, and travel time at its own rate), administration per case or per month, and
a fixed subscription per month, with VAT. Amounts are exact decimals, rounded half up to
cents per line, as an invoice needs them.

What an invoice may say is what a published report may: quantities per period, never a
line per case or a date of a conversation, and no count below k. In a period whose cases,
conversations or visits number 1 to k-1, the time and the kilometres are billed as one
line, "services in this period", with its amount and no quantity, so a small client is
billed every period all the same; and the fees per case and per visit are not charged
then: a fixed fee times a small count, in an amount whose prices the client knows, would
give the count away (the time is the confidant's real time, which the client does not
know, so its amount tells no count). What tells no count (the organisation's own work, the
subscription, administration per month) keeps its own line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from services.reporting.domain.disclosure import Counts
from services.reporting.store.documents import Prices

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Usage:
    """What a period holds, as sums for the whole period only."""

    months: int
    cases: int  # opened in the period
    case_hours: Decimal  # case work logged in the period
    conversations: int
    visits: int  # conversations and meetings that took travel (as confirmed)
    conversation_minutes: int = 0  # their real length, or the booked one
    organisation_minutes: int = 0  # the organisation's meetings and its own activities
    km: Decimal = Decimal(0)  # travelled, there and back
    travel_minutes: int = 0

    @classmethod
    def of(cls, counts: Counts, sums: Mapping[str, float], extra: Usage | None = None) -> Usage:
        """From the tallies' counts and sums; ``extra`` adds the organisation's own
        activities entered by hand (its months and counts of cases are not read)."""
        more = extra or cls(0, 0, Decimal(0), 0, 0)
        return cls(
            months=counts.end - counts.start,
            cases=int(counts.totals.get("cases", 0)),
            case_hours=Decimal(str(round(sums.get("work|hours|", 0.0), 2))) + more.case_hours,
            conversations=int(counts.totals.get("conversations", 0)),
            visits=round(sums.get("travel||", 0)) + more.visits,
            conversation_minutes=round(sums.get("conversations|minutes|", 0)),
            organisation_minutes=round(sums.get("meetings|minutes|", 0))
            + more.organisation_minutes,
            km=Decimal(str(round(sums.get("travel|km|", 0.0), 1))) + more.km,
            travel_minutes=round(sums.get("travel|minutes|", 0)) + more.travel_minutes,
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


HUNDREDTH = Decimal("0.01")


def hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


# What follows from the cases' own counts: merged into one line when one is below k; the
# fees per count are left out then (their amount would be a known price times the count).
TELLING = frozenset({"case_work", "conversations", "travel_time", "travel_km"})
PER_COUNT = frozenset({"administration_cases", "travel_visits"})


def bill(terms: Prices, usage: Usage, k: int | None = None) -> Bill:
    """The invoice lines of a period: one per kind of cost, none for what costs nothing;
    what tells a count below ``k`` as one line of its amount."""
    wanted: list[tuple[str, Decimal, str, Decimal]] = [
        ("conversations", hours(usage.conversation_minutes), "HUR", terms.hourly_rate),
        ("case_work", usage.case_hours.quantize(HUNDREDTH), "HUR", terms.hourly_rate),
        ("organisation_work", hours(usage.organisation_minutes), "HUR", terms.hourly_rate),
        ("travel_time", hours(usage.travel_minutes), "HUR", terms.travel_hourly_rate),
    ]
    if terms.travel == "per_visit":
        wanted.append(("travel_visits", Decimal(usage.visits), "C62", terms.travel_per_visit))
    elif terms.travel == "per_km":
        wanted.append(("travel_km", usage.km, "KMT", terms.rate_per_km))
    if terms.administration == "per_case":
        wanted.append(
            ("administration_cases", Decimal(usage.cases), "C62", terms.administration_fee)
        )
    elif terms.administration == "per_month":
        wanted.append(
            ("administration_months", Decimal(usage.months), "MON", terms.administration_fee)
        )
    wanted.append(("subscription", Decimal(usage.months), "MON", terms.subscription_per_month))
    lines = [
        Line(code, quantity, unit, money(price), money(quantity * price))
        for code, quantity, unit, price in wanted
        if quantity > 0 and price
    ]
    if k is not None and reveals(usage, k):
        told = [line for line in lines if line.code in TELLING]
        kept = [line for line in lines if line.code not in TELLING | PER_COUNT]
        amount = money(sum((line.amount for line in told), Decimal(0)))
        lines = ([Line("services", Decimal(1), "C62", amount, amount)] if told else []) + kept
    net = money(sum((line.amount for line in lines), Decimal(0)))
    vat = money(net * terms.vat_percent / 100)
    return Bill(lines, net, terms.vat_percent, vat, net + vat)


def reveals(usage: Usage, k: int) -> bool:
    """Whether the period's lines would say more than a report may: a number of cases,
    conversations or visits from 1 to k-1 (a line's quantity is one, or follows from one)."""
    return any(0 < n < k for n in (usage.cases, usage.conversations, usage.visits))
