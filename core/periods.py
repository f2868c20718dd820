"""UTC periods: hours, days and months as half-open [start, end) intervals."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from core.errors import InvalidInput

HOUR = timedelta(hours=1)
_SHOWN_HOURS = 6  # hours a list names before it says how many more
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Years meterbot can put a period in (the month after 9998-12 must exist too).
_YEARS = range(1970, 9999)


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is refused rather than guessed at."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: give a timezone")
    return moment.astimezone(UTC)


def hour_floor(moment: datetime) -> datetime:
    return as_utc(moment).replace(minute=0, second=0, microsecond=0)


def day_floor(moment: datetime) -> datetime:
    return hour_floor(moment).replace(hour=0)


def month_floor(moment: datetime) -> datetime:
    return day_floor(moment).replace(day=1)


def next_month(start: datetime) -> datetime:
    start = month_floor(start)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def previous_month(start: datetime) -> datetime:
    return month_floor(month_floor(start) - timedelta(days=1))


@dataclass(frozen=True)
class Period:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    @property
    def hours(self) -> int:
        return int((self.end - self.start) / HOUR)

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def clipped(self, as_of: datetime) -> Period:
        """The part of the period that has happened by `as_of` (at least its first hour)."""
        end = min(self.end, max(hour_floor(as_of), self.start + HOUR))
        return Period(self.start, end)


def hour_of(moment: datetime) -> Period:
    start = hour_floor(moment)
    return Period(start, start + HOUR)


def day_of(moment: datetime) -> Period:
    start = day_floor(moment)
    return Period(start, start + timedelta(days=1))


def month_of(moment: datetime) -> Period:
    start = month_floor(moment)
    return Period(start, next_month(start))


def parse_month(text: str) -> Period:
    """'2026-11' -> November 2026 in UTC; anything else is InvalidInput."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) not in _YEARS:
        raise InvalidInput(f"not a month: {text!r} (expected YYYY-MM, say 2026-11)")
    return month_of(datetime(int(match.group(1)), int(match.group(2)), 1, tzinfo=UTC))


def parse_day(text: str) -> Period:
    """'2026-11-22' -> that UTC day; anything else is InvalidInput."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        day = None
    if day is None or day.year not in _YEARS:
        raise InvalidInput(f"not a date: {text!r} (expected YYYY-MM-DD, say 2026-11-22)")
    return day_of(datetime(day.year, day.month, day.day, tzinfo=UTC))


def month_label(period: Period) -> str:
    return period.start.strftime("%Y-%m")


def hour_list(moments: Iterable[datetime]) -> str:
    """`2026-12-02 01:00Z, 02:00Z, 03:00Z` (a date only where it changes), cut after a few."""
    ordered = sorted(moments)
    parts, day = [], None
    for hour in ordered[:_SHOWN_HOURS]:
        parts.append(f"{hour:%H:00}Z" if hour.date() == day else f"{hour:%Y-%m-%d %H:00}Z")
        day = hour.date()
    more = len(ordered) - _SHOWN_HOURS
    return ", ".join(parts) + (f" and {more} more hours" if more > 0 else "")
