"""Finding customers by whatever a person or a usage record calls them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, or_, select

from core.errors import Ambiguous, NotFound
from core.models import Contract, Customer, CustomerAlias
from core.periods import Period

_SHOWN = 5


def find_customer(session: Session, text: str) -> Customer:
    """The one customer `text` names: a display name (any case, or a unique prefix of one),
    a Salesforce account id, a usage id, a CustomerIdentifier or an AWS account id."""
    wanted = text.strip()
    if not wanted:
        raise NotFound("name a customer (its name, Salesforce id, usage id or Marketplace id)")
    exact = _exact_matches(session, wanted)
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise Ambiguous(f"{wanted!r} matches {_names(exact)}; use the Salesforce id")
    prefixed = list(
        session.exec(
            select(Customer).where(col(Customer.name).ilike(_like_prefix(wanted), escape="\\"))
        ).all()
    )
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        raise Ambiguous(f"{wanted!r} could be {_names(prefixed)}; type more of the name")
    raise NotFound(_not_found_message(session, wanted))


def _exact_matches(session: Session, wanted: str) -> list[Customer]:
    by_alias = select(CustomerAlias.customer_id).where(CustomerAlias.usage_id == wanted)
    query = select(Customer).where(
        or_(
            col(Customer.salesforce_account_id) == wanted,
            col(Customer.customer_identifier) == wanted,
            col(Customer.aws_account_id) == wanted,
            col(Customer.id).in_(by_alias),
        )
    )
    found = list(session.exec(query).all())
    if found:
        return found
    return [c for c in session.exec(select(Customer)).all() if c.name.lower() == wanted.lower()]


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _names(customers: list[Customer]) -> str:
    names = sorted(c.name for c in customers)
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return ", ".join(names[:_SHOWN]) + more


def _not_found_message(session: Session, wanted: str) -> str:
    names = list(session.exec(select(Customer.name)).all())
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return f"no customer matches {wanted!r}{hint}"


def alias_map(session: Session) -> dict[str, int]:
    """Usage id -> customer id, for every id a customer's usage may arrive under."""
    rows = session.exec(select(CustomerAlias.usage_id, CustomerAlias.customer_id)).all()
    return dict(rows)


def contract_at(session: Session, *, customer_id: int, at: datetime | Period) -> Contract | None:
    """The contract in force for the customer at `at`: at that instant, or at any time in
    that period (the one that prices a month). If several are, AWS's (an agreement) wins
    over the plans file's, then the latest started (`contract_rank`)."""
    query = select(Contract).where(
        Contract.customer_id == customer_id,
        *in_force_where(at),  # type: ignore[arg-type]
    )
    return max(session.exec(query).all(), key=contract_rank, default=None)


def in_force_where(at: datetime | Period) -> list[object]:
    """`in_force` as SQL conditions on Contract, for queries that list contracts."""
    begun = (
        col(Contract.starts_at) < at.end
        if isinstance(at, Period)
        else col(Contract.starts_at) <= at
    )
    after = at.start if isinstance(at, Period) else at
    return [begun, or_(col(Contract.ends_at).is_(None), col(Contract.ends_at) > after)]


def not_outranked_where(at: datetime) -> ColumnElement[bool]:
    """SQL: not a plans-file contract that an AWS agreement in force at `at` stands over,
    so a list of contracts shows each customer's one in force (`contract_rank`)."""
    aws = aliased(Contract)
    outranking = select(aws.id).where(
        aws.customer_id == Contract.customer_id,
        col(aws.agreement_id).is_not(None),
        col(aws.starts_at) <= at,
        or_(col(aws.ends_at).is_(None), col(aws.ends_at) > at),
    )
    return or_(col(Contract.agreement_id).is_not(None), ~outranking.exists())


def in_force(contract: Contract, at: datetime | Period) -> bool:
    """Whether the contract runs at the instant `at`, or at any time in the period `at`."""
    if isinstance(at, Period):
        begun, after = contract.starts_at < at.end, at.start
    else:
        begun, after = contract.starts_at <= at, at
    return begun and (contract.ends_at is None or contract.ends_at > after)


def latest_in_force(contracts: Iterable[Contract], at: datetime | Period) -> Contract | None:
    """`contract_at` over contracts already loaded, by the same rank."""
    live = [c for c in contracts if in_force(c, at)]
    return max(live, key=contract_rank, default=None)


def contract_rank(contract: Contract) -> tuple[bool, datetime, int]:
    """Of several contracts in force, the highest ranked applies: AWS's wins."""
    return (contract.agreement_id is not None, contract.starts_at, contract.id or 0)
