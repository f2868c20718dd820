"""Invoices: month boundaries, averages over empty hours, entitlements, versions, finalizing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from core.billing.invoices import (
    InvoiceDoc,
    build_invoice,
    estimate_charge,
    finalize_invoice,
    invoice_csv,
    invoice_table,
)
from core.billing.month_close import month_close_message
from core.db import session_scope
from core.errors import InvalidInput, NotFound, PlanFileError
from core.models import Customer, Dimension, HourlyRollup
from core.periods import parse_month
from core.plans.file import parse_plan_text
from core.plans.versions import apply_plan_file

D = Decimal
PLANS = """
products:
  - key: dp
    name: Data Platform
    dimensions:
      - {key: storage_tb, name: Storage, unit: TB-month, aggregation: avg, rating_period: month}
      - {key: compute_hours, name: Compute, aggregation: sum, rating_period: hour}
      - {key: nodes, name: Nodes, aggregation: peak, rating_period: day}
      - {key: api, name: API, aggregation: sum}
plans:
  - key: gold
    product: dp
    name: Gold
    recurring_fee: 1000
    minimum_commitment: 0
    prices:
      storage_tb: {unit_price: 50, included: 2}
      compute_hours:
        model: graduated
        tiers:
          - {up_to: 100, unit_price: "0.50"}
          - {unit_price: "0.40", flat_fee: 10}
      nodes: {unit_price: 4}
      api:
        model: volume
        tiers:
          - {up_to: 1000, unit_price: "0.10"}
          - {unit_price: "0.05"}
customers:
  - name: Acme
    usage_ids: [cl-acme]
    contracts:
      - plan: gold
        starts: 2026-01-01
        entitlements: {compute_hours: 30}
