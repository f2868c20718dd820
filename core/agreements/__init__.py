"""AWS Marketplace agreements as the source of truth for customers and contracts.

Entry points: `sync_agreements` (one pass over the seller's purchase agreements, for
`meterbot sync-agreements` and the scheduled job) over an `AgreementClient` (the
Agreement Service adapter); `agreement_terms` maps AWS's answers to plain terms.
"""

from core.agreements.client import AgreementClient
from core.agreements.sync import AgreementsReport, apply_agreement, sync_agreements
from core.agreements.terms import AgreementTerms, agreement_terms

__all__ = [
    "AgreementClient",
    "AgreementTerms",
    "AgreementsReport",
    "agreement_terms",
    "apply_agreement",
    "sync_agreements",
]
