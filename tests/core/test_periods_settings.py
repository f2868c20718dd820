"""UTC periods and settings validation: what every other part stands on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.errors import ConfigError, InvalidInput
from core.periods import day_of, hour_of, month_of, parse_day, parse_month, previous_month
from core.settings import load_settings


def test_months_are_half_open_and_know_their_hours():
    february = parse_month("2028-02")  # a leap year
    assert february.hours == 29 * 24
    assert datetime(2028, 2, 29, 23, 59, 59, tzinfo=UTC) in february
    assert datetime(2028, 3, 1, tzinfo=UTC) not in february
    assert parse_month("2026-12").end == datetime(2027, 1, 1, tzinfo=UTC)
    assert previous_month(datetime(2026, 1, 15, tzinfo=UTC)) == datetime(2025, 12, 1, tzinfo=UTC)


def test_periods_are_taken_in_utc_whatever_the_offset():
    # 00:30 on Nov 1 in UTC+2 is still October 31 in UTC.
    moment = datetime(2026, 11, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert month_of(moment).start == datetime(2026, 10, 1, tzinfo=UTC)
    assert day_of(moment).start == datetime(2026, 10, 31, tzinfo=UTC)
    assert hour_of(moment).start == datetime(2026, 10, 31, 22, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        hour_of(datetime(2026, 11, 1))


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "Nov 2026", "", "9999-12", "0000-01"])
def test_bad_months_are_refused_with_the_expected_form(text):
    with pytest.raises(InvalidInput, match="YYYY-MM"):
        parse_month(text)
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        parse_day(text)


def test_dates_past_the_calendar_are_refused_not_crashed_on():
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        parse_day("9999-12-31")
    assert parse_day("2026-11-22").hours == 24


def test_settings_parse_admins_and_name_the_variable_at_fault():
    settings = load_settings({"METERBOT_ADMINS": "U0123, U0456", "SLACK_API_URL": "http://x/api"})
    assert settings.admins == {"U0123", "U0456"}
    assert settings.slack_api_url == "http://x/api/"
    assert settings.dry_run
    with pytest.raises(ConfigError, match="METERBOT_MARKETPLACE") as err:
        load_settings({"METERBOT_MARKETPLACE": "yes", "SLACK_BOT_TOKEN": "xoxb-secret"})
    assert "xoxb-secret" not in str(err.value)
    with pytest.raises(ConfigError, match="METERBOT_ADMINS"):
        load_settings({"METERBOT_ADMINS": "alice@example.com"})
    with pytest.raises(ConfigError, match="METERBOT_DATABASE_URL"):
        load_settings({"METERBOT_DATABASE_URL": "mysql://x"})


def test_secrets_never_show_in_the_settings_repr():
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-secret", "SALESFORCE_PASSWORD": "hunter2"})
    assert "xoxb-secret" not in repr(settings)
    assert "hunter2" not in repr(settings)


def test_late_usage_is_carried_unless_reporting_is_asked_for():
    assert load_settings({}).late_usage == "carry"
    assert load_settings({"METERBOT_LATE_USAGE": "report"}).late_usage == "report"
    with pytest.raises(ConfigError, match="METERBOT_LATE_USAGE"):
        load_settings({"METERBOT_LATE_USAGE": "drop"})
