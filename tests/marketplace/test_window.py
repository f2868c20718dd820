"""The 24-hour window and the month-end cut-off, as screened and as the stand-in enforces."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.marketplace.window import deadline, earliest_open_hour, is_open


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_an_hour_is_open_for_24_hours_less_the_sending_margin():
    now = at("2026-11-22T12:10")
    assert earliest_open_hour(now) == at("2026-11-21T13:00")
    assert not is_open(at("2026-11-21T12:00"), now)
    assert is_open(at("2026-11-22T12:00"), now)
    assert not is_open(at("2026-11-22T13:00"), now)  # the future


@pytest.mark.parametrize(
    ("now", "open_"),
    [("2026-12-01T05:30", True), ("2026-12-01T05:50", False), ("2026-12-01T06:00", False)],
)
def test_last_month_closes_at_six_on_the_first(now, open_):
    assert is_open(at("2026-11-30T23:00"), at(now)) is open_


def test_deadline_is_the_earlier_of_age_and_month_end():
    assert deadline(at("2026-11-22T10:00")) == at("2026-11-23T10:00")
    assert deadline(at("2026-11-30T23:00")) == at("2026-12-01T06:00")
