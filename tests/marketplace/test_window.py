"""The 24-hour window and the month-end cut-off, as the sender screens them and as the
status warns of them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.marketplace.window import deadline, earliest_open_hour, latest_open_hour


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_an_hour_is_open_for_24_hours_less_the_sending_margin():
    now = at("2026-11-22T12:10")
    assert earliest_open_hour(now) == at("2026-11-21T13:00")
    assert latest_open_hour(now) == at("2026-11-22T12:00")  # never a future hour


@pytest.mark.parametrize(
    ("now", "earliest"),
    [
        ("2026-12-01T05:30", "2026-11-30T06:00"),  # last month's hours still taken
        ("2026-12-01T05:50", "2026-12-01T00:00"),  # within the margin of 06:00: closed
        ("2026-12-01T06:00", "2026-12-01T00:00"),
    ],
)
def test_last_month_closes_at_six_on_the_first(now, earliest):
    assert earliest_open_hour(at(now)) == at(earliest)


def test_deadline_is_the_earlier_of_age_and_month_end():
    assert deadline(at("2026-11-22T10:00")) == at("2026-11-23T10:00")
    assert deadline(at("2026-11-30T23:00")) == at("2026-12-01T06:00")
