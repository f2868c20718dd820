"""Usage alerts: rules typed in a small language, evaluated after ingestion, posted once.

    storage_tb > 500                          this month's quantity above 500, any customer
    storage_tb >= 500 for Acme                the same for one customer
    storage_tb 80% of entitlement             80% of the contract's entitlement used
    api_requests spike 3x                     the last hour at 3x the trailing 24-hour average
    api_requests spike 4x over 48h for acme   a longer trailing window, one customer

Quantities are in the dimension's unit (raw usage times its unit scale), measured the way
the dimension is billed (sum, average, peak...). A rule is announced when it becomes
crossed and not again until it has been uncrossed (a new month, a quiet hour).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.access import CHANGE_ALERTS, Admins
from core.alerts.measures import Reading, readings
from core.customers.lookup import find_customer
from core.db import session_scope
from core.errors import InvalidInput, NotFound
from core.formatting import quantity
from core.models import AlertRule, AlertState, AuditEvent, Customer, Dimension
from core.models.ops_jobs import AlertKind
from core.notifier import Message, Severity

TEXT_LIMIT = 255  # AlertRule.text and AuditEvent.subject
EXAMPLES = "storage_tb > 500, storage_tb 80% of entitlement for acme, api_requests spike 3x"
_RULE = re.compile(
    r"^(?P<dim>[\w.\-]+)\s+(?:"
    r"(?P<op>>=?)\s*(?P<limit>\S+)"
    r"|(?P<pct>[\d.]+)\s*%\s+of\s+entitlement"
    r"|spike\s+(?P<factor>[\d.]+)\s*x?(?:\s+over\s+(?P<window>\d+)\s*h)?"
    r")(?:\s+for\s+(?P<customer>.+))?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ParsedRule:
    kind: str
    dimension_key: str
    value: Decimal
    window_hours: int
    customer_text: str | None


def parse_rule(text: str) -> ParsedRule:
    """The rule `text` states; InvalidInput with examples when it is not one."""
    match = _RULE.match(" ".join(text.split()))
    if not match:
        raise InvalidInput(f"not an alert rule: {text!r} (examples: {EXAMPLES})")
    window = int(match["window"] or 24)
    if match["op"]:
        kind = AlertKind.AT_LEAST if match["op"] == ">=" else AlertKind.THRESHOLD
        value = _number(match["limit"], text)
    elif match["pct"]:
        kind, value = AlertKind.ENTITLEMENT, _number(match["pct"], text)
    else:
        kind, value = AlertKind.SPIKE, _number(match["factor"], text)
        if value <= 1:
            raise InvalidInput(f"a spike factor must be above 1 (say 3x), not {value}")
    if not 1 <= window <= 24 * 31:
        raise InvalidInput(f"a spike window is 1 to 744 hours, not {window}")
    customer = match["customer"].strip() if match["customer"] else None
    return ParsedRule(kind, match["dim"], value, window, customer)


def _number(text: str, rule: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"{text!r} in {rule!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise InvalidInput(f"{text!r} in {rule!r} is not a positive number")
    return value


def list_rules(session: Session) -> list[AlertRule]:
    return list(session.exec(select(AlertRule).order_by(col(AlertRule.id))).all())


def add_rule(
    session: Session, *, text: str, actor: str, admins: Admins, now: datetime
) -> AlertRule:
    """Parse, check the dimension and customer exist, store (add + flush) and audit."""
    admins.require(actor, CHANGE_ALERTS, subject=text)
    parsed = parse_rule(text)
    keys = set(session.exec(select(Dimension.key)).all())
    if parsed.dimension_key not in keys:
        known = ", ".join(sorted(keys)) or "none yet (apply a plans file)"
        raise InvalidInput(f"no dimension {parsed.dimension_key!r}; dimensions: {known}")
    customer = find_customer(session, parsed.customer_text) if parsed.customer_text else None
    rule = AlertRule(
        text=_normalized(text, customer),
        kind=parsed.kind,
        dimension_key=parsed.dimension_key,
        customer_id=customer.id if customer else None,
        value=parsed.value,
        window_hours=parsed.window_hours,
        created_by=actor,
        created_at=now,
    )
    session.add(rule)
    session.flush()
    _audit(session, actor, "alert_rule.add", rule, now)
    return rule


def _normalized(text: str, customer: Customer | None) -> str:
    """The rule as typed, with the customer as its display name (cut to fit the column:
    the rule's meaning is in its fields, the text only shows it)."""
    head = re.split(r"\s+for\s+", " ".join(text.split()), maxsplit=1, flags=re.I)[0]
    return _fit(f"{head} for {customer.name}" if customer else head)


def remove_rule(
    session: Session, *, rule_id: int, actor: str, admins: Admins, now: datetime | None = None
) -> None:
    admins.require(actor, CHANGE_ALERTS, subject=f"#{rule_id}")
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFound(f"no alert rule #{rule_id}; /meter alerts lists them")
    for state in session.exec(select(AlertState).where(AlertState.rule_id == rule_id)):
        session.delete(state)
    session.flush()
    _audit(session, actor, "alert_rule.remove", rule, now)
    session.delete(rule)
    session.flush()


def _audit(
    session: Session, actor: str, action: str, rule: AlertRule, now: datetime | None
) -> None:
    event = AuditEvent(actor=actor, action=action, subject=_fit(f"#{rule.id} {rule.text}"))
    if now is not None:
        event.at = now
    session.add(event)


def _fit(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_rule(rule: AlertRule) -> str:
    """'#3 storage_tb > 500 for Acme: this month's storage_tb above 500 (every customer)'."""
    who = "" if rule.customer_id else " (every customer)"
    if rule.kind in (AlertKind.THRESHOLD, AlertKind.AT_LEAST):
        reached = "above" if rule.kind == AlertKind.THRESHOLD else "at or above"
        what = f"this month's {rule.dimension_key} {reached} {quantity(rule.value)}"
    elif rule.kind == AlertKind.ENTITLEMENT:
        what = f"{rule.dimension_key} at {quantity(rule.value)}% of the entitlement"
    else:
        what = (
            f"an hour of {rule.dimension_key} at {quantity(rule.value)}x "
            f"the {rule.window_hours}-hour average"
        )
    return f"#{rule.id} {rule.text}: {what}{who}"


def evaluate_alerts(engine: Engine, *, now: datetime) -> list[Message]:
    """Check every rule and commit the new states: the messages to post, each crossing once."""
    with session_scope(engine) as session:
        return check_rules(session, now=now)


def check_rules(session: Session, *, now: datetime) -> list[Message]:
    """Messages for rules newly crossed; state is updated (add + flush) so each crossing
    is announced once, and a rule re-arms once it is no longer crossed."""
    messages = []
    for rule in list_rules(session):
        if rule.enabled and rule.id is not None:
            messages += _evaluate_rule(session, rule, rule.id, now)
    session.flush()
    return messages


def _evaluate_rule(session: Session, rule: AlertRule, rule_id: int, now: datetime) -> list[Message]:
    current = {(r.customer.id or 0, r.dimension.id or 0): r for r in readings(session, rule, now)}
    states = session.exec(select(AlertState).where(AlertState.rule_id == rule_id)).all()
    known = {(s.customer_id, s.dimension_id): s for s in states}
    for key, state in known.items():
        if key not in current and state.crossed:  # nothing measured (a new month): re-arm
            state.crossed, state.changed_at = False, now
            session.add(state)
    messages = []
    for (customer_id, dimension_id), reading in current.items():
        state = known.get((customer_id, dimension_id)) or AlertState(
            rule_id=rule_id, customer_id=customer_id, dimension_id=dimension_id, changed_at=now
        )
        if reading.crossed and not state.crossed:
            messages.append(_alert_message(rule, reading))
        if reading.crossed != state.crossed:
            state.crossed, state.changed_at = reading.crossed, now
        state.value = reading.value
        session.add(state)
    return messages


def _alert_message(rule: AlertRule, reading: Reading) -> Message:
    unit = reading.dimension.unit
    return Message(
        title="Usage alert",
        summary=f"{reading.customer.name}: {reading.detail}",
        severity=Severity.WARNING,
        facts=[
            ("Customer", reading.customer.name),
            ("Dimension", f"{reading.dimension.name} ({reading.dimension.key}, {unit})"),
            ("Rule", f"#{rule.id} {rule.text}"),
        ],
    )
