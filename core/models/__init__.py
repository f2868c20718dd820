"""All SQLModel tables; importing this package registers every table on the metadata."""

from core.models.agreements import Agreement, AgreementEvent, ContractRate
from core.models.catalog import (
    Aggregation,
    Dimension,
    FieldMapping,
    Plan,
    PlanPrice,
    PlanVersion,
    PriceModel,
    Product,
    RatingPeriod,
)
from core.models.customers import (
    Contract,
    ContractKind,
    Customer,
    CustomerAlias,
    Entitlement,
    EntitlementPeriod,
    MarketplaceModel,
)
from core.models.ingest import IngestedObject, QuarantinedLine
from core.models.ledger import LateOutcome, LateUsage, LedgerStatus, MeteringRecord
from core.models.ops import AuditEvent, Invoice
from core.models.ops_jobs import AlertRule, AlertState, JobRun  # noqa: F401  (tables)
from core.models.reconcile import FindingState, ReconcileFinding, ReconcileRun, RefundRequest
from core.models.uploads import UploadState, UsageUpload
from core.models.usage import HourlyRollup, UnmatchedUsage, UsageIdRollup

__all__ = [
    "Aggregation",
    "Agreement",
    "AgreementEvent",
    "AuditEvent",
    "Contract",
    "ContractKind",
    "ContractRate",
    "Customer",
    "CustomerAlias",
    "Dimension",
    "Entitlement",
    "EntitlementPeriod",
    "FieldMapping",
    "FindingState",
    "HourlyRollup",
    "IngestedObject",
    "Invoice",
    "LateOutcome",
    "LateUsage",
    "LedgerStatus",
    "MarketplaceModel",
    "MeteringRecord",
    "Plan",
    "PlanPrice",
    "PlanVersion",
    "PriceModel",
    "Product",
    "QuarantinedLine",
    "RatingPeriod",
    "ReconcileFinding",
    "ReconcileRun",
    "RefundRequest",
    "UnmatchedUsage",
    "UploadState",
    "UsageIdRollup",
    "UsageUpload",
]
