"""Salesforce accounts into customers, through the stand-in: upsert, deactivate, pick up usage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.cli import main
from core.models import Contract, Customer, CustomerAlias, HourlyRollup, UnmatchedUsage
from core.salesforce.client import SalesforceAccount, connect
from core.salesforce.sync import sync_customers
from tests.fakes.salesforce import FakeSalesforce
from tests.salesforce.conftest import account, session_settings
from tests.scheduler.data import build_world

NOW = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


def fetch(fake: FakeSalesforce) -> list[SalesforceAccount]:
    return connect(session_settings(fake), verify=fake.ca_path).accounts()


def customers(session: Session) -> dict[str, Customer]:
    return {c.salesforce_account_id or "": c for c in session.exec(select(Customer))}


def aliases(session: Session) -> dict[str, int]:
    return {a.usage_id: a.customer_id for a in session.exec(select(CustomerAlias))}


def test_accounts_become_customers_and_pick_up_unmatched_usage(
    engine: Engine, salesforce: FakeSalesforce
) -> None:
    salesforce.accounts = [account(n) for n in range(1, 4)]
    salesforce.page_size = 2
    with Session(engine, expire_on_commit=False) as s:
        world = build_world(s, since=NOW - timedelta(days=30))
        hour = NOW.replace(minute=0) - timedelta(hours=3)
        s.add(
            UnmatchedUsage(
                usage_id="cluster-2b",
                dimension_id=world.requests.id,
                hour=hour,
                sum=Decimal("7.5"),
                count=3,
                last_at=hour,
            )
        )
        s.flush()

        report = sync_customers(s, accounts=fetch(salesforce), now=NOW)

        rows = customers(s)
        assert report.created == ["Customer 1", "Customer 2", "Customer 3"]
        second = rows["001000000000002AAA"]
        assert second.customer_identifier == "cust-2"
        assert second.marketplace_model == "customer_identifier"
        assert aliases(s)["cluster-2b"] == second.id
        assert report.resolved > 0
        [moved] = s.exec(select(HourlyRollup).where(HourlyRollup.customer_id == second.id)).all()
        assert moved.sum == Decimal("7.5") and moved.hour == hour


def test_accounts_that_disappear_are_deactivated_never_deleted(
    engine: Engine, salesforce: FakeSalesforce
) -> None:
    salesforce.accounts = [account(1), account(2)]
    with Session(engine, expire_on_commit=False) as s:
        sync_customers(s, accounts=fetch(salesforce), now=NOW)
        salesforce.accounts = [account(1)]

        gone = sync_customers(s, accounts=fetch(salesforce), now=NOW)
        assert gone.deactivated == ["Customer 2"]
        assert customers(s)["001000000000002AAA"].active is False

        salesforce.accounts = [account(1), account(2, Name="Customer Two")]
        back = sync_customers(s, accounts=fetch(salesforce), now=NOW)
        assert back.reactivated == ["Customer Two"]
        assert customers(s)["001000000000002AAA"].active is True
        assert len(customers(s)) == 2


def test_an_empty_answer_deactivates_nobody(engine: Engine, salesforce: FakeSalesforce) -> None:
    salesforce.accounts = [account(1)]
    with Session(engine, expire_on_commit=False) as s:
        sync_customers(s, accounts=fetch(salesforce), now=NOW)

        report = sync_customers(s, accounts=[], now=NOW)

        assert report.deactivated == []
        assert "returned no accounts" in report.problems[0]
        assert customers(s)["001000000000001AAA"].active


def test_bad_rows_are_reported_and_the_rest_synced(
    engine: Engine, salesforce: FakeSalesforce
) -> None:
    salesforce.accounts = [
        account(1, AWS_Account_Id__c="12345", AWS_License_Arn__c="arn:aws:license:1"),
        account(2, Usage_Key__c="shared-id"),
        account(3, Usage_Key__c="shared-id, own-3"),
        account(4, AWS_Account_Id__c="123456789012", AWS_License_Arn__c="arn:aws:lic:4"),
    ]
    with Session(engine, expire_on_commit=False) as s:
        report = sync_customers(s, accounts=fetch(salesforce), now=NOW)

        assert any("001000000000001AAA" in p and "not 12 digits" in p for p in report.problems)
        assert any("'shared-id' is on 2 accounts" in p for p in report.problems)
        assert "shared-id" not in aliases(s) and "own-3" in aliases(s)
        assert customers(s)["001000000000004AAA"].marketplace_model == "license"


def test_a_usage_id_moved_between_accounts_follows_salesforce(
    engine: Engine, salesforce: FakeSalesforce
) -> None:
    salesforce.accounts = [account(1), account(2)]
    with Session(engine, expire_on_commit=False) as s:
        sync_customers(s, accounts=fetch(salesforce), now=NOW)
        salesforce.accounts = [
            account(1, Usage_Key__c="cluster-1a"),
            account(2, Usage_Key__c="cluster-2a,cluster-2b,cluster-1b"),
        ]

        sync_customers(s, accounts=fetch(salesforce), now=NOW)

        ids = customers(s)
        assert aliases(s)["cluster-1b"] == ids["001000000000002AAA"].id


def test_a_plan_named_in_salesforce_starts_a_contract(
    engine: Engine, salesforce: FakeSalesforce
) -> None:
    salesforce.accounts = [account(7, Plan__c="standard"), account(8, Plan__c="platinum")]
    with Session(engine, expire_on_commit=False) as s:
        build_world(s, since=NOW - timedelta(days=30))

        report = sync_customers(s, accounts=fetch(salesforce), now=NOW)

        seven = customers(s)["001000000000007AAA"]
        [contract] = s.exec(select(Contract).where(Contract.customer_id == seven.id)).all()
        assert contract.starts_at == NOW.replace(minute=0)
        assert any("plan 'platinum' is not in the plans file" in p for p in report.problems)


def test_the_sync_customers_command(
    tmp_path: Path,
    salesforce: FakeSalesforce,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    salesforce.accounts = [account(1), account(2)]
    monkeypatch.setenv("METERBOT_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("SALESFORCE_INSTANCE_URL", salesforce.base_url)
    monkeypatch.setenv("SALESFORCE_SESSION_ID", salesforce.new_session())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", salesforce.ca_path)

    assert main(["sync-customers"]) == 0
    assert "Salesforce sync: 2 accounts, 0 problems" in capsys.readouterr().out

    monkeypatch.setenv("METERBOT_SALESFORCE_FIELDS", "plan=Contract_Plan__c")
    assert main(["sync-customers"]) == 1
    err = capsys.readouterr().err
    assert "No such column 'Contract_Plan__c'" in err and len(err.strip().splitlines()) == 1
