"""simple-salesforce against the local HTTPS stand-in: login, pages, errors people can act on."""

from __future__ import annotations

import pytest

from core.errors import ConfigError, ExternalServiceError
from core.salesforce.client import connect, default_query, field_mapping
from tests.fakes.salesforce import FakeSalesforce
from tests.salesforce.conftest import account, password_settings, session_settings


def test_reads_every_page_of_accounts_with_a_session_id(salesforce: FakeSalesforce) -> None:
    salesforce.accounts = [account(n) for n in range(1, 6)]
    salesforce.page_size = 2
    client = connect(session_settings(salesforce), verify=salesforce.ca_path)

    accounts = client.accounts()

    assert [a.name for a in accounts] == [f"Customer {n}" for n in range(1, 6)]
    assert accounts[0].usage_ids == ("cluster-1a", "cluster-1b")
    assert accounts[0].customer_identifier == "cust-1"
    query_calls = [path for method, path in salesforce.calls if method == "GET"]
    assert len(query_calls) == 3  # the query and two queryMore pages


def test_logs_in_with_username_password_and_token(salesforce: FakeSalesforce) -> None:
    salesforce.accounts = [account(1, Plan__c="gold")]
    client = connect(password_settings(salesforce), verify=salesforce.ca_path)

    [only] = client.accounts()

    assert only.plan == "gold"
    assert ("POST", "/services/Soap/u/59.0") in salesforce.calls


def test_a_wrong_password_is_reported_without_the_password(salesforce: FakeSalesforce) -> None:
    with pytest.raises(ExternalServiceError) as caught:
        connect(password_settings(salesforce, password="wrong-pw"), verify=salesforce.ca_path)

    text = str(caught.value)
    assert "INVALID_LOGIN" in text and salesforce.username in text
    assert "wrong-pw" not in text and salesforce.token not in text


def test_an_unknown_field_names_the_field_and_the_query(salesforce: FakeSalesforce) -> None:
    salesforce.accounts = [account(1)]
    settings = session_settings(salesforce, METERBOT_SALESFORCE_FIELDS="plan=Plan_Key__c")
    client = connect(settings, verify=salesforce.ca_path)

    with pytest.raises(ExternalServiceError) as caught:
        client.accounts()

    text = str(caught.value)
    assert "INVALID_FIELD" in text and "No such column 'Plan_Key__c'" in text
    assert "query: SELECT Id, Name" in text
    assert settings.salesforce_session_id is not None
    assert settings.salesforce_session_id.get_secret_value() not in text


def test_an_expired_session_says_what_to_do_without_the_session_id(
    salesforce: FakeSalesforce,
) -> None:
    settings = session_settings(salesforce, SALESFORCE_SESSION_ID="00D!expired-session")
    client = connect(settings, verify=salesforce.ca_path)

    with pytest.raises(ExternalServiceError) as caught:
        client.accounts()

    assert "INVALID_SESSION_ID" in str(caught.value)
    assert "expired-session" not in str(caught.value)


def test_transient_server_errors_are_retried(salesforce: FakeSalesforce) -> None:
    salesforce.accounts = [account(1)]
    salesforce.fail_next = 2
    client = connect(session_settings(salesforce), verify=salesforce.ca_path)

    assert [a.account_id for a in client.accounts()] == ["001000000000001AAA"]


def test_a_field_the_query_does_not_select_is_named(salesforce: FakeSalesforce) -> None:
    salesforce.accounts = [account(1)]
    settings = session_settings(
        salesforce, METERBOT_SALESFORCE_QUERY="SELECT Id, Name FROM Account"
    )
    client = connect(settings, verify=salesforce.ca_path)

    with pytest.raises(ConfigError, match="AWS_Customer_Identifier__c"):
        client.accounts()


def test_mapping_overrides_and_the_default_query() -> None:
    mapping = field_mapping("usage_ids = Cluster_Ids__c, plan=Owner.Plan__c")

    assert mapping["usage_ids"] == "Cluster_Ids__c" and mapping["account_id"] == "Id"
    assert default_query(mapping).startswith("SELECT Id, Name, AWS_Customer_Identifier__c")
    assert "Cluster_Ids__c != null" in default_query(mapping)
    with pytest.raises(ConfigError, match="METERBOT_SALESFORCE_FIELDS"):
        field_mapping("usage=Cluster__c")
