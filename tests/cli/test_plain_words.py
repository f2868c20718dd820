"""Plain words: a read-only verb never creates an empty database, a dry run says so
first, settings errors name the variable in plain words and never its value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from core.errors import ConfigError
from core.plans.file import SAMPLE_PLANS
from core.settings import load_settings


@pytest.mark.parametrize(
    "argv",
    [["invoice", "Northwind"], ["ledger"], ["status"], ["problems"], ["problems", "--csv"]],
)
def test_a_read_only_verb_on_a_missing_database_says_so_and_creates_nothing(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("METERBOT_DATABASE_URL", "sqlite:///typo.db")
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err == (
        f"meterbot: no database at {tmp_path / 'typo.db'} (METERBOT_DATABASE_URL): nothing to "
        "read; set METERBOT_DATABASE_URL to your database, or run meterbot plans apply first\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_plans_apply_dry_run_starts_with_dry_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["plans", "apply", str(SAMPLE_PLANS), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dry run, nothing was changed: plans.yml: would apply these changes\n")
    assert "applied" not in out
    assert main(["invoice", "Northwind", "--month", "2026-10"]) == 1  # nothing was applied
    assert "no customer matches" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("METERBOT_HEARTBEAT", "maybe-secret", "expected true or false"),
        ("METERBOT_MARKETPLACE", "production-secret", "expected 'live' or 'dry-run'"),
        ("METERBOT_SALESFORCE_TIMEOUT", "-7", "expected a number above 0"),
        ("METERBOT_SALESFORCE_TIMEOUT", "soon-secret", "expected a number"),
        ("METERBOT_DATABASE_URL", "mysql://u:pw-secret@h/db", "expected sqlite:///path or"),
        ("METERBOT_ADMINS", "U0123,al-secret@example.com", "1 of 2 entries are not Slack"),
        ("METERBOT_SCHEDULE_SUBMIT", "61 * * * * secret", "not a cron schedule: expected five"),
    ],
)
def test_settings_errors_are_plain_and_never_show_the_value(
    name: str, value: str, said: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({name: value})
    message = str(refused.value)
    assert message.startswith(f"{name}: {said}")
    assert "secret" not in message and value not in message
    assert "Value error" not in message and "Input should be" not in message


@pytest.mark.parametrize("value", ["Live", "LIVE", " live ", "Dry-Run"])
def test_the_marketplace_mode_in_any_case(value: str) -> None:
    settings = load_settings({"METERBOT_MARKETPLACE": value})
    assert settings.marketplace == value.strip().lower()
