"""The local HTTPS Salesforce stand-in, started per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings, load_settings
from tests.fakes.salesforce import FakeSalesforce, SalesforceServer


def account(n: int, **fields: object) -> dict[str, object]:
    """An Account row as the stand-in serves it."""
    row: dict[str, object] = {
        "Id": f"001000000000{n:03d}AAA",
        "Name": f"Customer {n}",
        "AWS_Customer_Identifier__c": f"cust-{n}",
        "AWS_Account_Id__c": None,
        "AWS_License_Arn__c": None,
        "Usage_Key__c": f"cluster-{n}a, cluster-{n}b",
        "Plan__c": None,
    }
    row.update(fields)
    return row


@pytest.fixture
def salesforce(tmp_path: Path) -> Iterator[FakeSalesforce]:
    with SalesforceServer(tmp_path) as fake:
        yield fake


def session_settings(fake: FakeSalesforce, **env: str) -> Settings:
    return load_settings(
        {
            "SALESFORCE_INSTANCE_URL": fake.base_url,
            "SALESFORCE_SESSION_ID": fake.new_session(),
            **env,
        }
    )


def password_settings(fake: FakeSalesforce, password: str | None = None) -> Settings:
    return load_settings(
        {
            "SALESFORCE_USERNAME": fake.username,
            "SALESFORCE_PASSWORD": password or fake.password,
            "SALESFORCE_SECURITY_TOKEN": fake.token,
            "SALESFORCE_DOMAIN": fake.base_url,
        }
    )
