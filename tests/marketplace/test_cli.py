"""`meterbot submit` and `meterbot ledger` from the command line, against the stand-in."""

from __future__ import annotations

import contextlib
import csv
import io
from datetime import UTC, datetime, timedelta

from bot.cli import main
from core.db import open_database
from core.periods import hour_floor
from tests.marketplace.conftest import build_world


def test_submit_then_ledger_on_the_command_line(tmp_path, monkeypatch, marketplace, capsys):
    url = f"sqlite:///{tmp_path}/cli.db"
    engine = open_database(url)
    world = build_world(engine)
    hour = hour_floor(datetime.now(UTC)) - timedelta(hours=2)
    world.usage(world.alpha, world.storage, hour, "2500")
    engine.dispose()
    marketplace.clock = lambda: datetime.now(UTC)  # the CLI runs on the real clock
    monkeypatch.setenv("METERBOT_DATABASE_URL", url)
    for name, value in marketplace.env().items():
        monkeypatch.setenv(name, value)

    assert main(["submit", "--dry-run"]) == 0
    assert "Marketplace dry run: would send" in capsys.readouterr().out
    assert marketplace.calls == 0

    monkeypatch.setenv("METERBOT_MARKETPLACE", "live")
    assert main(["submit"]) == 0
    out = capsys.readouterr().out
    assert "Marketplace submission: sent" in out and "accepted" in out

    assert main(["ledger", "--customer", "alpha", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    storage = [r for r in rows if r["dimension"] == "storage" and r["quantity"] == "2.5"]
    assert storage and storage[0]["status"] == "accepted" and storage[0]["metering_record_id"]
    assert all(r["source"] == "scheduled" for r in rows)

    assert main(["ledger", "--status", "lost"]) == 1
    assert "unknown status 'lost'" in capsys.readouterr().err


def test_ledger_bad_input_fails_with_one_clear_line(engine, database_url, monkeypatch, capsys):
    from alembic import command

    from core.db import alembic_config

    with engine.begin() as connection:  # the schema is current: the CLI opens it as is
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.stamp(config, "head")
    monkeypatch.setenv("METERBOT_DATABASE_URL", database_url)
    for argv, says in [
        (["ledger", "--status", "lost"], "unknown status 'lost'"),
        (["ledger", "--since", "22/11/2026"], "not a date: '22/11/2026'"),
        (["ledger", "--since", "2026-11-22T10:00Z"], "not a date"),
        (["ledger", "--limit", "-1"], "--limit"),
        (["ledger", "--limit", "many"], "--limit"),
    ]:
        with contextlib.suppress(SystemExit):
            assert main(argv) != 0
        err = capsys.readouterr().err
        assert says in err and err.count("\n") == 1, (argv, err)
