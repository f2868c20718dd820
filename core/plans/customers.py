"""Applying customers: their Marketplace ids, usage ids, contracts and entitlements.

A customer is matched by Salesforce account id, else by name (any case), so the
Salesforce sync and the plans file describe the same rows. Usage ids and contracts
in the file are added; ones only in the database are left alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, func, select

from core.models import (
    Contract,
    Customer,
    CustomerAlias,
    Dimension,
    Entitlement,
    Invoice,
    MarketplaceModel,
    Plan,
    Product,
)
from core.periods import HOUR, hour_floor, next_month
from core.plans.catalog import as_datetime
from core.plans.report import CREATED, UNCHANGED, UPDATED, ApplyReport, Change, refuse, set_fields
from core.plans.schema import ContractSpec, CustomerSpec, MarketplaceSpec, PlanFile


def apply_customers(
    session: Session,
    plan_file: PlanFile,
    products: dict[str, Product],
    plans: dict[str, Plan],
    dimensions: dict[tuple[str, str], Dimension],
    report: ApplyReport,
    *,
    now: datetime,
) -> None:
    plan_products = {p.key: p.product for p in plan_file.plans}
    for spec in plan_file.customers:
        product_key = spec.product or next((plan_products[c.plan] for c in spec.contracts), None)
        product = products.get(product_key) if product_key else None
        customer = _apply_customer(session, spec, product, report, now=now)
        _apply_aliases(session, spec, customer, report)
        for j, contract in enumerate(spec.contracts):
            where = f"customers[{spec.name}].contracts[{j}]"
            step = _ContractStep(session, customer, contract, report, where=where)
            step.apply(plans[contract.plan], dimensions)


def _find(session: Session, spec: CustomerSpec) -> Customer | None:
    if spec.salesforce_account_id:
        query = select(Customer).where(Customer.salesforce_account_id == spec.salesforce_account_id)
        found = session.exec(query).first()
        if found is not None:
            return found
    by_name = select(Customer).where(func.lower(Customer.name) == spec.name.lower())
    return session.exec(by_name.order_by(col(Customer.id))).first()


def _marketplace_values(spec: MarketplaceSpec | None) -> dict[str, Any]:
    if spec is None:
        return {}  # left to the Salesforce sync
    model = (
        MarketplaceModel.LICENSE if spec.aws_account_id else MarketplaceModel.CUSTOMER_IDENTIFIER
    )
    return {
        "marketplace_model": str(model),
        "customer_identifier": spec.customer_identifier,
        "aws_account_id": spec.aws_account_id,
        "license_arn": spec.license_arn,
    }


def _apply_customer(
    session: Session,
    spec: CustomerSpec,
    product: Product | None,
    report: ApplyReport,
    *,
    now: datetime,
) -> Customer:
    values: dict[str, Any] = {"name": spec.name, "active": spec.active}
    values |= _marketplace_values(spec.marketplace)
    if spec.salesforce_account_id:
        values["salesforce_account_id"] = spec.salesforce_account_id
    if product is not None:
        values["product_id"] = product.id
    customer = _find(session, spec)
    if customer is None:
        customer = Customer(**values, created_at=now, updated_at=now)
        session.add(customer)
        session.flush()
        report.changes.append(Change("customer", spec.name, CREATED))
        return customer
    switching = customer.marketplace_model not in (None, values.get("marketplace_model"))
    if not set_fields(customer, values):
        report.changes.append(Change("customer", spec.name, UNCHANGED))
        return customer
    note = ""
    if switching and "marketplace_model" in values:
        # Never both models in one hour (it would bill twice): switch at the next hour.
        customer.model_since = hour_floor(now) + HOUR
        since = f"{customer.model_since:%Y-%m-%d %H:00}Z"
        note = f"Marketplace model {customer.marketplace_model} from {since}"
    customer.updated_at = now
    report.changes.append(Change("customer", spec.name, UPDATED, note))
    return customer


def _apply_aliases(
    session: Session, spec: CustomerSpec, customer: Customer, report: ApplyReport
) -> None:
    for i, usage_id in enumerate(spec.usage_ids):
        alias = session.exec(
            select(CustomerAlias).where(CustomerAlias.usage_id == usage_id)
        ).first()
        if alias is None:
            assert customer.id is not None
            session.add(CustomerAlias(customer_id=customer.id, usage_id=usage_id))
            report.changes.append(Change("usage id", f"{usage_id} -> {customer.name}", CREATED))
        elif alias.customer_id != customer.id:
            owner = session.get(Customer, alias.customer_id)
            where = f"customers[{spec.name}].usage_ids[{i}]"
            message = f"{usage_id!r} already belongs to {owner.name if owner else '?'}"
            raise refuse(report.source, where, message)


class _ContractStep:
    """One contract entry: its terms and entitlements, never changing an invoiced month."""

    def __init__(
        self,
        session: Session,
        customer: Customer,
        spec: ContractSpec,
        report: ApplyReport,
        *,
        where: str,
    ) -> None:
        self.session, self.customer, self.spec, self.report = session, customer, spec, report
        self.where = where

    def apply(self, plan: Plan, dimensions: dict[tuple[str, str], Dimension]) -> None:
        starts, spec = as_datetime(self.spec.starts), self.spec
        query = select(Contract).where(
            Contract.customer_id == self.customer.id,
            Contract.plan_id == plan.id,
            Contract.starts_at == starts,
        )
        contract = self.session.exec(query).first()
        ends = as_datetime(spec.ends) if spec.ends else None
        values: dict[str, Any] = {"kind": spec.contract_kind, "ends_at": ends}
        span: tuple[datetime, datetime | None] | None
        old_ends = contract.ends_at if contract is not None else ends
        if contract is None:
            assert self.customer.id is not None and plan.id is not None
            contract = Contract(
                customer_id=self.customer.id, plan_id=plan.id, starts_at=starts, **values
            )
            self.session.add(contract)
            self.session.flush()
            outcome, span = CREATED, (starts, ends)
        else:
            old_kind = contract.kind
            outcome = UPDATED if set_fields(contract, values) else UNCHANGED
            span = (starts, _later(old_ends, ends)) if old_kind != contract.kind else None
            if span is None and old_ends != ends:
                span = (_earlier(old_ends, ends), _later(old_ends, ends))
        if self._entitlements(contract, plan, dimensions):
            outcome = UPDATED if outcome == UNCHANGED else outcome
            span = (starts, _later(old_ends, ends))
        if span is not None:
            self._refuse_if_invoiced(*span)
        key = f"{self.customer.name}: {plan.key} from {spec.starts}"
        self.report.changes.append(Change("contract", key, outcome))

    def _entitlements(
        self, contract: Contract, plan: Plan, dimensions: dict[tuple[str, str], Dimension]
    ) -> bool:
        product = self.session.get(Product, plan.product_id)
        assert product is not None
        wanted = {
            _id(dimensions[(product.key, dim)]): quantity
            for dim, quantity in self.spec.entitlements.items()
        }
        period = str(self.spec.entitlement_period)
        return _apply_entitlements(self.session, contract, wanted, period)

    def _refuse_if_invoiced(self, start: datetime, end: datetime | None) -> None:
        """A change covering a month with a finalized invoice would contradict that invoice."""
        query = select(Invoice.month).where(Invoice.customer_id == self.customer.id)
        for month in sorted(self.session.exec(query)):
            first = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
            if first < (end or _OPEN) and next_month(first) > start:
                message = f"this change covers {month}, which has a finalized invoice"
                raise refuse(self.report.source, self.where, message)


_OPEN = datetime.max.replace(tzinfo=UTC)


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later of two contract ends, None (open-ended) being the latest."""
    return None if a is None or b is None else max(a, b)


def _earlier(a: datetime | None, b: datetime | None) -> datetime:
    known = [x for x in (a, b) if x is not None]
    return min(known)


def _apply_entitlements(
    session: Session, contract: Contract, wanted: dict[int, Decimal], period: str
) -> bool:
    """Make the contract's entitlements exactly `wanted`; True if anything changed."""
    existing = {
        e.dimension_id: e
        for e in session.exec(select(Entitlement).where(Entitlement.contract_id == contract.id))
    }
    changed = False
    for dimension_id, quantity in wanted.items():
        row = existing.pop(dimension_id, None)
        if row is None:
            assert contract.id is not None
            session.add(
                Entitlement(
                    contract_id=contract.id,
                    dimension_id=dimension_id,
                    quantity=quantity,
                    period=period,
                )
            )
            changed = True
        else:
            changed |= set_fields(row, {"quantity": quantity, "period": period})
    for row in existing.values():
        session.delete(row)
        changed = True
    return changed


def _id(row: Dimension) -> int:
    assert row.id is not None
    return row.id
