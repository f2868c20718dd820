"""`plans apply`: make the database say what a validated plans file says.

`apply_plan_file` is the service: one unit of work, committed when the whole file
applied (or rolled back for a dry run); `apply_plan` is its data function (add and
flush only, in the caller's transaction), so a refusal half-way changes nothing.
Entities are compared field by field and plan prices by a content hash, so
re-applying the same file changes nothing and writes no audit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from core.db import session_scope
from core.ingest.unmatched import resolve_unmatched
from core.models import AuditEvent, Dimension, FieldMapping, HourlyRollup, Product
from core.plans.catalog import apply_plans
from core.plans.customers import apply_customers
from core.plans.report import CREATED, UNCHANGED, UPDATED, ApplyReport, Change, refuse, set_fields
from core.plans.schema import PlanFile


def apply_plan_file(
    engine: Engine, plan_file: PlanFile, *, now: datetime, actor: str, dry_run: bool = False
) -> ApplyReport:
    """Apply the file and commit; with `dry_run`, report what would change and keep nothing."""
    with session_scope(engine) as session:
        report = apply_plan(session, plan_file, now=now, actor=actor)
        if dry_run:
            session.rollback()
    return report


def apply_plan(session: Session, plan_file: PlanFile, *, now: datetime, actor: str) -> ApplyReport:
    """Create or update everything the file describes; raises PlanFileError to refuse."""
    report = ApplyReport(source=plan_file.source)
    report.changes += _apply_field_mapping(session, plan_file)
    dimensions: dict[tuple[str, str], Dimension] = {}
    products = {p.key: _apply_product(session, p, dimensions, report) for p in plan_file.products}
    plans = apply_plans(session, plan_file, products, dimensions, report, now=now)
    apply_customers(session, plan_file, products, plans, dimensions, report, now=now)
    session.flush()
    if report.changed:
        _audit(session, report, actor=actor, now=now)
        # Usage that waited for a customer mapping may be billable now.
        report.resolved_unmatched = resolve_unmatched(session, now=now)
    return report


def _apply_field_mapping(session: Session, plan_file: PlanFile) -> list[Change]:
    if plan_file.field_mapping is None:
        return []
    fields = plan_file.field_mapping.model_dump()
    row = session.exec(select(FieldMapping).where(FieldMapping.name == "default")).first()
    if row is None:
        session.add(FieldMapping(name="default", fields=fields))
        return [Change("field mapping", "default", CREATED)]
    outcome = UPDATED if set_fields(row, {"fields": fields}) else UNCHANGED
    return [Change("field mapping", "default", outcome)]


def _apply_product(
    session: Session,
    spec: Any,
    dimensions: dict[tuple[str, str], Dimension],
    report: ApplyReport,
) -> Product:
    product = session.exec(select(Product).where(Product.key == spec.key)).first()
    values = {"name": spec.name, "marketplace_product_code": spec.marketplace_product_code}
    if product is None:
        product = Product(key=spec.key, **values)
        session.add(product)
        report.changes.append(Change("product", spec.key, CREATED))
    else:
        outcome = UPDATED if set_fields(product, values) else UNCHANGED
        report.changes.append(Change("product", spec.key, outcome))
    session.flush()
    for dim in spec.dimensions:
        dimensions[(spec.key, dim.key)] = _apply_dimension(session, product, dim, report)
    session.flush()
    return product


def _apply_dimension(
    session: Session, product: Product, spec: Any, report: ApplyReport
) -> Dimension:
    values = {
        "marketplace_key": spec.marketplace_key or spec.key,
        "name": spec.name or spec.key,
        "unit": spec.unit,
        "aggregation": str(spec.aggregation),
        "rating_period": str(spec.rating_period),
        "unit_scale": spec.unit_scale,
        "whole_units": spec.whole_units,
        "max_quantity": spec.max_quantity,
        "combine": str(spec.combine),
    }
    query = select(Dimension).where(Dimension.product_id == product.id, Dimension.key == spec.key)
    dimension = session.exec(query).first()
    key = f"{product.key}.{spec.key}"
    if dimension is None:
        assert product.id is not None
        dimension = Dimension(product_id=product.id, key=spec.key, **values)
        session.add(dimension)
        report.changes.append(Change("dimension", key, CREATED))
    else:
        _refuse_rerating(session, dimension, values, report.source, f"products[{product.key}]")
        outcome = UPDATED if set_fields(dimension, values) else UNCHANGED
        report.changes.append(Change("dimension", key, outcome))
    return dimension


# Rollups keep raw figures and are read through these fields, so changing one would
# silently re-rate usage already metered or invoiced.
_RATING_FIELDS = ("unit_scale", "aggregation", "rating_period", "combine")


def _refuse_rerating(
    session: Session, dimension: Dimension, values: dict[str, Any], source: str, where: str
) -> None:
    changed = [f for f in _RATING_FIELDS if getattr(dimension, f) != values[f]]
    if not changed:
        return
    used = session.exec(
        select(HourlyRollup.id).where(HourlyRollup.dimension_id == dimension.id).limit(1)
    ).first()
    if used is not None:
        raise refuse(
            source,
            f"{where}.dimensions[{dimension.key}].{changed[0]}",
            "cannot change once usage is recorded under the dimension (it would re-rate "
            "usage already metered or invoiced); add a new dimension instead",
        )


def _audit(session: Session, report: ApplyReport, *, actor: str, now: datetime) -> None:
    changes = [
        {"kind": c.kind, "key": c.key, "outcome": c.outcome, "note": c.note}
        for c in report.changes
        if c.outcome != UNCHANGED
    ]
    detail = {"changes": changes}
    session.add(
        AuditEvent(at=now, actor=actor, action="plans.apply", subject=report.source, detail=detail)
    )
