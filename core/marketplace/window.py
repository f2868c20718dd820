"""Which hours Marketplace still accepts: the 24-hour window and the month-end cut-off.

A record may be at most 24 hours old, and a month's records are refused after 06:00 UTC
on the next month's first day. One stale record makes Marketplace refuse the whole call,
so every record is screened before it is sent, with a safety margin for the time the
pass itself takes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.periods import HOUR, hour_floor, month_floor, next_month

MAX_AGE = timedelta(hours=24)
GRACE = timedelta(hours=6)  # after a month ends, its records are taken until 06:00 UTC
MARGIN = timedelta(minutes=15)  # a pass must finish sending before the window moves


def earliest_open_hour(now: datetime, margin: timedelta = MARGIN) -> datetime:
    """The oldest hour a record sent within `margin` of `now` will still be accepted for."""
    by_age = hour_floor(now + margin - MAX_AGE) + HOUR
    month = month_floor(now)
    if now + margin >= month + GRACE:
        return max(by_age, month)
    return by_age


def latest_open_hour(now: datetime) -> datetime:
    """The newest hour a record may carry: the current one (its start is in the past)."""
    return hour_floor(now)


def deadline(hour: datetime) -> datetime:
    """When Marketplace stops taking records for `hour`."""
    return min(hour + MAX_AGE, next_month(hour) + GRACE)
