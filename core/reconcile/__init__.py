"""Reconciliation: the ledger against what AWS received (CloudTrail) and invoiced.

Entry point: `reconcile_month` (for `meterbot reconcile`, `/meter reconcile` and the
scheduled jobs) over a `CloudTrailReader` and an `InvoiceReader` (the adapters);
`match_records` and `compare_invoices` are the pure matching of each side.
"""

from core.reconcile.cloudtrail import CloudTrailReader
from core.reconcile.findings import Finding, FindingKind
from core.reconcile.invoices import InvoiceLine, InvoiceReader
from core.reconcile.money import compare_invoices
from core.reconcile.records import match_records
from core.reconcile.report import ReconcileReport
from core.reconcile.service import reconcile_month

__all__ = [
    "CloudTrailReader",
    "Finding",
    "FindingKind",
    "InvoiceLine",
    "InvoiceReader",
    "ReconcileReport",
    "compare_invoices",
    "match_records",
    "reconcile_month",
]
