"""Sent and invoiced money per week: what the reconcile post's chart draws.

"Sent" is what the ledger's accepted quantities cost at the agreement's rate card, in
the week of their hour; "invoiced" is each invoice AWS issued (a credit memo takes away),
in the week it was issued. Pure functions over plain values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal


@dataclass
class WeeklyMoney:
    currency: str = "USD"
    sent: dict[date, Decimal] = field(default_factory=dict)  # Monday of the week -> amount
    invoiced: dict[date, Decimal] = field(default_factory=dict)

    def add_sent(self, points: Iterable[tuple[datetime, Decimal]]) -> None:
        _add(self.sent, points)

    def add_invoiced(self, points: Iterable[tuple[datetime, Decimal]]) -> None:
        _add(self.invoiced, points)

    @property
    def weeks(self) -> list[date]:
        return sorted(set(self.sent) | set(self.invoiced))


def week_of(moment: datetime) -> date:
    """The Monday (UTC) of the week `moment` falls in."""
    day = moment.date()
    return day - timedelta(days=day.weekday())


def _add(into: dict[date, Decimal], points: Iterable[tuple[datetime, Decimal]]) -> None:
    for moment, amount in points:
        week = week_of(moment)
        into[week] = into.get(week, Decimal(0)) + amount
