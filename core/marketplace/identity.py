"""Who a record is for, in Marketplace's terms, at a given hour.

A customer is metered under one of two models: CustomerIdentifier with the product's
ProductCode (the older model), or CustomerAWSAccountId with a LicenseArn (required for
new SaaS products). A customer switches models only on an hour boundary
(`Customer.model_since`): hours before it are metered under the other model, so no
hour of a customer is ever sent under both, which would bill it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.models import Customer, Dimension, MarketplaceModel, Product

LICENSE, LEGACY = MarketplaceModel.LICENSE, MarketplaceModel.CUSTOMER_IDENTIFIER


class IdentityError(Exception):
    """The customer or product lacks what Marketplace needs; the message says what to fix."""


@dataclass(frozen=True)
class Identity:
    model: str
    scope: str  # ProductCode or LicenseArn
    customer_ref: str  # CustomerIdentifier or CustomerAWSAccountId
    dimension_key: str
    batch_key: str  # the product: one BatchMeterUsage call is for one product


def model_at(customer: Customer, hour: datetime) -> str:
    current = customer.marketplace_model or (
        LICENSE if customer.aws_account_id and customer.license_arn else LEGACY
    )
    if customer.model_since is not None and hour < customer.model_since:
        return LEGACY if current == LICENSE else LICENSE
    return current


def identity_for(
    customer: Customer, product: Product, dimension: Dimension, hour: datetime
) -> Identity:
    model = model_at(customer, hour)
    if model == LICENSE:
        if not (customer.aws_account_id and customer.license_arn):
            raise IdentityError(
                f"{customer.name} is metered by licence at {hour:%Y-%m-%d %H:00}Z but has no "
                "AWS account id and LicenseArn: set AWS_Account_Id__c and AWS_License_Arn__c"
            )
        return Identity(
            LICENSE,
            customer.license_arn,
            customer.aws_account_id,
            dimension.marketplace_key,
            f"licence:{product.key}",
        )
    if not customer.customer_identifier:
        raise IdentityError(
            f"{customer.name} has no CustomerIdentifier for {hour:%Y-%m-%d %H:00}Z: set "
            "AWS_Customer_Identifier__c, or switch it to the licence model"
        )
    if not product.marketplace_product_code:
        raise IdentityError(
            f"product {product.key} has no Marketplace product code: set "
            "marketplace_product_code in the plans file"
        )
    code = product.marketplace_product_code
    return Identity(
        LEGACY, code, customer.customer_identifier, dimension.marketplace_key, f"product:{code}"
    )
