"""`meterbot reconcile` from the command line, against the CloudTrail stand-in."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from alembic import command

from bot.cli import main
from core.db import alembic_config, session_scope
from core.reconcile import explain, open_findings
from tests.fakes.cloudtrail import CloudTrailStandIn
from tests.reconcile.conftest import H1, Books, trade


@pytest.fixture
def cli(books: Books, database_url, monkeypatch, tmp_path):
    command.stamp(alembic_config(books.world.engine), "head")  # its tables already exist
    monkeypatch.setenv("METERBOT_DATABASE_URL", database_url)
    for name, value in books.trail.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return books


class _November23(datetime):
    """The day after the sends: CloudTrail keeps 90 days, counted from the verb's now."""

    @classmethod
    def now(cls, tz=None):
        return datetime(2026, 11, 23, tzinfo=tz)


def test_reconcile_prints_the_differences_and_exits_3(cli, capsys, monkeypatch):
    trade(cli)
    cli.trail.forget(cli.record_id(cli.world.beta.id, cli.world.seats.id, H1))
    # The sends were in November 2026: CloudTrail and the verb read the clock then.
    cli.trail.clock = lambda: datetime(2026, 11, 23, tzinfo=UTC)
    monkeypatch.setattr("bot.commands.reconcile.datetime", _November23)

    assert main(["reconcile", "--month", "2026-11", "--csv", "--quiet"]) == 3
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["kind"], r["customer"], r["dimension"]) for r in rows] == [
        ("missing", "Beta", "seats")
    ]
    assert err.strip().splitlines() == [
        "meterbot: 1 open differences with AWS for 2026-11 (meterbot reconcile --month 2026-11 "
        "--csv)"
    ]
    assert "testing" not in out + err
    # Once someone explains it, the next run is done with nothing open (0).
    with session_scope(cli.world.engine) as session:
        [finding] = open_findings(session, "2026-11")
        explain(
            session, finding.id or 0, actor="U0ADMIN", explanation="known", now=datetime.now(UTC)
        )
    assert main(["reconcile", "--month", "2026-11", "--quiet"]) == 0
    assert "(explained)" in capsys.readouterr().out


def test_a_clean_month_exits_0(cli, capsys):
    cli.trail.clock = lambda: datetime.now(UTC)
    assert main(["reconcile", "--quiet"]) == 0
    assert "agrees" in capsys.readouterr().out


def test_a_refused_lookup_fails_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("METERBOT_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    with CloudTrailStandIn() as trail:
        for name, value in trail.env().items():
            monkeypatch.setenv(name, value)
        trail.fail_next("AccessDeniedException", calls=10)
        assert main(["reconcile", "--quiet"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "meterbot: CloudTrail LookupEvents: AccessDeniedException: the AWS credentials may "
        "not read CloudTrail: allow cloudtrail:LookupEvents"
    ]


def test_a_bad_month_is_refused_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("METERBOT_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    assert main(["reconcile", "--month", "2026-13", "--quiet"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "meterbot: not a month: '2026-13' (expected YYYY-MM, say 2026-11)"
    ]