"""
LATER = datetime(2027, 1, 5, tzinfo=UTC)


def _apply(engine, text=PLANS, now=datetime(2026, 1, 1, tzinfo=UTC)):
    apply_plan_file(engine, parse_plan_text(text), now=now, actor="test")


@pytest.fixture
def acme(engine):
    _apply(engine)
    with Session(engine) as session:
        customer = session.exec(select(Customer)).one()
        dims = {d.key: d.id for d in session.exec(select(Dimension))}
    return customer.id, dims


def _rollup(acme, key, hour, values):
    vals = [D(v) for v in values]
    return HourlyRollup(
        customer_id=acme[0],
        dimension_id=acme[1][key],
        hour=hour,
        sum=sum(vals, D(0)),
        count=len(vals),
        min=min(vals),
        max=max(vals),
        last=vals[-1],
        last_at=hour,
    )


def _usage(engine, acme, key, hour, *values):
    with session_scope(engine) as session:
        session.add(_rollup(acme, key, hour, values))


def _hours(engine, acme, key, start, count, value):
    """`value` in each of `count` hours from `start`, in one transaction."""
    with session_scope(engine) as session:
        session.add_all(
            _rollup(acme, key, start + timedelta(hours=h), [value]) for h in range(count)
        )


def _invoice(engine, acme, month, now=LATER):
    with Session(engine) as session:
        return build_invoice(session, customer_id=acme[0], period=parse_month(month), now=now)


def _line(doc, key):
    return next(line for line in doc.usage_lines if line.dimension == key)


def test_usage_at_the_last_second_of_a_month_is_billed_in_that_month(engine, acme):
    # 23:59:59 on 31 October rolls up into the 23:00 hour; midnight is November's.
    _usage(engine, acme, "api", datetime(2026, 10, 31, 23, tzinfo=UTC), "7")
    _usage(engine, acme, "api", datetime(2026, 11, 1, 0, tzinfo=UTC), "5")
    assert _line(_invoice(engine, acme, "2026-10"), "api").quantity == 7
    assert _line(_invoice(engine, acme, "2026-11"), "api").quantity == 5


def test_month_average_counts_empty_hours_as_zero(engine, acme):
    # 10 TB stored for the first half of a 30-day month: 5 TB-months; 2 included.
    start = datetime(2026, 11, 1, tzinfo=UTC)
    _hours(engine, acme, "storage_tb", start, 360, "10")
    line = _line(_invoice(engine, acme, "2026-11"), "storage_tb")
    assert (line.quantity, line.included, line.billable) == (D(5), D(2), D(3))
    assert line.amount == D("150.00")


def test_an_empty_month_costs_the_recurring_fee(engine, acme):
    doc = _invoice(engine, acme, "2026-02")
    assert doc.total == D("1000.00")
    assert all(line.quantity == 0 and line.amount == 0 for line in doc.usage_lines)


def test_entitlements_are_shown_but_not_charged(engine, acme):
    # 130 compute hours, 30 prepaid: 100 in tier 1 (0.50), none beyond.
    _usage(engine, acme, "compute_hours", datetime(2026, 5, 3, 10, tzinfo=UTC), "100", "30")
    line = _line(_invoice(engine, acme, "2026-05"), "compute_hours")
    assert (line.quantity, line.prepaid, line.billable) == (D(130), D(30), D(100))
    assert line.amount == D("50.00")  # exactly at the tier boundary: no flat fee


def test_tiers_are_itemized_past_a_boundary(engine, acme):
    _usage(engine, acme, "compute_hours", datetime(2026, 5, 3, 10, tzinfo=UTC), "131")
    line = _line(_invoice(engine, acme, "2026-05"), "compute_hours")
    assert [(t.quantity, t.amount) for t in line.tiers] == [(D(100), D(50)), (D(1), D("10.40"))]
    assert line.amount == D("60.40")


def test_daily_peaks_add_up_over_the_month(engine, acme):
    day = datetime(2026, 6, 1, tzinfo=UTC)
    _usage(engine, acme, "nodes", day + timedelta(hours=3), "5", "9")
    _usage(engine, acme, "nodes", day + timedelta(hours=20), "7")
    _usage(engine, acme, "nodes", day + timedelta(days=1, hours=1), "4")
    assert _line(_invoice(engine, acme, "2026-06"), "nodes").quantity == D(13)


def test_rounding_happens_once_per_line(engine, acme):
    # 0.003 API calls in each of 744 hours at 0.10: every hour alone rounds to nothing.
    start = datetime(2026, 7, 1, tzinfo=UTC)
    _hours(engine, acme, "api", start, 744, "0.003")
    line = _line(_invoice(engine, acme, "2026-07"), "api")
    assert (line.quantity, line.amount) == (D("2.232"), D("0.22"))


def test_a_plan_change_mid_year_prices_each_month_by_its_version(engine, acme):
    changed = PLANS.replace(
        "recurring_fee: 1000", "recurring_fee: 1200\n    effective_from: 2026-07-01"
    )
    _apply(engine, changed.replace("minimum_commitment: 0", "minimum_commitment: 1500"),
           now=datetime(2026, 6, 10, tzinfo=UTC))  # fmt: skip
    june, july = _invoice(engine, acme, "2026-06"), _invoice(engine, acme, "2026-07")
    assert (june.prices_from, june.total, june.true_up) == ("2026-01-01", D("1000.00"), 0)
    assert (july.prices_from, july.subtotal, july.true_up) == ("2026-07-01", D(1200), D(300))
    assert july.total == D(1500)
    assert "Minimum commitment true-up" in invoice_table(july)


def test_a_finalized_invoice_never_changes(engine, acme):
    _usage(engine, acme, "api", datetime(2026, 8, 5, tzinfo=UTC), "100")
    with session_scope(engine) as session:
        doc = finalize_invoice(
            session, customer_id=acme[0], period=parse_month("2026-08"), now=LATER
        )
    assert doc.status == "finalized" and doc.total == D("1010.00")
    _usage(engine, acme, "api", datetime(2026, 8, 6, tzinfo=UTC), "100")  # late usage
    cheaper = PLANS.replace(
        "recurring_fee: 1000", "recurring_fee: 5\n    effective_from: 2026-08-01"
    )
    with pytest.raises(PlanFileError, match="finalized invoice"):
        _apply(engine, cheaper, now=LATER)
    again = _invoice(engine, acme, "2026-08")
    assert again == doc
    assert _invoice(engine, acme, "2026-09").total == D("1000.00")


def test_a_month_not_over_cannot_be_finalized(engine, acme):
    with session_scope(engine) as session, pytest.raises(InvalidInput, match="not over yet"):
        finalize_invoice(session, customer_id=acme[0], period=parse_month("2026-12"),
                         now=datetime(2026, 12, 31, 23, 59, tzinfo=UTC))  # fmt: skip


def test_a_draft_counts_usage_so_far(engine, acme):
    now = datetime(2026, 11, 2, 0, 30, tzinfo=UTC)
    _usage(engine, acme, "storage_tb", datetime(2026, 11, 1, 0, tzinfo=UTC), "48")
    doc = _invoice(engine, acme, "2026-11", now=now)
    assert doc.usage_as_of == now
    assert _line(doc, "storage_tb").quantity == D(2)  # 48 TB-hours over 24 elapsed hours


def test_no_contract_is_a_clear_error(engine, acme):
    with pytest.raises(NotFound, match="Acme has no contract in 2025-12"):
        _invoice(engine, acme, "2025-12")


def test_estimate_is_what_the_total_would_grow_by(engine, acme):
    at = datetime(2026, 9, 10, 12, tzinfo=UTC)
    with Session(engine) as session:
        estimate = estimate_charge(
            session,
            customer_id=acme[0],
            dimension_id=acme[1]["compute_hours"],
            quantity=D(40),
            at=at,
        )
    assert estimate == D("5.00")  # 30 prepaid, 10 at 0.50


def test_csv_and_stored_form_keep_exact_amounts(engine, acme):
    _usage(engine, acme, "compute_hours", datetime(2026, 5, 3, 10, tzinfo=UTC), "131")
    doc = _invoice(engine, acme, "2026-05")
    assert InvoiceDoc.from_dict(doc.to_dict()) == doc
    csv_text = invoice_csv(doc)
    assert csv_text.splitlines()[0].startswith("customer,month,currency,kind,item")
    assert "Acme,2026-05,USD,total,total,,,,,,,,,1060.40" in csv_text
    assert "Total USD  1,060.40" in invoice_table(doc)


INVOICE_TABLE = """\
Invoice 2026-05 for Acme (draft)
Plan Gold (prices from 2026-01-01), amounts in USD

