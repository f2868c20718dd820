"""The agreements sync: AWS's purchase agreements into customers and contracts.

One pass reads the agreements updated since the last one (AfterLastUpdateTime), with
their terms and licences, before any transaction is open; then, in one transaction,
each becomes or updates a customer and its contract versions. An agreement that could
not be applied (a dimension or plan the plans file lacks) is kept unapplied and read
again next pass, so fixing the plans file is enough to pick it up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from core.agreements.buyers import buyer_customer
from core.agreements.client import AgreementClient
from core.agreements.contracts import (
    build_version,
    plan_for,
    plans_contract,
    plans_entitlements,
    write_version,
)
from core.agreements.terms import AgreementTerms
from core.db import session_scope
from core.models import Agreement, Customer, Dimension, Product
from core.notifier import Message, sync_message

UNAPPLIED = ""  # Agreement.terms_hash of an agreement whose terms could not be applied


@dataclass
class AgreementsReport:
    read: int = 0
    new: list[str] = field(default_factory=list)
    amended: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    new_customers: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any((self.new, self.amended, self.ended, self.differences, self.problems))

    def message(self) -> Message:
        facts = [
            ("Agreements read", str(self.read)),
            ("New / amended / ended", f"{len(self.new)} / {len(self.amended)} / {len(self.ended)}"),
            ("New customers", str(len(self.new_customers))),
            ("Differences from the plans file", str(len(self.differences))),
        ]
        changes = {
            "new": self.new,
            "amended": self.amended,
            "ended": self.ended,
            "differs": self.differences,
        }
        summary = f"{self.read} agreements read"
        return sync_message("AWS agreements sync", summary, facts, changes, self.problems)

    def as_text(self) -> str:
        return self.message().as_text()


def sync_agreements(
    engine: Engine, client: AgreementClient, *, now: datetime, full: bool = False
) -> AgreementsReport:
    """One pass: read what changed at AWS (outside any transaction), then apply it."""
    with session_scope(engine) as session:
        since = None if full else cursor(session)
    read = [client.terms(summary) for summary in client.changed_since(since)]
    report = AgreementsReport(read=len(read))
    with session_scope(engine) as session:
        for terms in read:
            apply_agreement(session, terms, report=report, now=now)
    return report


def cursor(session: Session) -> datetime | None:
    """Where the next pass starts: just before the oldest unapplied agreement, else the
    newest update seen."""
    unapplied = select(func.min(Agreement.last_update_time)).where(
        Agreement.terms_hash == UNAPPLIED
    )
    oldest = session.exec(unapplied).one()
    if oldest is not None:
        return oldest - timedelta(seconds=1)
    return session.exec(select(func.max(Agreement.last_update_time))).one()


def apply_agreement(
    session: Session, terms: AgreementTerms, *, report: AgreementsReport, now: datetime
) -> Agreement:
    """Make one agreement's customer, contract versions and mirror row say its terms."""
    dimensions = _dimensions(session, terms)
    product_id = _product_id(session, dimensions)
    customer, created = buyer_customer(session, terms, product_id=product_id, now=now)
    if created:
        report.new_customers.append(customer.name)
    mirror = _mirror(session, terms, customer, now)
    problems = _problems(terms, dimensions)
    plans = plans_contract(session, customer, max(now, terms.starts_at))
    plan = plan_for(session, plans, customer.product_id)
    if plan is None:
        problems.append(f"no plan in the plans file for product {terms.product_ref}")
    if problems:
        report.problems += [f"{customer.name} ({terms.agreement_id}): {p}" for p in problems]
        mirror.terms_hash = UNAPPLIED
        return mirror
    assert plan is not None
    version, differences = build_version(terms, dimensions, plans_entitlements(session, plans))
    report.differences += [f"{customer.name}: {text}" for text in differences]
    outcome = write_version(
        session, customer=customer, plan=plan, terms=terms, version=version, now=now
    )
    label = f"{customer.name} ({terms.agreement_id}, {terms.kind})"
    if terms.ended and mirror.terms_hash != UNAPPLIED and mirror.status != terms.status:
        report.ended.append(label)
    elif outcome == "new":
        report.new.append(label)
    elif outcome == "amended":
        report.amended.append(label)
    _update_mirror(mirror, terms)
    return mirror


def _dimensions(session: Session, terms: AgreementTerms) -> dict[str, Dimension]:
    """AWS dimension key -> the plans file's dimension, from the product most of them are in."""
    keys = set(terms.entitlements) | set(terms.rates) | set(terms.trial_grants)
    if not keys:
        return {}
    rows = session.exec(select(Dimension).where(col(Dimension.marketplace_key).in_(keys))).all()
    by_product: dict[int, dict[str, Dimension]] = {}
    for row in rows:
        by_product.setdefault(row.product_id, {})[row.marketplace_key] = row
    return max(by_product.values(), key=len, default={})


def _product_id(session: Session, dimensions: dict[str, Dimension]) -> int | None:
    """The product the agreement's dimensions belong to; without any, the only product."""
    if dimensions:
        return next(iter(dimensions.values())).product_id
    products = session.exec(select(Product.id).limit(2)).all()
    return products[0] if len(products) == 1 else None


def _problems(terms: AgreementTerms, dimensions: dict[str, Dimension]) -> list[str]:
    keys = set(terms.entitlements) | set(terms.rates)
    return [
        f"dimension {key!r} is not in the plans file (dimensions[].marketplace_key)"
        for key in sorted(keys - set(dimensions))
    ]


def _mirror(
    session: Session, terms: AgreementTerms, customer: Customer, now: datetime
) -> Agreement:
    query = select(Agreement).where(Agreement.agreement_id == terms.agreement_id)
    mirror = session.exec(query).first()
    if mirror is None:
        assert customer.id is not None
        mirror = Agreement(
            agreement_id=terms.agreement_id,
            customer_id=customer.id,
            account_id=terms.account_id,
            status=terms.status,
            kind=terms.kind,
            starts_at=terms.starts_at,
            terms_hash=UNAPPLIED,
            last_update_time=terms.updated_at,
        )
    mirror.last_update_time, mirror.synced_at = terms.updated_at, now
    session.add(mirror)
    return mirror


def _update_mirror(mirror: Agreement, terms: AgreementTerms) -> None:
    mirror.status, mirror.kind = terms.status, terms.kind
    mirror.product_ref, mirror.license_arn = terms.product_ref, terms.license_arn
    mirror.license_status = terms.license_status
    mirror.starts_at, mirror.ends_at = terms.starts_at, terms.ends_at
    mirror.free_trial_ends_at, mirror.currency = terms.free_trial_ends_at, terms.currency
    mirror.recurring_fee, mirror.billing_period = terms.recurring_fee, terms.billing_period
    mirror.terms_hash = terms.fingerprint()
