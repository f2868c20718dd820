"""Reconciliation: the ledger against what AWS received (CloudTrail) and invoiced.

Entry points: `reconcile_and_keep` (`reconcile_month`, then the run kept), for
`meterbot reconcile`, `/meter reconcile` and the scheduled jobs, over a
`CloudTrailReader` and an `InvoiceReader` (the adapters). `match_records` and
`compare_invoices` are the pure matching of each side; `keep_run`, `open_findings` and
`explain` keep runs and findings and change their state.
"""

from core.reconcile.cloudtrail import CloudTrailReader
from core.reconcile.findings import Finding, FindingKind
from core.reconcile.invoices import InvoiceLine, InvoiceReader
from core.reconcile.money import compare_invoices
from core.reconcile.records import match_records
from core.reconcile.report import ReconcileReport
from core.reconcile.runs import explain, keep_run, open_findings
from core.reconcile.service import reconcile_and_keep, reconcile_month

__all__ = [
    "CloudTrailReader",
    "Finding",
    "FindingKind",
    "InvoiceLine",
    "InvoiceReader",
    "ReconcileReport",
    "compare_invoices",
    "explain",
    "keep_run",
    "match_records",
    "open_findings",
    "reconcile_and_keep",
    "reconcile_month",
]
