"""An AWS agreement as the agreements sync records it, for a world that needs AWS's
prices without running the sync (core.agreements): a plan of its own, a contract that
carries the agreement id and AWS's rates, and the Agreement row. A plans file cannot say
this: only AWS makes agreements.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session

from core.models import Agreement, Contract, ContractRate, Customer, Dimension, Plan
from tests.worlds.plans import one


def agree(
    engine: Engine,
    customer: Customer,
    agreement_id: str,
    rates: dict[str, str],
    *,
    starts: datetime,
) -> None:
    """The customer bought on AWS from `starts`, at `rates` (Marketplace dimension -> price)."""
    with Session(engine) as session:
        plan = Plan(key=f"aws-{agreement_id}", product_id=customer.product_id or 0, name="AWS")
        session.add(plan)
        session.flush()
        contract = Contract(
            customer_id=customer.id or 0,
            plan_id=plan.id or 0,
            starts_at=starts,
            agreement_id=agreement_id,
        )
        agreement = Agreement(
            agreement_id=agreement_id,
            customer_id=customer.id or 0,
            account_id=customer.aws_account_id or "",
            license_arn=customer.license_arn,
            status="ACTIVE",
            kind="subscription",
            starts_at=starts,
            terms_hash="-",
            last_update_time=starts,
        )
        session.add_all([contract, agreement])
        session.flush()
        for key, price in rates.items():
            dimension = one(session, Dimension, marketplace_key=key)
            session.add(
                ContractRate(
                    contract_id=contract.id or 0,
                    dimension_id=dimension.id or 0,
                    price=Decimal(price),
                )
            )
        session.commit()
