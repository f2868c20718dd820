"""ResolveCustomer (meteringmarketplace): a registration token into the buyer's ids.

The boto3 client comes from the composition root with a timeout and retries. AWS's
refusals of the token become `RegistrationRefused` with a sentence for the buyer; a
failure to reach AWS is an ExternalServiceError (the buyer may try the link again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from core.errors import ExternalServiceError, InvalidInput

REFUSED = {
    "InvalidTokenException": "This registration link is not valid. Open the product from "
    "your AWS Marketplace subscriptions and choose Set up your account again.",
    "ExpiredTokenException": "This registration link has expired. Open the product from "
    "your AWS Marketplace subscriptions and choose Set up your account again.",
}


class RegistrationRefused(InvalidInput):
    """The token cannot register anyone; the message is for the buyer, and nothing changed."""


@dataclass(frozen=True)
class Buyer:
    """What AWS says a registration token stands for."""

    customer_identifier: str
    product_code: str
    aws_account_id: str | None
    license_arn: str | None
    agreement_id: str | None


def resolve_customer(boto_client: Any, token: str) -> Buyer:
    try:
        answer = boto_client.resolve_customer(RegistrationToken=token)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in REFUSED:
            raise RegistrationRefused(REFUSED[code]) from None
        raise ExternalServiceError(f"Marketplace ResolveCustomer failed: {code}") from None
    except BotoCoreError as exc:
        reason = type(exc).__name__
        raise ExternalServiceError(f"Marketplace ResolveCustomer failed: {reason}") from None
    return Buyer(
        customer_identifier=answer["CustomerIdentifier"],
        product_code=answer["ProductCode"],
        aws_account_id=answer.get("CustomerAWSAccountId"),
        license_arn=answer.get("LicenseArn"),
        agreement_id=answer.get("Metadata", {}).get("AgreementId"),
    )
