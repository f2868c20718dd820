"""Settings from the environment, validated as they load.

Built once by the composition root (`bot.app`) and passed down; nothing reads the
environment at import. Error messages name the environment variable at fault.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from core.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///meterbot.db"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """Everything meterbot reads from the environment (see README, Configuration)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=False, frozen=True)

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias=_env("METERBOT_DATABASE_URL"))
    usage_url: str | None = Field(None, validation_alias=_env("METERBOT_USAGE_URL"))
    channel: str | None = Field(None, validation_alias=_env("METERBOT_CHANNEL"))
    admins: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(), validation_alias=_env("METERBOT_ADMINS")
    )
    marketplace: Literal["live", "dry-run"] = Field(
        "dry-run", validation_alias=_env("METERBOT_MARKETPLACE")
    )
    plans_file: str | None = Field(None, validation_alias=_env("METERBOT_PLANS_FILE"))
    # AWS recommends an hourly zero record for subscribed customers with no usage.
    heartbeat: bool = Field(True, validation_alias=_env("METERBOT_HEARTBEAT"))
    # Usage older than Marketplace takes: carried into the next open hour, or reported only.
    late_usage: Literal["carry", "report"] = Field(
        "carry", validation_alias=_env("METERBOT_LATE_USAGE")
    )

    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))

    aws_region: str = Field("us-east-1", validation_alias=_env("AWS_DEFAULT_REGION"))
    # The SQS queue an EventBridge rule on aws.agreement-marketplace delivers to.
    events_queue_url: str | None = Field(None, validation_alias=_env("METERBOT_EVENTS_QUEUE_URL"))
    # Where POST /marketplace/register sends a registered buyer (a bare page without it).
    registration_redirect: str | None = Field(
        None, validation_alias=_env("METERBOT_REGISTRATION_REDIRECT")
    )

    salesforce_instance_url: str | None = Field(
        None, validation_alias=_env("SALESFORCE_INSTANCE_URL")
    )
    salesforce_session_id: SecretStr | None = Field(
        None, validation_alias=_env("SALESFORCE_SESSION_ID")
    )
    salesforce_username: str | None = Field(None, validation_alias=_env("SALESFORCE_USERNAME"))
    salesforce_password: SecretStr | None = Field(
        None, validation_alias=_env("SALESFORCE_PASSWORD")
    )
    salesforce_security_token: SecretStr | None = Field(
        None, validation_alias=_env("SALESFORCE_SECURITY_TOKEN")
    )
    salesforce_domain: str = Field("login", validation_alias=_env("SALESFORCE_DOMAIN"))

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            ids = [part.strip() for part in value.split(",") if part.strip()]
            bad = [i for i in ids if not i[:1].isalpha() or not i.isalnum()]
            if bad:
                raise ValueError(
                    f"{len(bad)} of {len(ids)} entries are not Slack user ids; expected a "
                    "comma-separated list like U0123,U0456"
                )
            return frozenset(ids)
        return value

    @field_validator("marketplace", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("expected sqlite:///path or postgresql+psycopg://user@host/db")
        return value

    @field_validator("usage_url")
    @classmethod
    def _usage_url(cls, value: str | None) -> str | None:
        if value and value.startswith("s3://") and len(value) <= len("s3://"):
            raise ValueError("expected s3://bucket/prefix/ or a local folder")
        return value or None

    @field_validator("registration_redirect")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("expected an absolute URL (https://example.com/welcome)")
        return value or None

    @field_validator("slack_api_url")
    @classmethod
    def _slash_terminated(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def dry_run(self) -> bool:
        return self.marketplace == "dry-run"

    # Scheduled operation (docs/operations.md): five-field cron strings in UTC, or "off".
    schedule_ingest: str = Field("* * * * *", validation_alias=_env("METERBOT_SCHEDULE_INGEST"))
    schedule_salesforce: str = Field(
        "*/15 * * * *", validation_alias=_env("METERBOT_SCHEDULE_SALESFORCE")
    )
    schedule_submit: str = Field("5 * * * *", validation_alias=_env("METERBOT_SCHEDULE_SUBMIT"))
    schedule_retry: str = Field("35 * * * *", validation_alias=_env("METERBOT_SCHEDULE_RETRY"))
    schedule_daily_digest: str = Field(
        "0 8 * * *", validation_alias=_env("METERBOT_SCHEDULE_DAILY_DIGEST")
    )
    schedule_weekly_digest: str = Field(
        "0 8 * * mon", validation_alias=_env("METERBOT_SCHEDULE_WEEKLY_DIGEST")
    )
    schedule_invoices: str = Field("0 7 1 * *", validation_alias=_env("METERBOT_SCHEDULE_INVOICES"))
    schedule_agreements: str = Field(
        "*/15 * * * *", validation_alias=_env("METERBOT_SCHEDULE_AGREEMENTS")
    )
    # Reconciliation with AWS: the month so far weekly, last month once invoices are out.
    schedule_reconcile: str = Field(
        "0 9 * * mon", validation_alias=_env("METERBOT_SCHEDULE_RECONCILE")
    )
    schedule_reconcile_monthly: str = Field(
        "0 9 8 * *", validation_alias=_env("METERBOT_SCHEDULE_RECONCILE_MONTHLY")
    )
    digest_channel: str | None = Field(None, validation_alias=_env("METERBOT_DIGEST_CHANNEL"))
    # How far an agreement's monthly invoices may differ from the ledger at its rate card.
    reconcile_tolerance: Decimal = Field(
        Decimal("0.50"), ge=0, validation_alias=_env("METERBOT_RECONCILE_TOLERANCE")
    )
    # Salesforce correlation: the SOQL query and `name=Field__c` overrides of the field mapping.
    salesforce_query: str | None = Field(None, validation_alias=_env("METERBOT_SALESFORCE_QUERY"))
    salesforce_fields: str | None = Field(None, validation_alias=_env("METERBOT_SALESFORCE_FIELDS"))
    salesforce_timeout: float = Field(
        30.0, gt=0, validation_alias=_env("METERBOT_SALESFORCE_TIMEOUT")
    )

    @field_validator(
        "schedule_ingest",
        "schedule_salesforce",
        "schedule_submit",
        "schedule_retry",
        "schedule_daily_digest",
        "schedule_weekly_digest",
        "schedule_invoices",
        "schedule_agreements",
        "schedule_reconcile",
        "schedule_reconcile_monthly",
    )
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        value = " ".join(value.split())
        if value.lower() == "off":
            return "off"
        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError:
            reason = (
                "not a cron schedule: expected five fields (minute hour day month weekday, "
                "in UTC) such as '*/15 * * * *', or 'off'"
            )
            raise ValueError(reason) from None
        return value

    @property
    def salesforce_configured(self) -> bool:
        password_login = self.salesforce_username and self.salesforce_password
        session_login = self.salesforce_instance_url and self.salesforce_session_id
        return bool(password_login or session_login)


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build settings from `env` (default: the process environment).

    Raises ConfigError with one line per bad variable, naming the variable.
    """
    try:
        if env is None:
            return Settings()
        values: dict[str, Any] = {k: v for k, v in env.items() if k in _ALIASES}
        return _ExplicitSettings(**values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "environment"
            problems.append(f"{name}: {_plain(err)}")
        raise ConfigError("; ".join(problems)) from None


def _plain(err: ErrorDetails) -> str:
    """What is wrong and what would do, in plain words; never the value itself."""
    kind, context = err["type"], err.get("ctx", {})
    if kind == "value_error":
        return str(context.get("error", err["msg"]))
    if kind.startswith("bool_"):
        return "expected true or false (yes/no, on/off and 1/0 work too)"
    if kind == "literal_error":
        return f"expected {context.get('expected', 'one of the documented values')}"
    if kind in ("greater_than", "greater_than_equal"):
        bound = context.get("gt", context.get("ge"))
        return f"expected a number above {bound:g}" if bound is not None else "too small"
    if kind.startswith(("float_", "int_")):
        return "expected a number"
    return "not a valid value (see the README, Configuration)"


class _ExplicitSettings(Settings):
    """Settings from an explicit mapping only, so tests never see the developer's environment."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


_ALIASES = {
    str(choice)
    for field in Settings.model_fields.values()
    if isinstance(field.validation_alias, AliasChoices)
    for choice in field.validation_alias.choices
}
