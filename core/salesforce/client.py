"""Salesforce adapter: customer accounts read with simple-salesforce (the only module using it).

Login is by session id + instance URL, or by username, password and security token
against a domain ("login", "test", a My Domain, or a full login URL). Every request has
a timeout and retries on connection errors, throttling and 5xx. Errors name the query or
the field at fault and never carry the password, token or session id.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError
from urllib3.util.retry import Retry

from core.errors import ConfigError, ExternalServiceError
from core.settings import Settings

log = logging.getLogger(__name__)

# meterbot's name for each account attribute -> the Account field it comes from.
DEFAULT_FIELDS: Mapping[str, str] = {
    "account_id": "Id",
    "name": "Name",
    "customer_identifier": "AWS_Customer_Identifier__c",
    "aws_account_id": "AWS_Account_Id__c",
    "license_arn": "AWS_License_Arn__c",
    "usage_ids": "Usage_Key__c",
    "plan": "Plan__c",
}
_RETRY = Retry(
    total=4,
    backoff_factor=0.5,
    status_forcelist=(429, 502, 503, 504),  # not 500: a SOAP fault (a refused login) is a 500
    allowed_methods=frozenset({"GET", "POST"}),  # we only read; the SOAP login is a POST
    raise_on_status=False,  # the last answer goes to simple-salesforce, which names the error
)


@dataclass(frozen=True)
class SalesforceAccount:
    """One customer account as Salesforce holds it."""

    account_id: str
    name: str
    customer_identifier: str | None = None
    aws_account_id: str | None = None
    license_arn: str | None = None
    usage_ids: tuple[str, ...] = ()
    plan: str | None = None


def field_mapping(overrides: str | None) -> dict[str, str]:
    """The default mapping with `name=Field__c` overrides (comma-separated) applied."""
    mapping = dict(DEFAULT_FIELDS)
    for part in (overrides or "").split(","):
        if not part.strip():
            continue
        name, sep, field = (p.strip() for p in part.partition("="))
        if not sep or name not in DEFAULT_FIELDS or not field:
            known = ", ".join(DEFAULT_FIELDS)
            raise ConfigError(
                f"METERBOT_SALESFORCE_FIELDS: {part.strip()!r} is not name=Field__c "
                f"with name one of {known}"
            )
        mapping[name] = field
    return mapping


def default_query(mapping: Mapping[str, str]) -> str:
    """Accounts that carry any Marketplace or usage id, with every mapped field."""
    fields = ", ".join(dict.fromkeys(mapping.values()))
    ids = [mapping[n] for n in ("customer_identifier", "aws_account_id", "usage_ids")]
    where = " OR ".join(f"{field} != null" for field in ids)
    return f"SELECT {fields} FROM Account WHERE {where}"


class _TimeoutSession(requests.Session):
    """A requests Session whose every call (login included) has a timeout."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        adapter = HTTPAdapter(max_retries=_RETRY)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        # requests lets REQUESTS_CA_BUNDLE override a Session's own `verify`; ours wins.
        kwargs.setdefault("verify", self.verify)
        return super().request(*args, **kwargs)


class SalesforceClient:
    """A logged-in connection that reads accounts with the configured query and mapping."""

    def __init__(self, api: Salesforce, *, query: str, mapping: Mapping[str, str]) -> None:
        self._api = api
        self.query = query
        self.mapping = dict(mapping)

    def accounts(self) -> list[SalesforceAccount]:
        """Every account the query returns, following nextRecordsUrl pages."""
        try:
            result = self._api.query_all(self.query)
        except SalesforceError as exc:
            raise ExternalServiceError(_query_error(exc, self.query)) from None
        except requests.RequestException as exc:
            raise ExternalServiceError(_network_error(exc)) from None
        records = result["records"]
        log.info("salesforce query returned %d accounts", len(records))
        return [account_from_record(record, self.mapping) for record in records]


