"""Registration at the SaaS fulfillment URL: a buyer's token into a customer.

AWS posts the buyer's browser to `POST /marketplace/register` with a registration token.
The token is resolved (ResolveCustomer), the customer found by AWS account id or
CustomerIdentifier (or created) and given the ids AWS returned, and the registration
kept on the audit trail under a hash of the token (never the token), so a replayed token
is refused and changes nothing. The agreement is then read at once, so the contract and
its entitlements are there before the first usage; if the Agreement Service cannot be
reached, the scheduled sync picks it up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, or_, select

from core.agreements.buyers import use_licence
from core.agreements.client import AgreementClient
from core.agreements.resolve import Buyer, RegistrationRefused
from core.agreements.sync import AgreementsReport, apply_agreement
from core.db import session_scope
from core.errors import ExternalServiceError
from core.models import AuditEvent, Customer, Product
from core.notifier import Message, Severity

ACTION = "marketplace.register"
REPLAYED = (
    "This registration link was already used. If you did not finish setting up your "
    "account, open the product from your AWS Marketplace subscriptions again."
)


@dataclass(frozen=True)
class Registration:
    customer: str
    created: bool
    buyer: Buyer
    contract: str  # what the agreement sync made of it, or why it waits

    def message(self) -> Message:
        facts = [
            ("Customer", self.customer),
            ("AWS account", self.buyer.aws_account_id or "-"),
            ("Agreement", self.buyer.agreement_id or "-"),
            ("Contract", self.contract),
        ]
        how = "a new customer" if self.created else "linked to the existing customer"
        return Message(
            title="New subscriber",
            summary=f"{self.customer} subscribed through AWS Marketplace ({how})",
            severity=Severity.SUCCESS,
            facts=facts,
        )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register(
    engine: Engine,
    *,
    token: str,
    resolve: Callable[[str], Buyer],
    agreements: AgreementClient | None,
    now: datetime,
) -> Registration:
    """Resolve the token and create or link the customer; raises RegistrationRefused."""
    token = token.strip()
    if not token:
        raise RegistrationRefused(
            "No registration token arrived. Open the product from "
            "your AWS Marketplace subscriptions and try again."
        )
    with session_scope(engine) as session:
        _refuse_replay(session, token_hash(token))
    buyer = resolve(token)
    with session_scope(engine) as session:
        _refuse_replay(session, token_hash(token))
        customer, created = _link(session, buyer, now=now)
        session.add(_audit(customer, buyer, token_hash(token), now))
    contract = _sync_agreement(engine, agreements, buyer, now=now)
    return Registration(customer.name, created, buyer, contract)


def _refuse_replay(session: Session, digest: str) -> None:
    used = select(AuditEvent.id).where(AuditEvent.action == ACTION, AuditEvent.subject == digest)
    if session.exec(used).first() is not None:
        raise RegistrationRefused(REPLAYED)


def _link(session: Session, buyer: Buyer, *, now: datetime) -> tuple[Customer, bool]:
    ids = [col(Customer.customer_identifier) == buyer.customer_identifier]
    if buyer.aws_account_id:
        ids.append(col(Customer.aws_account_id) == buyer.aws_account_id)
    found = session.exec(select(Customer).where(or_(*ids)).order_by(col(Customer.id))).first()
    product = session.exec(
        select(Product).where(Product.marketplace_product_code == buyer.product_code)
    ).first()
    name = f"AWS account {buyer.aws_account_id or buyer.customer_identifier}"
    customer = found or Customer(name=name)
    if buyer.license_arn:  # before the CustomerIdentifier: a new buyer is metered by licence now
        use_licence(customer, buyer.license_arn, now=now)
    customer.customer_identifier = buyer.customer_identifier
    customer.aws_account_id = buyer.aws_account_id or customer.aws_account_id
    customer.product_id = customer.product_id or (product.id if product else None)
    customer.active, customer.updated_at = True, now
    session.add(customer)
    session.flush()
    return customer, found is None


def _audit(customer: Customer, buyer: Buyer, digest: str, now: datetime) -> AuditEvent:
    detail = {
        "customer": customer.name,
        "aws_account_id": buyer.aws_account_id,
        "agreement_id": buyer.agreement_id,
        "product_code": buyer.product_code,
    }
    return AuditEvent(at=now, actor="marketplace", action=ACTION, subject=digest, detail=detail)


def _sync_agreement(
    engine: Engine, agreements: AgreementClient | None, buyer: Buyer, *, now: datetime
) -> str:
    if agreements is None or not buyer.agreement_id:
        return "from the next agreements sync"
    try:
        terms = agreements.terms(agreements.describe(buyer.agreement_id))
    except ExternalServiceError as exc:
        return f"from the next agreements sync ({exc})"
    report = AgreementsReport(read=1)
    with session_scope(engine) as session:
        apply_agreement(session, terms, report=report, now=now)
    if report.problems:
        return "; ".join(report.problems)
    return f"{terms.kind} from AWS agreement {terms.agreement_id}"
