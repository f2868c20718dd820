"""Applying plans files: everything created, re-applying is a no-op, changes are versioned."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import Session, func, select

from core.db import session_scope
from core.errors import PlanFileError
from core.models import (
    AuditEvent,
    Contract,
    Customer,
    CustomerAlias,
    Dimension,
    Entitlement,
    FieldMapping,
    HourlyRollup,
    Invoice,
    Plan,
    PlanVersion,
    UnmatchedUsage,
)
from core.plans.file import SAMPLE_PLANS, load_plan_file, parse_plan_text
from core.plans.versions import apply_plan_file, plan_version_at, price_for

SAMPLE = SAMPLE_PLANS
D = Decimal
NOW = datetime(2026, 11, 23, 18, tzinfo=UTC)
SMALL = """
products:
  - key: dp
    name: Data Platform
    dimensions: [{key: storage_tb, aggregation: avg, rating_period: month}]
plans:
  - key: gold
    product: dp
    name: Gold
    recurring_fee: 2000
    prices: {storage_tb: {unit_price: 50}}
customers:
  - name: Acme
    usage_ids: [cl-acme]
    marketplace: {customer_identifier: acme-mp}
    contracts: [{plan: gold, starts: 2026-03-15}]
"""


def _apply(engine, text, *, now=NOW):
    return apply_plan_file(engine, parse_plan_text(text), now=now, actor="U1")


def _count(session, model):
    return session.exec(select(func.count()).select_from(model)).one()


def test_the_sample_file_creates_everything(engine):
    report = apply_plan_file(engine, load_plan_file(SAMPLE), now=NOW, actor="U1")
    assert report.changed
    with Session(engine) as session:
        assert _count(session, Dimension) == 5
        assert _count(session, Customer) == 12
        assert _count(session, Contract) == 12
        mapping = session.exec(select(FieldMapping)).one().fields
        assert mapping == {
            "timestamp": "ts",
            "customer": "cluster_id",
            "dimension": "metric",
            "quantity": "value",
        }
        acme = session.exec(select(Customer).where(Customer.name == "Acme Manufacturing")).one()
        assert (acme.marketplace_model, acme.aws_account_id) == ("license", "111122223333")
        assert acme.license_arn.startswith("arn:aws:license-manager::111122223333:")
        northwind = session.exec(
            select(Customer).where(Customer.name == "Northwind Analytics")
        ).one()
        assert (northwind.marketplace_model, northwind.customer_identifier) == (
            "customer_identifier",
            "nwA7kQ2pXs9",
        )
        aliases = session.exec(
            select(CustomerAlias.usage_id).where(CustomerAlias.customer_id == northwind.id)
        )
        assert set(aliases) == {"cl-northwind-prod", "cl-northwind-dr"}
        entitlements = session.exec(select(Entitlement)).all()
        assert Decimal(40) in {e.quantity for e in entitlements}
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "plans.apply")).one()
        assert (audit.actor, audit.subject) == ("U1", "plans.yml")


def test_reapplying_the_same_file_changes_nothing(engine):
    _apply(engine, SMALL)
    report = _apply(engine, SMALL)
    assert not report.changed
    assert "nothing changed" in report.as_text()
    with Session(engine) as session:
        assert _count(session, PlanVersion) == 1
        assert _count(session, AuditEvent) == 1


def test_a_new_plan_is_in_force_from_its_first_contract_month(engine):
    _apply(engine, SMALL)
    with Session(engine) as session:
        version = session.exec(select(PlanVersion)).one()
        assert version.effective_from == datetime(2026, 3, 1, tzinfo=UTC)


def test_a_price_change_starts_next_month_and_keeps_the_past(engine):
    _apply(engine, SMALL)
    report = _apply(engine, SMALL.replace("recurring_fee: 2000", "recurring_fee: 2500"))
    assert "prices from 2026-12-01" in report.as_text()
    with Session(engine) as session:
        plan = session.exec(select(Plan)).one()
        november = plan_version_at(
            session, plan_id=plan.id, at=datetime(2026, 11, 30, 23, tzinfo=UTC)
        )
        december = plan_version_at(session, plan_id=plan.id, at=datetime(2026, 12, 1, tzinfo=UTC))
        assert (november.recurring_fee, december.recurring_fee) == (2000, 2500)


def test_a_change_into_an_invoiced_month_is_refused_and_changes_nothing(engine):
    _apply(engine, SMALL)
    with session_scope(engine) as session:
        acme = session.exec(select(Customer)).one()
        session.add(
            Invoice(
                customer_id=acme.id,
                month="2026-10",
                total=Decimal(2000),
                finalized_at=NOW,
                document={"plan": "gold"},
            )
        )
    changed = SMALL.replace(
        "recurring_fee: 2000", "recurring_fee: 9\n    effective_from: 2026-10-01"
    )
    changed = changed.replace("- name: Acme", "- name: Newco\n    contracts: []\n  - name: Acme")
    with pytest.raises(PlanFileError) as caught:
        _apply(engine, changed)
    assert str(caught.value) == (
        "plans.yml: plans[gold].effective_from: 2026-10-01 is in or before 2026-10, which has a"
        " finalized invoice on plan gold; date the change 2026-11-01 or later"
    )
    with Session(engine) as session:
        assert _count(session, PlanVersion) == 1
        assert _count(session, Customer) == 1  # Newco was not created either
    _apply(engine, changed.replace("2026-10-01", "2026-11-01"))


def test_prices_already_in_force_are_never_rewritten(engine):
    dated = SMALL.replace(
        "recurring_fee: 2000", "recurring_fee: 2000\n    effective_from: 2026-01-01"
    )
    _apply(engine, dated)
    with pytest.raises(PlanFileError, match="already in force"):
        _apply(engine, dated.replace("unit_price: 50", "unit_price: 55"))


def test_a_usage_id_of_another_customer_is_refused(engine):
    _apply(engine, SMALL)
    other = SMALL.replace("usage_ids: [cl-acme]", "usage_ids: []")
    other += "  - name: Globex\n    usage_ids: [cl-acme]\n"
    with pytest.raises(
        PlanFileError,
        match=r"customers\[Globex\]\.usage_ids\[0\]: 'cl-acme' already belongs to Acme",
    ):
        _apply(engine, other)


def test_price_for_follows_the_contract_and_version(engine):
    _apply(engine, SMALL)
    with Session(engine) as session:
        acme = session.exec(select(Customer)).one()
        dim = session.exec(select(Dimension)).one()
        before = price_for(
            session, customer_id=acme.id, dimension_id=dim.id, at=datetime(2026, 3, 14, tzinfo=UTC)
        )
        during = price_for(session, customer_id=acme.id, dimension_id=dim.id, at=NOW)
        assert before is None
        assert during.unit_price == 50


def test_switching_marketplace_model_happens_at_the_next_hour(engine):
    _apply(engine, SMALL)
    licensed = SMALL.replace(
        "{customer_identifier: acme-mp}",
        "{aws_account_id: '111122223333', license_arn: 'arn:aws:license-manager::1:license:l-1'}",
    )
    _apply(engine, licensed, now=datetime(2026, 11, 23, 18, 40, tzinfo=UTC))
    with Session(engine) as session:
        acme = session.exec(select(Customer)).one()
        assert acme.marketplace_model == "license"
        assert acme.customer_identifier is None
        assert acme.model_since == datetime(2026, 11, 23, 19, tzinfo=UTC)


def test_a_contract_change_into_an_invoiced_month_is_refused(engine):
    _apply(engine, SMALL.replace("starts: 2026-03-15}", "starts: 2026-03-15, ends: 2026-12-01}"))
    with session_scope(engine) as session:
        acme = session.exec(select(Customer)).one()
        session.add(
            Invoice(customer_id=acme.id, month="2026-10", total=D(1), finalized_at=NOW, document={})
        )
    ended_early = SMALL.replace("starts: 2026-03-15}", "starts: 2026-03-15, ends: 2026-10-15}")
    with pytest.raises(PlanFileError, match=r"contracts\[0\]: this change covers 2026-10"):
        _apply(engine, ended_early)
    # Extending it past the invoiced month is fine.
    _apply(engine, SMALL.replace("starts: 2026-03-15}", "starts: 2026-03-15, ends: 2027-06-01}"))


def test_mapping_a_usage_id_bills_the_usage_that_waited_for_it(engine):
    _apply(engine, SMALL)
    hour = datetime(2026, 11, 20, 7, tzinfo=UTC)
    with session_scope(engine) as session:
        dim = session.exec(select(Dimension)).one()
        session.add(
            UnmatchedUsage(
                usage_id="cl-acme-2", dimension_id=dim.id, hour=hour, sum=D("2.5"), count=2,
                min=D(1), max=D("1.5"), last=D("1.5"), last_at=hour,
            )
        )  # fmt: skip
    report = _apply(engine, SMALL.replace("[cl-acme]", "[cl-acme, cl-acme-2]"))
    assert report.resolved_unmatched == 2
    with Session(engine) as session:
        rollup = session.exec(select(HourlyRollup)).one()
        assert (rollup.hour, rollup.sum, rollup.count) == (hour, D("2.5"), 2)
    assert (
        _apply(engine, SMALL.replace("[cl-acme]", "[cl-acme, cl-acme-2]")).resolved_unmatched == 0
    )


def test_a_dimension_with_recorded_usage_keeps_its_scale_and_aggregation(engine):
    _apply(engine, SMALL)
    with session_scope(engine) as session:
        customer = session.exec(select(Customer)).one()
        dim = session.exec(select(Dimension)).one()
        hour = datetime(2026, 11, 2, tzinfo=UTC)
        session.add(HourlyRollup(customer_id=customer.id, dimension_id=dim.id, hour=hour, sum=D(5)))
    rescaled = SMALL.replace("rating_period: month}", "rating_period: month, unit_scale: 0.001}")
    with pytest.raises(PlanFileError, match=r"dimensions\[storage_tb\]\.unit_scale: cannot change"):
        _apply(engine, rescaled)
    with Session(engine) as session:
        assert session.exec(select(Dimension)).one().unit_scale == D(1)
    # Display fields may still change.
    _apply(engine, SMALL.replace("key: storage_tb,", "key: storage_tb, name: Stored data,"))


def test_a_gauges_combine_rule_is_applied_and_kept_once_usage_is_recorded(engine):
    _apply(engine, SMALL.replace("rating_period: month}", "rating_period: month, combine: mean}"))
    with Session(engine) as session:
        storage = session.exec(select(Dimension).where(Dimension.key == "storage_tb")).one()
        assert storage.combine == "mean"
        session.add(HourlyRollup(customer_id=1, dimension_id=storage.id or 0, hour=NOW))
        session.commit()
    with pytest.raises(PlanFileError, match="combine: cannot change once usage is recorded"):
        _apply(engine, SMALL)
