"""A product's contracts with usage so far, for people: the contracts pages and the picker.

The contracts list pages through a product's contracts (usage is computed only for
the page shown, so a product with thousands of customers answers as fast as one
with ten). The picker offers the contracts usage may be entered for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.agreements.overview import contract_source, differences
from core.customers.lookup import in_force_where, not_outranked_where
from core.errors import Ambiguous, NotFound
from core.models import (
    Contract,
    ContractKind,
    Customer,
    Dimension,
    Entitlement,
    EntitlementPeriod,
    Plan,
    Product,
)
from core.periods import Period, hour_floor, month_of
from core.usage.rollups import RollupRow, billed, billed_usage, grouped_rows

ZERO = Decimal(0)


@dataclass(frozen=True)
class DimensionUsage:
    dimension_id: int
    name: str
    unit: str
    used: Decimal  # this month (or the contract term, for a term entitlement)
    entitled: Decimal | None  # None: no entitlement, every unit is metered
    overage: Decimal


@dataclass(frozen=True)
class ContractRow:
    contract_id: int
    customer_id: int
    customer: str
    plan: str
    kind: str
    usage: list[DimensionUsage]
    source: str = "plans file"  # or "AWS agreement agmt-..."
    differences: tuple[str, ...] = ()  # where AWS's terms and the plans file disagree


@dataclass(frozen=True)
class ContractsPage:
    product_id: int
    product: str
    period: Period
    total: int
    page: int
    per_page: int
    rows: list[ContractRow]
    dimensions: int  # how many dimensions the product has (sizes the entry form)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def find_product(session: Session, text: str | None) -> Product:
    """The product named by key or name (a unique prefix will do); the only one if unnamed."""
    products = list(session.exec(select(Product).order_by(col(Product.key))).all())
    if not products:
        raise NotFound("no products yet: apply a plans file first (meterbot plans apply FILE)")
    if not text:
        if len(products) == 1:
            return products[0]
        raise Ambiguous(f"name a product: {', '.join(p.key for p in products)}")
    wanted = text.strip().lower()
    exact = [p for p in products if wanted in (p.key.lower(), p.name.lower())]
    prefixed = exact or [
        p for p in products if p.key.lower().startswith(wanted) or p.name.lower().startswith(wanted)
    ]
    if len(prefixed) == 1:
        return prefixed[0]
    known = ", ".join(p.key for p in (prefixed or products))
    raise (Ambiguous if prefixed else NotFound)(f"{text!r} could be: {known}")


def contracts_page(
    session: Session, *, product: Product, now: datetime, page: int = 0, per_page: int = 10
) -> ContractsPage:
    """One page of the product's active contracts, by customer name, with usage this month."""
    assert product.id is not None
    base = (
        select(Contract, Customer, Plan)
        .join(Customer, col(Customer.id) == Contract.customer_id)
        .join(Plan, col(Plan.id) == Contract.plan_id)
        .where(Plan.product_id == product.id, not_outranked_where(now))
        .where(*in_force_where(now))  # type: ignore[arg-type]
    )
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    page = max(0, min(page, max(0, (total - 1) // per_page)))
    found = session.exec(
        base.order_by(col(Customer.name), col(Contract.id)).offset(page * per_page).limit(per_page)
    ).all()
    dims = _dimensions(session, product.id)
    period = month_of(now)
    entitled = _entitlements(session, [c.id for c, _, _ in found if c.id is not None])
    # This month's rollups for the page's customers, in one query.
    ids = [cu.id for _, cu, _ in found if cu.id is not None]
    month = grouped_rows(session, period, customer_ids=ids)
    rows = [_row(session, f, dims, period, now, entitled, month) for f in found]
    return ContractsPage(product.id, product.name, period, total, page, per_page, rows, len(dims))


def contracts_page_of(
    session: Session, *, product_id: int, now: datetime, page: int = 0
) -> ContractsPage:
    """`contracts_page` for a product named by id (a button's value), refused if gone."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("that product no longer exists; run /meter contracts again")
    return contracts_page(session, product=product, now=now, page=page)


def contract_choices(
    session: Session, *, product_id: int, query: str, now: datetime, limit: int = 100
) -> list[tuple[int, str]]:
    """(contract id, "Customer · plan") for the picker, filtered by what was typed."""
    statement = (
        select(Contract.id, Customer.name, Plan.name)
        .join(Customer, col(Customer.id) == Contract.customer_id)
        .join(Plan, col(Plan.id) == Contract.plan_id)
        .where(Plan.product_id == product_id, not_outranked_where(now))
        .where(*in_force_where(now))  # type: ignore[arg-type]
    )
    if query.strip():
        statement = statement.where(col(Customer.name).ilike(f"%{query.strip()}%"))
    statement = statement.order_by(col(Customer.name)).limit(limit)
    rows = session.exec(statement).all()
    return [(cid, f"{name} · {plan}") for cid, name, plan in rows if cid is not None]


def _dimensions(session: Session, product_id: int) -> list[Dimension]:
    query = select(Dimension).where(Dimension.product_id == product_id)
    return list(session.exec(query.order_by(col(Dimension.id))).all())


def _row(
    session: Session,
    found: tuple[Contract, Customer, Plan],
    dims: list[Dimension],
    period: Period,
    now: datetime,
    entitled: dict[tuple[int, int], Entitlement],
    month: dict[tuple[int, int], list[RollupRow]],
) -> ContractRow:
    contract, customer, plan = found
    assert contract.id is not None and customer.id is not None
    usage = []
    for dim in dims:
        assert dim.id is not None
        ent = entitled.get((contract.id, dim.id))
        rows = month.get((customer.id, dim.id), [])
        used = billed(rows, dim, period, now)
        if ent is not None and ent.period == EntitlementPeriod.TERM:
            term = Period(hour_floor(contract.starts_at), period.end)
            used = billed_usage(
                session, customer_id=customer.id, dimension=dim, period=term, as_of=now
            )
        # Pay-as-you-go subscriptions carry no allowance: every unit is overage (metered).
        allowance = ent.quantity if ent and contract.kind == ContractKind.CONTRACT else None
        overage = max(ZERO, used - (allowance or ZERO))
        usage.append(DimensionUsage(dim.id, dim.name, dim.unit, used, allowance, overage))
    return ContractRow(
        contract.id,
        customer.id,
        customer.name,
        plan.name,
        contract.kind,
        usage,
        contract_source(contract),
        tuple(differences(session, contract, now=now)),
    )


def _entitlements(session: Session, contract_ids: list[int]) -> dict[tuple[int, int], Entitlement]:
    query = select(Entitlement).where(col(Entitlement.contract_id).in_(contract_ids))
    return {(e.contract_id, e.dimension_id): e for e in session.exec(query)}
