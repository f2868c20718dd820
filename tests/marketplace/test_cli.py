"""`meterbot submit` and `meterbot ledger` from the command line, against the stand-in."""

from __future__ import annotations

import contextlib
import csv
import io
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.cli import main
from core.db import open_database
from core.models import Customer, MarketplaceModel, MeteringRecord
from core.periods import hour_floor, month_of
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


def _cli_world(tmp_path, monkeypatch, marketplace):
    url = f"sqlite:///{tmp_path}/cli.db"
    engine = open_database(url)
    world = build_world(engine)
    hour = hour_floor(datetime.now(UTC)) - timedelta(hours=2)
    world.usage(world.alpha, world.storage, hour, "2500")
    world.usage(world.beta, world.archive, hour, "7")
    marketplace.clock = lambda: datetime.now(UTC)
    monkeypatch.setenv("METERBOT_DATABASE_URL", url)
    for name, value in marketplace.env().items():
        monkeypatch.setenv(name, value)
    return world, engine, hour


def test_a_dry_run_lists_every_record_and_what_period_closes_will_send(
    tmp_path, monkeypatch, marketplace, capsys
):
    _, engine, hour = _cli_world(tmp_path, monkeypatch, marketplace)
    engine.dispose()
    assert main(["submit", "--dry-run"]) == 0
    out = capsys.readouterr().out
    stamp = f"{hour:%Y-%m-%d %H:00}Z"
    assert f"Alpha storage {stamp} 2.5 TB (customer_identifier): dry_run" in out
    assert "Beta storage " in out and "0 TB (license): dry_run" in out  # heartbeats listed too
    last_hour = month_of(datetime.now(UTC)).end - timedelta(hours=1)
    assert (
        f"at the close of {last_hour:%Y-%m}: Beta archive {last_hour:%Y-%m-%d %H:00}Z "
    ) in out and "(license; before entitlements)" in out
    assert marketplace.calls == 0


def test_a_live_pass_without_credentials_says_which_to_set_before_anything(
    tmp_path, monkeypatch, marketplace, capsys
):
    _, engine, _ = _cli_world(tmp_path, monkeypatch, marketplace)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("METERBOT_MARKETPLACE", "live")
    assert main(["submit"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "AWS_ACCESS_KEY_ID" in err and "AWS_SECRET_ACCESS_KEY" in err and "AWS_PROFILE" in err
    with Session(engine) as session:
        assert session.exec(select(MeteringRecord)).all() == []  # nothing queued
    assert marketplace.calls == 0


def test_the_ledger_hint_finds_the_records_it_points_at(tmp_path, monkeypatch, marketplace, capsys):
    world, engine, hour = _cli_world(tmp_path, monkeypatch, marketplace)
    with Session(engine) as session:
        gamma = Customer(
            name="Gamma",
            product_id=world.product.id,
            marketplace_model=MarketplaceModel.CUSTOMER_IDENTIFIER,
            customer_identifier="cust-gamma",  # not subscribed at the stand-in
        )
        session.add(gamma)
        session.commit()
        session.refresh(gamma)
    world.usage(gamma, world.storage, hour, "1000")
    engine.dispose()
    monkeypatch.setenv("METERBOT_MARKETPLACE", "live")
    assert main(["submit"]) != 0
    hint = capsys.readouterr().err
    assert "meterbot ledger --status not_subscribed)" in hint
    assert main(["ledger", "--status", "not_subscribed", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and {r["customer"] for r in rows} == {"Gamma"}
