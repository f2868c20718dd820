"""Reconciliation: the ledger against what AWS received (CloudTrail) and invoiced.

Entry point: `reconcile_month` (for `meterbot reconcile`, `/meter reconcile` and the
scheduled jobs) over a `CloudTrailReader` (the CloudTrail adapter); `match_records`
is the pure matching of ledger rows with logged records.
"""

from core.reconcile.cloudtrail import CloudTrailReader
from core.reconcile.findings import Finding, FindingKind
from core.reconcile.records import match_records
from core.reconcile.report import ReconcileReport
from core.reconcile.service import reconcile_month

__all__ = [
    "CloudTrailReader",
    "Finding",
    "FindingKind",
    "ReconcileReport",
    "match_records",
    "reconcile_month",
]
