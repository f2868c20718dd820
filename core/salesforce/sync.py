"""Salesforce accounts into customers: upsert by account id, deactivate what disappears.

Salesforce is the master for the customers it knows (those with a Salesforce account
id): their name, Marketplace ids and usage ids follow Salesforce. Customers are never
deleted; an account that leaves the query is marked inactive and comes back active if
it reappears. After the upsert, unmatched usage under newly mapped ids is resolved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.customers.lookup import contract_at
from core.db import session_scope
from core.ingest.unmatched import resolve_unmatched
from core.models import Contract, ContractKind, Customer, CustomerAlias, MarketplaceModel, Plan
from core.notifier import Message, sync_message
from core.periods import HOUR, hour_floor
from core.salesforce.client import SalesforceAccount, connect
from core.settings import Settings


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    aliases_added: int = 0
    aliases_removed: int = 0
    contracts_created: int = 0
    problems: list[str] = field(default_factory=list)
    resolved: int = 0
    seen: int = 0

    @property
    def changed(self) -> bool:
        counts = (self.created, self.updated, self.deactivated, self.reactivated, self.problems)
        return any(counts) or bool(self.aliases_added or self.aliases_removed or self.resolved)

    def message(self) -> Message:
        facts = [
            ("Accounts", str(self.seen)),
            ("New", str(len(self.created))),
            ("Updated", str(len(self.updated))),
            ("Deactivated", str(len(self.deactivated))),
            ("Usage ids added / removed", f"{self.aliases_added} / {self.aliases_removed}"),
            ("Unmatched usage picked up", str(self.resolved)),
        ]
        changes = {
            "new": self.created,
            "deactivated": self.deactivated,
            "reactivated": self.reactivated,
        }
        summary = f"{self.seen} accounts"
        return sync_message("Salesforce sync", summary, facts, changes, self.problems)

    def as_text(self) -> str:
        return self.message().as_text()


def sync_from_salesforce(engine: Engine, settings: Settings, *, now: datetime) -> SyncReport:
    """One sync: read the accounts (before the transaction), then upsert and commit."""
    accounts = connect(settings).accounts()
    with session_scope(engine) as session:
        return sync_customers(session, accounts=accounts, now=now)


def sync_customers(
    session: Session, *, accounts: Sequence[SalesforceAccount], now: datetime
) -> SyncReport:
    """Bring customers in line with `accounts` (adds and flushes; the caller commits)."""
    report = SyncReport(seen=len(accounts))
    usable = _usable_accounts(accounts, report)
    owners = _claimed_usage_ids(usable, report)
    existing = {
        c.salesforce_account_id: c
        for c in session.exec(
            select(Customer).where(col(Customer.salesforce_account_id).isnot(None))
        )
    }
    for account in usable:
        customer = _upsert_customer(session, existing.get(account.account_id), account, now, report)
        _sync_aliases(session, customer, account, owners, report)
        _ensure_contract(session, customer, account, now, report)
    _deactivate_missing(existing, {a.account_id for a in accounts}, now, report, bool(accounts))
    session.flush()
    report.resolved = resolve_unmatched(session, now=now)
    return report


def _usable_accounts(
    accounts: Sequence[SalesforceAccount], report: SyncReport
) -> list[SalesforceAccount]:
    """Accounts whose ids fit; the others are reported, named by account id."""
    usable = []
    for account in accounts:
        problem = _account_problem(account)
        if problem:
            report.problems.append(f"account {account.account_id or '(no Id)'}: {problem}")
        else:
            usable.append(account)
    return usable


def _account_problem(account: SalesforceAccount) -> str | None:
    if not account.account_id or len(account.account_id) > 18:
        return "Id is not a Salesforce account id"
    if not account.name:
        return "Name is empty"
    if account.aws_account_id and not (
        account.aws_account_id.isdigit() and len(account.aws_account_id) == 12
    ):
        return f"AWS account id {account.aws_account_id!r} is not 12 digits"
    if account.license_arn and not account.license_arn.startswith("arn:"):
        return f"license {account.license_arn!r} is not an ARN"
    return None


def _claimed_usage_ids(accounts: list[SalesforceAccount], report: SyncReport) -> dict[str, str]:
    """usage id -> the one account claiming it; ids two accounts claim are left alone."""
    counts = Counter(u for a in accounts for u in a.usage_ids)
    for usage_id, n in counts.items():
        if n > 1:
            report.problems.append(f"usage id {usage_id!r} is on {n} accounts; left unchanged")
    return {u: a.account_id for a in accounts for u in a.usage_ids if counts[u] == 1}


def _upsert_customer(
    session: Session,
    customer: Customer | None,
    account: SalesforceAccount,
    now: datetime,
    report: SyncReport,
) -> Customer:
    if customer is None:
        customer = Customer(name=account.name, salesforce_account_id=account.account_id)
        report.created.append(account.name)
    elif not customer.active:
        report.reactivated.append(account.name)
    model = _marketplace_model(account)
    values = {
        "name": account.name,
        "customer_identifier": account.customer_identifier,
        "aws_account_id": account.aws_account_id,
        "license_arn": account.license_arn,
        "marketplace_model": model,
        "active": True,
    }
    changed = [k for k, v in values.items() if getattr(customer, k) != v]
    if customer.id is not None and changed and account.name not in report.reactivated:
        report.updated.append(account.name)
    if customer.id is not None and "marketplace_model" in changed and model is not None:
        # A switch takes effect on the next hour boundary: hours already metered keep theirs.
        customer.model_since = hour_floor(now) + HOUR
    for key, value in values.items():
        setattr(customer, key, value)
    if changed or customer.id is None:
        customer.updated_at = now
    session.add(customer)
    session.flush()
    return customer


def _marketplace_model(account: SalesforceAccount) -> str | None:
    if account.aws_account_id and account.license_arn:
        return MarketplaceModel.LICENSE
    if account.customer_identifier:
        return MarketplaceModel.CUSTOMER_IDENTIFIER
    return None


def _sync_aliases(
    session: Session,
    customer: Customer,
    account: SalesforceAccount,
    owners: dict[str, str],
    report: SyncReport,
) -> None:
    assert customer.id is not None  # flushed by _upsert_customer
    wanted = {u for u in account.usage_ids if owners.get(u) == account.account_id}
    disputed = set(account.usage_ids) - wanted
    held = select(CustomerAlias).where(CustomerAlias.customer_id == customer.id)
    for old in session.exec(held):
        if old.usage_id not in wanted and old.usage_id not in disputed:
            session.delete(old)
            report.aliases_removed += 1
    session.flush()
    for usage_id in sorted(wanted):
        by_id = select(CustomerAlias).where(CustomerAlias.usage_id == usage_id)
        alias = session.exec(by_id).first()
        if alias is None:
            session.add(CustomerAlias(customer_id=customer.id, usage_id=usage_id))
            report.aliases_added += 1
        elif alias.customer_id != customer.id:
            # Moved in Salesforce from one account to another: usage follows from now on.
            alias.customer_id = customer.id
            session.add(alias)
            report.aliases_added += 1
    session.flush()


def _ensure_contract(
    session: Session,
    customer: Customer,
    account: SalesforceAccount,
    now: datetime,
    report: SyncReport,
) -> None:
    """A customer with a plan and no contract gets a pay-as-you-go contract from this hour."""
    if account.plan is None or customer.id is None:
        return
    plan = session.exec(select(Plan).where(Plan.key == account.plan)).first()
    if plan is None or plan.id is None:
        report.problems.append(f"{account.name}: plan {account.plan!r} is not in the plans file")
        return
    current = contract_at(session, customer_id=customer.id, at=now)
    if current is not None:
        if current.plan_id != plan.id:
            report.problems.append(
                f"{account.name}: Salesforce says plan {account.plan!r}, the contract in "
                "force has another; the contract is kept (change it in the plans file)"
            )
        return
    session.add(
        Contract(
            customer_id=customer.id,
            plan_id=plan.id,
            kind=ContractKind.SUBSCRIPTION,
            starts_at=hour_floor(now),
        )
    )
    if customer.product_id is None:
        customer.product_id = plan.product_id
        session.add(customer)
    report.contracts_created += 1


def _deactivate_missing(
    existing: dict[str | None, Customer],
    seen: set[str],
    now: datetime,
    report: SyncReport,
    query_returned_rows: bool,
) -> None:
    missing = [c for k, c in existing.items() if k not in seen and c.active]
    if missing and not query_returned_rows:
        # An empty answer is far more often a broken filter than every customer leaving.
        report.problems.append(
            f"the query returned no accounts; {len(missing)} customers were left active"
        )
        return
    for customer in missing:
        customer.active = False
        customer.updated_at = now
        report.deactivated.append(customer.name)
