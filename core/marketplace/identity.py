"""Who a record is for, in Marketplace's terms, at a given hour.

A customer is metered under one of two models: CustomerIdentifier with the product's
ProductCode (the older model), or CustomerAWSAccountId with a LicenseArn (required for
new SaaS products). A customer switches models only on an hour boundary
(`Customer.model_since`): hours before it are metered under the other model, so no
hour of a customer is ever sent under both, which would bill it twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, or_, select

from core.models import Customer, Dimension, MarketplaceModel, Product

LICENSE, LEGACY = MarketplaceModel.LICENSE, MarketplaceModel.CUSTOMER_IDENTIFIER
# AWS's patterns (botocore's service model). One malformed record fails its whole call,
# so a bad id is caught here, for its own records, before it holds up everyone else's.
ACCOUNT_ID = re.compile(r"^[0-9]+$")
LICENSE_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:[A-Za-z0-9][A-Za-z0-9_/.-]{0,62}:[A-Za-z0-9_/.-]{0,63}:"
    r"[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,1023}$"
)


class IdentityError(Exception):
    """The customer or product lacks what Marketplace needs; the message says what to fix."""


@dataclass(frozen=True)
class Identity:
    model: str
    scope: str  # ProductCode or LicenseArn
    customer_ref: str  # CustomerIdentifier or CustomerAWSAccountId
    dimension_key: str
    batch_key: str  # the product: one BatchMeterUsage call is for one product


def metered_customers(session: Session) -> Sequence[Customer]:
    """The customers metering sends for: active, with a product, and an id of either model."""
    return session.exec(
        select(Customer).where(
            col(Customer.active),
            col(Customer.product_id).is_not(None),
            or_(
                col(Customer.customer_identifier).is_not(None),
                col(Customer.aws_account_id).is_not(None),
            ),
        )
    ).all()


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
        if not ACCOUNT_ID.match(customer.aws_account_id):
            raise IdentityError(
                f"{customer.name}'s AWS account id {customer.aws_account_id!r} is not digits "
                "only, as Marketplace requires: correct AWS_Account_Id__c"
            )
        if not LICENSE_ARN.match(customer.license_arn):
            raise IdentityError(
                f"{customer.name}'s LicenseArn {customer.license_arn!r} is not a valid ARN: "
                "correct AWS_License_Arn__c"
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
