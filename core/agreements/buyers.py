"""The customer an agreement's buyer is: found by AWS account id, or created.

A customer synced from Salesforce carries its AWS account id (AWS_Account_Id__c), so a
buyer AWS knows is joined to its Salesforce account through that field. A buyer no one
has entered yet becomes a customer of its own, named for its account until someone
renames it. The agreement's licence makes the customer metered in the licence model
(CustomerAWSAccountId + LicenseArn); a customer leaving the CustomerIdentifier model
switches at the next hour boundary, so no hour is ever sent under both.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from core.agreements.terms import AgreementTerms
from core.models import Customer, MarketplaceModel
from core.periods import HOUR, hour_floor

LICENSE, LEGACY = MarketplaceModel.LICENSE, MarketplaceModel.CUSTOMER_IDENTIFIER


def buyer_customer(
    session: Session, terms: AgreementTerms, *, product_id: int | None, now: datetime
) -> tuple[Customer, bool]:
    """(the customer for the agreement's buyer, whether it was created now)."""
    query = select(Customer).where(Customer.aws_account_id == terms.account_id)
    found = session.exec(query.order_by(col(Customer.id))).first()
    created = found is None
    customer = found or Customer(name=f"AWS account {terms.account_id}", product_id=product_id)
    customer.aws_account_id = terms.account_id
    customer.product_id = customer.product_id or product_id
    if terms.license_arn and not terms.ended:
        use_licence(customer, terms.license_arn, now=now)
    customer.updated_at = now
    session.add(customer)
    session.flush()
    return customer, created


def use_licence(customer: Customer, license_arn: str, *, now: datetime) -> None:
    """Meter the customer under this licence from now (from the next hour if it moves
    from the CustomerIdentifier model, whose current hour may already be sent)."""
    customer.license_arn = license_arn
    if customer.marketplace_model == LICENSE:
        return
    if customer.marketplace_model == LEGACY or customer.customer_identifier:
        customer.model_since = hour_floor(now) + HOUR
    customer.marketplace_model = LICENSE