Item                         Quantity  Prepaid  Included  Billable  Unit price    Amount
Gold plan, 2026-05                                                              1,000.00
Storage (TB-month)           1.814516        0  1.814516         0          50      0.00
Compute (unit)                  131.5       30         0     101.5   graduated     60.60
  up to 100: 100 x 0.5
  and above: 1.5 x 0.4 + 10
Nodes (unit)                       12        0         0        12           4     48.00
API (unit)                       1200        0         0      1200      volume     60.00
  and above: 1200 x 0.05
----------------------------------------------------------------------------------------
                                                                      Subtotal  1,168.60
                                                                     Total USD  1,168.60"""

INVOICE_CSV = """\
customer,month,currency,kind,item,dimension,unit,quantity,prepaid,included,billable,unit_price,tier_up_to,amount
Acme,2026-05,USD,recurring,"Gold plan, 2026-05",,,,,,,,,1000.00
Acme,2026-05,USD,usage,Storage,storage_tb,TB-month,1.814516,0,1.814516,0,50,,0.00
Acme,2026-05,USD,usage,Compute,compute_hours,unit,131.5,30,0,101.5,,,60.60
Acme,2026-05,USD,tier,Compute,compute_hours,unit,100,,,,0.5,100,50
Acme,2026-05,USD,tier,Compute,compute_hours,unit,1.5,,,,0.4,,10.6
Acme,2026-05,USD,usage,Nodes,nodes,unit,12,0,0,12,4,,48.00
Acme,2026-05,USD,usage,API,api,unit,1200,0,0,1200,,,60.00
Acme,2026-05,USD,tier,API,api,unit,1200,,,,0.05,,60
Acme,2026-05,USD,subtotal,subtotal,,,,,,,,,1168.60
Acme,2026-05,USD,total,total,,,,,,,,,1168.60
"""


def test_an_invoice_prints_the_same_on_every_database(engine, acme):
    """PostgreSQL's NUMERIC hands back trailing zeros that SQLite does not; the table and
    the CSV read the same either way (both runs compare against one text)."""
    _hours(engine, acme, "storage_tb", datetime(2026, 5, 1, tzinfo=UTC), 500, "2.7")
    _usage(engine, acme, "compute_hours", datetime(2026, 5, 3, 10, tzinfo=UTC), "131.5")
    _usage(engine, acme, "nodes", datetime(2026, 5, 3, 10, tzinfo=UTC), "12")
    _usage(engine, acme, "api", datetime(2026, 5, 3, 10, tzinfo=UTC), "1200")
    doc = _invoice(engine, acme, "2026-05")
    assert invoice_table(doc) == INVOICE_TABLE
    assert invoice_csv(doc) == INVOICE_CSV


def test_a_yen_invoice_shows_whole_yen(engine):
    _apply(engine, PLANS.replace("    name: Gold\n", "    name: Gold\n    currency: JPY\n"))
    with Session(engine) as session:
        customer = session.exec(select(Customer)).one()
        doc = build_invoice(session, customer_id=customer.id, period=parse_month("2026-05"),
                            now=LATER)  # fmt: skip
    assert doc.currency == "JPY"
    assert "Total JPY  1,000" in invoice_table(doc)
    assert "1,000.00" not in invoice_table(doc)
    message = month_close_message(parse_month("2026-05"), [doc])
    assert message.summary == "1 invoices finalized, JPY 1,000"
    assert message.lines == ["Acme: JPY 1,000"]