def connect(settings: Settings, *, verify: bool | str = True) -> SalesforceClient:
    """Log in as the settings say. ConfigError when Salesforce is not configured."""
    mapping = field_mapping(settings.salesforce_fields)
    query = settings.salesforce_query or default_query(mapping)
    session = _TimeoutSession(settings.salesforce_timeout)
    session.verify = verify
    try:
        api = _login(settings, session)
    except SalesforceAuthenticationFailed as exc:
        who = settings.salesforce_username or "the session"
        why = " ".join(f"{exc.code or 'login failed'}: {exc.auth_message}".split())[:300]
        raise ExternalServiceError(f"Salesforce login for {who} refused ({why})") from None
    except requests.RequestException as exc:
        raise ExternalServiceError(_network_error(exc)) from None
    return SalesforceClient(api, query=query, mapping=mapping)


def _login(settings: Settings, session: requests.Session) -> Salesforce:
    if settings.salesforce_instance_url and settings.salesforce_session_id:
        return Salesforce(
            instance_url=settings.salesforce_instance_url,
            session_id=settings.salesforce_session_id.get_secret_value(),
            session=session,
        )
    if not (settings.salesforce_username and settings.salesforce_password):
        raise ConfigError(
            "Salesforce is not configured: set SALESFORCE_INSTANCE_URL and "
            "SALESFORCE_SESSION_ID, or SALESFORCE_USERNAME and SALESFORCE_PASSWORD"
        )
    token = settings.salesforce_security_token
    domain = settings.salesforce_domain
    # A full URL (a scratch org, a local stand-in) is used as is; otherwise <domain>.salesforce.com.
    login_url = domain.rstrip("/") if domain.startswith("https://") else None
    session_id, instance = SalesforceLogin(
        username=settings.salesforce_username,
        password=settings.salesforce_password.get_secret_value(),
        security_token=token.get_secret_value() if token else None,
        domain=None if login_url else domain,
        scratch_url=login_url,
        session=session,
    )
    return Salesforce(session_id=session_id, instance=instance, session=session)


def account_from_record(record: Mapping[str, Any], mapping: Mapping[str, str]) -> SalesforceAccount:
    """Map one query record; a field the query did not return is a ConfigError naming it."""
    values = {name: _field(record, field, name) for name, field in mapping.items()}
    usage_ids = tuple(dict.fromkeys(p.strip() for p in (values["usage_ids"] or "").split(",")))
    return SalesforceAccount(
        account_id=str(values["account_id"] or ""),
        name=str(values["name"] or "").strip(),
        customer_identifier=_text(values["customer_identifier"]),
        aws_account_id=_text(values["aws_account_id"]),
        license_arn=_text(values["license_arn"]),
        usage_ids=tuple(u for u in usage_ids if u),
        plan=_text(values["plan"]),
    )


def _field(record: Mapping[str, Any], field: str, name: str) -> Any:
    """A field's value; dotted names follow relationships (Owner.Name)."""
    value: Any = record
    for part in field.split("."):
        if value is None:
            return None
        if not isinstance(value, Mapping) or part not in value:
            raise ConfigError(
                f"Salesforce records have no field {field!r} (mapped to {name}); add it to "
                "METERBOT_SALESFORCE_QUERY or change METERBOT_SALESFORCE_FIELDS"
            )
        value = value[part]
    return value


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _query_error(exc: SalesforceError, query: str) -> str:
    """'INVALID_FIELD: No such column ...' with the query, from Salesforce's error body."""
    content = exc.content
    first: Any = content[0] if isinstance(content, list) and content else {}
    code = first.get("errorCode", f"HTTP {exc.status}") if isinstance(first, dict) else exc.status
    detail = first.get("message", "") if isinstance(first, dict) else str(content)[:300]
    detail = " ".join(str(detail).split())
    if code == "INVALID_SESSION_ID":
        return (
            "Salesforce refused the session (INVALID_SESSION_ID): set a fresh "
            "SALESFORCE_SESSION_ID or log in with SALESFORCE_USERNAME/PASSWORD"
        )
    return f"Salesforce rejected the query ({code}: {detail}); query: {query}"


def _network_error(exc: requests.RequestException) -> str:
    url = str(exc.request.url) if exc.request is not None and exc.request.url else ""
    host = urlsplit(url).netloc or "?"
    return f"Salesforce unreachable at {host} after retries ({type(exc).__name__})"
