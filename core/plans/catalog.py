"""Applying plans: a changed plan gets a new version from a month's start, never a rewrite.

A version already in force is never edited (its months may have been rated); a
change dated in or before a month with a finalized invoice on the plan is refused.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, delete, select

from core.models import Dimension, Invoice, Plan, PlanPrice, PlanVersion, Product
from core.periods import month_floor, next_month
from core.plans.report import CREATED, UNCHANGED, UPDATED, ApplyReport, Change, refuse, set_fields
from core.plans.schema import PlanFile, PlanSpec, PriceSpecEntry

# A new plan without contracts is in force from the start of (billing) time.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def apply_plans(
    session: Session,
    plan_file: PlanFile,
    products: dict[str, Product],
    dimensions: dict[tuple[str, str], Dimension],
    report: ApplyReport,
    *,
    now: datetime,
) -> dict[str, Plan]:
    starts = _earliest_contract_starts(plan_file)
    plans = {}
    for spec in plan_file.plans:
        step = _PlanStep(session, spec, report, now=now, first_contract=starts.get(spec.key))
        plans[spec.key] = step.apply(products[spec.product], dimensions)
    return plans


def _earliest_contract_starts(plan_file: PlanFile) -> dict[str, date]:
    starts: dict[str, date] = {}
    for customer in plan_file.customers:
        for contract in customer.contracts:
            known = starts.get(contract.plan)
            starts[contract.plan] = min(contract.starts, known) if known else contract.starts
    return starts


def as_datetime(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _text(amount: Decimal | None) -> str | None:
    """Canonical text of an amount (50, 50.0 and 50.00 hash alike)."""
    return None if amount is None else format(amount.normalize(), "f")


def _price_content(entry: PriceSpecEntry) -> dict[str, Any]:
    tiers = [
        {"up_to": _text(t.up_to), "unit_price": _text(t.unit_price), "flat_fee": _text(t.flat_fee)}
        for t in entry.tiers or []
    ]
    return {
        "model": str(entry.model),
        "unit_price": _text(entry.unit_price or Decimal(0)),
        "included": _text(entry.included),
        "tiers": tiers,
    }


def version_hash(spec: PlanSpec) -> str:
    content = {
        "recurring_fee": _text(spec.recurring_fee),
        "minimum_commitment": _text(spec.minimum_commitment),
        "prices": {dim: _price_content(entry) for dim, entry in sorted(spec.prices.items())},
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


class _PlanStep:
    """One plan entry: the plan row, then a version if its prices changed."""

    def __init__(
        self,
        session: Session,
        spec: PlanSpec,
        report: ApplyReport,
        *,
        now: datetime,
        first_contract: date | None,
    ) -> None:
        self.session, self.spec, self.report, self.now = session, spec, report, now
        self.first_contract = first_contract
        self.where = f"plans[{spec.key}]"

    def apply(self, product: Product, dimensions: dict[tuple[str, str], Dimension]) -> Plan:
        plan, created = self._plan_row(product)
        digest = version_hash(self.spec)
        latest = self._latest_version(plan)
        if latest is not None and latest.content_hash == digest:
            outcome = UPDATED if self._renamed else UNCHANGED
            self.report.changes.append(Change("plan", plan.key, outcome))
            return plan
        effective = self._effective_from(latest)
        version = self._version_row(plan, latest, effective, digest)
        self._add_prices(version, product, dimensions)
        note = f"prices from {effective:%Y-%m-%d}"
        self.report.changes.append(Change("plan", plan.key, CREATED if created else UPDATED, note))
        return plan

    def _plan_row(self, product: Product) -> tuple[Plan, bool]:
        spec = self.spec
        plan = self.session.exec(select(Plan).where(Plan.key == spec.key)).first()
        self._renamed = False
        if plan is None:
            assert product.id is not None
            plan = Plan(key=spec.key, product_id=product.id, name=spec.name, currency=spec.currency)
            self.session.add(plan)
            self.session.flush()
            return plan, True
        if plan.product_id != product.id:
            raise refuse(
                self.report.source, f"{self.where}.product", "a plan cannot change product"
            )
        if plan.currency != spec.currency:
            message = f"currency is {plan.currency}; a plan keeps its currency (add a new plan)"
            raise refuse(self.report.source, f"{self.where}.currency", message)
        self._renamed = set_fields(plan, {"name": spec.name})
        return plan, False

    def _latest_version(self, plan: Plan) -> PlanVersion | None:
        query = (
            select(PlanVersion)
            .where(PlanVersion.plan_id == plan.id)
            .order_by(col(PlanVersion.effective_from).desc())
        )
        return self.session.exec(query).first()

    def _effective_from(self, latest: PlanVersion | None) -> datetime:
        if self.spec.effective_from is not None:
            effective = as_datetime(self.spec.effective_from)
        elif latest is None:
            first = self.first_contract
            effective = month_floor(as_datetime(first)) if first else EPOCH
        else:
            effective = max(next_month(self.now), latest.effective_from)
        if latest is not None and effective < latest.effective_from:
            message = (
                f"must not be before the plan's latest prices ({latest.effective_from:%Y-%m-%d})"
            )
            raise refuse(self.report.source, f"{self.where}.effective_from", message)
        return effective

    def _version_row(
        self, plan: Plan, latest: PlanVersion | None, effective: datetime, digest: str
    ) -> PlanVersion:
        self._refuse_if_invoiced(plan, effective)
        values: dict[str, Any] = {
            "recurring_fee": self.spec.recurring_fee,
            "minimum_commitment": self.spec.minimum_commitment,
            "content_hash": digest,
        }
        if latest is not None and latest.effective_from == effective:
            if effective <= self.now:
                message = (
                    f"prices from {effective:%Y-%m-%d} are already in force and are kept;"
                    f" date the change {next_month(self.now):%Y-%m-%d} or later"
                )
                raise refuse(self.report.source, f"{self.where}.effective_from", message)
            set_fields(latest, values)  # a scheduled change not yet in force may be redone
            self.session.exec(delete(PlanPrice).where(col(PlanPrice.plan_version_id) == latest.id))
            return latest
        assert plan.id is not None
        version = PlanVersion(plan_id=plan.id, effective_from=effective, **values)
        self.session.add(version)
        self.session.flush()
        return version

    def _refuse_if_invoiced(self, plan: Plan, effective: datetime) -> None:
        label = f"{effective:%Y-%m}"
        invoices = self.session.exec(select(Invoice).where(col(Invoice.month) >= label)).all()
        on_plan = [i for i in invoices if (i.document or {}).get("plan") == plan.key]
        if not on_plan:
            return
        last = max(i.month for i in on_plan)
        after = next_month(datetime.strptime(last, "%Y-%m").replace(tzinfo=UTC))
        message = (
            f"{effective:%Y-%m-%d} is in or before {last}, which has a finalized invoice on"
            f" plan {plan.key}; date the change {after:%Y-%m-%d} or later"
        )
        raise refuse(self.report.source, f"{self.where}.effective_from", message)

    def _add_prices(
        self, version: PlanVersion, product: Product, dimensions: dict[tuple[str, str], Dimension]
    ) -> None:
        assert version.id is not None
        for dim_key, entry in self.spec.prices.items():
            dimension = dimensions[(product.key, dim_key)]
            assert dimension.id is not None
            content = _price_content(entry)
            self.session.add(
                PlanPrice(
                    plan_version_id=version.id,
                    dimension_id=dimension.id,
                    model=content["model"],
                    unit_price=entry.unit_price or Decimal(0),
                    included_quantity=entry.included,
                    tiers=content["tiers"],
                )
            )
