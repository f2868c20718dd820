"""The command line: plans apply, invoice and demo, and one clear line when things go wrong."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from alembic import command

from bot.cli import main
from bot.commands.demo import run_demo
from core.db import alembic_config
from core.plans.file import SAMPLE_PLANS

SAMPLE = SAMPLE_PLANS


@pytest.fixture
def cli_db(engine, database_url, monkeypatch, tmp_path):
    """The `engine` fixture's database (SQLite, then PostgreSQL) as the CLI's database."""
    command.stamp(alembic_config(engine), "head")  # its tables already exist
    monkeypatch.setenv("METERBOT_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    return database_url


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(err):
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err.strip()


def test_apply_then_reapply(cli_db, capsys):
    code, out, _ = _run(capsys, "plans", "apply", str(SAMPLE))
    assert code == 0
    assert "customer: 12 created" in out
    assert "created plan gold: prices from 2026-01-01" in out
    code, out, _ = _run(capsys, "plans", "apply", str(SAMPLE))
    assert (code, out.splitlines()[0]) == (0, "plans.yml: nothing changed")


def test_a_bad_plan_file_is_one_line_and_changes_nothing(cli_db, capsys, tmp_path):
    bad = tmp_path / "plans.yml"
    text = SAMPLE.read_text().replace('{up_to: 10000, unit_price: "0.30"}', "{up_to: 900}")
    bad.write_text(text)
    code, _, err = _run(capsys, "plans", "apply", str(bad))
    assert code == 1
    assert _one_line_error(err) == (
        "meterbot: plans.yml: plans[standard].prices.api_requests.tiers[1].up_to:"
        " must be greater than 1000"
    )
    code, _, err = _run(capsys, "invoice", "Northwind", "--month", "2026-10")
    assert code == 1 and "no customer matches" in err  # nothing was applied


def test_invoice_table_and_csv(cli_db, capsys):
    _run(capsys, "plans", "apply", str(SAMPLE))
    code, out, _ = _run(capsys, "invoice", "northwind", "--month", "2026-10")
    assert code == 0
    assert "Invoice 2026-10 for Northwind Analytics" in out
    assert "Total USD  5,000.00" in out  # the Gold minimum commitment
    code, out, _ = _run(capsys, "invoice", "cl-globex-01", "--month", "2026-10", "--csv")
    assert code == 0
    assert out.splitlines()[-1] == "Globex Logistics,2026-10,USD,total,total,,,,,,,,,500.00"


@pytest.mark.parametrize("month", ["2026-13", "Oct", "2026-1"])
def test_a_bad_month_is_one_line(cli_db, capsys, month):
    code, _, err = _run(capsys, "invoice", "Northwind", "--month", month)
    assert code in (1, 2)
    assert "not a month" in _one_line_error(err)


def test_an_unknown_customer_gets_suggestions(cli_db, capsys):
    _run(capsys, "plans", "apply", str(SAMPLE))
    code, _, err = _run(capsys, "invoice", "Northwnd Analytics", "--month", "2026-10")
    assert code == 1
    assert "did you mean Northwind Analytics" in _one_line_error(err)


def test_an_unreachable_database_is_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("METERBOT_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/x")
    code, _, err = _run(capsys, "plans", "apply", str(SAMPLE))
    assert code != 0
    assert "database unreachable" in _one_line_error(err)


def test_a_missing_plan_file_is_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "plans", "apply", "nowhere.yml")
    assert code == 1
    assert _one_line_error(err).startswith("meterbot: nowhere.yml: cannot read the file")
    assert not (tmp_path / "meterbot.db").exists()  # refused before opening any database


def test_demo_runs_fast_in_its_own_folder(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(capsys, "demo", "--dir", str(tmp_path / "demo"))
    assert code == 0
    assert f"working in {tmp_path / 'demo'}" in out
    # Usage files go through real ingestion: bad lines quarantined, unknown ids kept.
    for reason in ("malformed", "missing_field", "bad_timestamp", "unknown_dimension"):
        assert f"quarantined, {reason}: 1" in out
    assert "unmatched usage id cl-new-lab: 1 records" in out
    assert "Marketplace dry run: would send" in out
    assert "Northwind Analytics" in out and "Total USD" in out
    assert "Daily digest" in out and any((tmp_path / "demo").glob("digest-*.png"))
    assert (tmp_path / "demo" / "meterbot-demo.db").exists()
    assert not (tmp_path / "meterbot.db").exists()  # the user's database is untouched


def test_demo_is_deterministic_and_fresh_each_time(tmp_path):
    now = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)
    first, second = io.StringIO(), io.StringIO()
    run_demo(tmp_path, now=now, out=first)
    run_demo(tmp_path, now=now, out=second)
    timings = re.compile(r"\d+\.\d+ s\b| \([\d,]+ MB/s\)")
    assert timings.sub("", first.getvalue()) == timings.sub("", second.getvalue())
    assert "Total USD  5,000.00" in first.getvalue()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["ingest", "--source", "s3://Bad Bucket!/x"], "expected s3://bucket/prefix/"),
        (["ingest", "--source", "http://example.com/x"], "or a folder"),
        (["ingest", "--source", "/no/such/folder"], "/no/such/folder is not a folder"),
        (["ingest", "--source", ".", "--lookback-days", "-5"], "positive number of days"),
        (["ingest", "--source", ".", "--max-age-days", "0"], "positive number of days"),
        (["ledger", "--since", "9999-12-31"], "not a date"),
        (["ledger", "--limit", "0"], "positive number of records"),
        (["invoice", "Northwind", "--month", "9999-12"], "not a month"),
    ],
)
def test_bad_arguments_end_in_one_clear_line(cli_db, capsys, argv, expected):
    try:
        code, _, err = _run(capsys, *argv)
    except SystemExit as refused:  # argparse's own refusal: exit 2, one line
        err = capsys.readouterr().err
        assert refused.code == 2 and expected in _one_line_error(err)
        return
    assert code == 1
    assert expected in _one_line_error(err)
