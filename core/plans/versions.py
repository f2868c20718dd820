"""Plans in force: which plan version and price apply to a customer at a moment.

Versions are month-aligned (`effective_from` is a month's first instant), so the
version in force at a month's start prices the whole month. Applying a plans
file lives in core.plans.apply and is re-exported here.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from core.customers.lookup import contract_at
from core.errors import NotFound
from core.models import Plan, PlanPrice, PlanVersion
from core.plans.apply import apply_plan, apply_plan_file
from core.plans.report import ApplyReport, Change

__all__ = [
    "ApplyReport",
    "Change",
    "apply_plan",
    "apply_plan_file",
    "plan_version_at",
    "price_for",
    "prices_of",
]


def plan_version_at(session: Session, *, plan_id: int, at: datetime) -> PlanVersion:
    """The version of the plan in force at `at`; NotFound if the plan had no prices yet."""
    query = (
        select(PlanVersion)
        .where(PlanVersion.plan_id == plan_id, col(PlanVersion.effective_from) <= at)
        .order_by(col(PlanVersion.effective_from).desc())
    )
    version = session.exec(query).first()
    if version is None:
        plan = session.get(Plan, plan_id)
        name = plan.key if plan else f"#{plan_id}"
        raise NotFound(f"plan {name} has no prices in force on {at:%Y-%m-%d}")
    return version


def prices_of(session: Session, *, version_id: int) -> dict[int, PlanPrice]:
    """dimension id -> its price in the plan version."""
    rows = session.exec(select(PlanPrice).where(PlanPrice.plan_version_id == version_id)).all()
    return {row.dimension_id: row for row in rows}


def price_for(
    session: Session, *, customer_id: int, dimension_id: int, at: datetime
) -> PlanPrice | None:
    """The price of a dimension for a customer at `at`: none without a contract or price."""
    contract = contract_at(session, customer_id=customer_id, at=at)
    if contract is None:
        return None
    try:
        version = plan_version_at(session, plan_id=contract.plan_id, at=at)
    except NotFound:
        return None
    assert version.id is not None
    return prices_of(session, version_id=version.id).get(dimension_id)
