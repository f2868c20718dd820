"""`meterbot invoice CUSTOMER --month YYYY-MM [--csv] [--finalize]`: a month's invoice."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from core.billing.invoices import build_invoice, finalize_invoice, invoice_csv, invoice_table
from core.customers.lookup import find_customer
from core.db import session_scope
from core.periods import month_label, month_of, parse_month

if TYPE_CHECKING:
    from bot.app import Services


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "invoice",
        help="a customer's invoice for a month",
        description="Recurring fee, itemized usage and totals for one customer and month.",
    )
    parser.add_argument(
        "customer",
        metavar="CUSTOMER",
        help="name (or a unique prefix), Salesforce id, usage id or Marketplace id",
    )
    parser.add_argument("--month", metavar="YYYY-MM", help="default: this month, so far")
    parser.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    parser.add_argument(
        "--finalize",
        action="store_true",
        help="store the invoice of a month that is over; it never changes afterwards",
    )
    parser.set_defaults(run=run, reads_only=True)


def run(args: argparse.Namespace, services: Services) -> int:
    now = datetime.now(UTC)
    period = parse_month(args.month) if args.month else month_of(now)
    with session_scope(services.engine) as session:
        customer = find_customer(session, args.customer)
        assert customer.id is not None
        make = finalize_invoice if args.finalize else build_invoice
        doc = make(session, customer_id=customer.id, period=period, now=now)
    print(invoice_csv(doc) if args.csv else invoice_table(doc), end="\n" if not args.csv else "")
    if args.finalize and not args.csv:
        print(f"\ninvoice {month_label(period)} for {doc.customer} is finalized")
    return 0
