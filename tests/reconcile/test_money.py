"""Invoices against the ledger at the agreement's rate card, and the whole month's check:
a double-billed hour, a missing record and a disagreeing invoice, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.errors import ExternalServiceError
from core.periods import parse_month
from core.reconcile import FindingKind, InvoiceReader, reconcile_month
from tests.reconcile.conftest import AFTER_INVOICES, H1, H2, Books
from tests.reconcile.test_records import foreign_send

NOVEMBER = parse_month("2026-11")


def reconcile(books: Books, agreements, now: datetime = AFTER_INVOICES):
    return reconcile_month(
        books.world.engine,
        trail=books.reader(),
        invoices=InvoiceReader(agreements.boto_client()),
        period=NOVEMBER,
        now=now,
    )


def test_an_invoice_that_matches_the_rate_card_is_no_finding(priced, agreements):
    agreements.add_invoice("agmt-beta", "inv-1", month=(2026, 11), amount="60.00")
    agreements.add_invoice("agmt-beta", "inv-2", month=(2026, 11), amount="10.20")
    agreements.add_invoice("agmt-beta", "inv-0", month=(2026, 10), amount="999.00")
    report = reconcile(priced, agreements)
    assert report.findings == [] and report.agreements == 1
    # Both invoices of the period were read, one page each; October's was not asked for.
    calls = agreements.calls_to("ListAgreementInvoiceLineItems")
    assert {c["invoiceBillingPeriod"]["month"] for c in calls} == {11} and len(calls) == 2


def test_an_over_charge_names_the_invoice_and_what_may_be_adjusted(priced, agreements):
    agreements.add_invoice(
        "agmt-beta", "inv-1", month=(2026, 11), amount="95.00", max_adjustment="80.00"
    )
    agreements.add_invoice(
        "agmt-beta", "cm-1", month=(2026, 11), amount="5", invoice_type="CREDIT_MEMO"
    )
    [finding] = reconcile(priced, agreements).findings
    assert finding.kind is FindingKind.INVOICE and finding.over_billed
    assert (finding.expected, finding.actual) == (Decimal("70.00"), Decimal("90.00"))
    assert (finding.invoice_id, finding.max_adjustment) == ("inv-1", Decimal("80.00"))
    assert "over-charged by USD 20.00" in finding.detail


def test_an_under_charge_is_found_but_is_not_over_billing(priced, agreements):
    agreements.add_invoice("agmt-beta", "inv-1", month=(2026, 11), amount="40.00")
    [finding] = reconcile(priced, agreements).findings
    assert not finding.over_billed and "under-charged by USD 30.00" in finding.detail


def test_invoices_wait_for_the_month_to_end_and_be_issued(priced, agreements):
    report = reconcile(priced, agreements, now=datetime(2026, 11, 25, tzinfo=UTC))
    assert report.findings == [] and "invoices are checked once 2026-11 has ended" in report.notes
    report = reconcile(priced, agreements, now=datetime(2026, 12, 2, tzinfo=UTC))
    assert report.findings == [] and "agmt-beta: not invoiced yet" in report.notes
    # Past the issuing days, no invoice at all for a month that cost 70 is a finding.
    [finding] = reconcile(priced, agreements).findings
    assert finding.kind is FindingKind.INVOICE and finding.actual == 0


def test_a_refused_invoice_read_says_which_permission(priced, agreements):
    agreements.fail_next("AccessDeniedException")
    with pytest.raises(ExternalServiceError, match="aws-marketplace:ListAgreementInvoiceLineItems"):
        reconcile(priced, agreements)


def test_a_month_with_one_of_each_difference_finds_exactly_those_three(priced, agreements):
    world = priced.world
    foreign_send(priced, "cust-alpha", "storage_tb", H1, "1.5")  # Alpha's H1 billed twice
    priced.trail.forget(priced.record_id(world.alpha.id, world.storage.id, H2))  # lost
    agreements.add_invoice("agmt-beta", "inv-1", month=(2026, 11), amount="95.00")

    findings = reconcile(priced, agreements).findings

    assert sorted((f.kind, f.customer) for f in findings) == [
        (FindingKind.DOUBLE_BILLED, "Alpha"),
        (FindingKind.INVOICE, "Beta"),
        (FindingKind.MISSING, "Alpha"),
    ]


def test_the_same_month_clean_finds_none(priced, agreements):
    agreements.add_invoice("agmt-beta", "inv-1", month=(2026, 11), amount="70.00")
    assert reconcile(priced, agreements).findings == []
