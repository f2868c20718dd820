"""Usage entered by hand: what may be entered for chosen contracts, and checking it.

The checks are the ones a person needs next to the field they typed in: a dimension the
contract does not have, and core.quantities.check_manual (not a number, negative,
a fraction for a whole-unit dimension, above the plausible maximum, beyond what
Marketplace takes), the same check the sending service makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from core.customers.lookup import contract_at, in_force
from core.errors import InvalidInput, NotFound
from core.models import Contract, Customer, Dimension, Plan
from core.quantities import check_manual, parse_manual


@dataclass(frozen=True)
class FormDimension:
    id: int
    key: str
    name: str
    unit: str
    whole_units: bool
    max_quantity: Decimal | None


@dataclass(frozen=True)
class FormContract:
    contract_id: int
    customer_id: int
    customer: str
    plan: str
    dimensions: list[FormDimension]


@dataclass(frozen=True)
class Entry:
    """A quantity entered by hand for a customer's dimension, as checked and as sent."""

    customer_id: int
    dimension_id: int
    quantity: Decimal
    hour: datetime | None = None  # the hour the usage belongs to (a shared file); None: now


Key = tuple[int, int]  # (customer id, dimension id)


def form_for_contracts(
    session: Session, *, contract_ids: list[int], now: datetime
) -> list[FormContract]:
    """The chosen contracts (still active) with their product's dimensions, by customer name."""
    rows = session.exec(
        select(Contract, Customer, Plan)
        .join(Customer, col(Customer.id) == Contract.customer_id)
        .join(Plan, col(Plan.id) == Contract.plan_id)
        .where(col(Contract.id).in_(contract_ids))
        .order_by(col(Customer.name))
    ).all()
    forms = [_form(session, c, cust, plan) for c, cust, plan in rows if in_force(c, now)]
    if not forms:
        raise NotFound("none of the chosen contracts is active any more")
    return forms


def form_for_customer(session: Session, *, customer: Customer, now: datetime) -> FormContract:
    assert customer.id is not None
    contract = contract_at(session, customer_id=customer.id, at=now)
    if contract is None:
        raise NotFound(f"{customer.name} has no active contract, so no usage can be entered")
    plan = session.get(Plan, contract.plan_id)
    assert plan is not None
    return _form(session, contract, customer, plan)


def _form(session: Session, contract: Contract, customer: Customer, plan: Plan) -> FormContract:
    assert contract.id is not None and customer.id is not None
    dims = session.exec(
        select(Dimension).where(Dimension.product_id == plan.product_id).order_by(col(Dimension.id))
    ).all()
    fields = [
        FormDimension(d.id, d.key, d.name, d.unit, d.whole_units, d.max_quantity)
        for d in dims
        if d.id is not None
    ]
    return FormContract(contract.id, customer.id, customer.name, plan.name, fields)


def check_quantity(text: str | None, dim: FormDimension | None) -> Decimal | str | None:
    """The quantity typed, an error message for the field, or None when left empty."""
    if text is None or not text.strip():
        return None
    if dim is None:
        return "this dimension is not part of the customer's plan any more"
    try:
        return check_manual(parse_manual(text), dim)
    except InvalidInput as exc:
        return str(exc)


def check_entries(
    session: Session, *, typed: dict[Key, str | None], now: datetime
) -> tuple[list[Entry], dict[Key, str]]:
    """Entries to send and errors by field, against the customers' contracts at `now`."""
    allowed: dict[Key, FormDimension] = {}
    for customer_id in {cid for cid, _ in typed}:
        customer = session.get(Customer, customer_id)
        if customer is None:
            continue
        try:
            form = form_for_customer(session, customer=customer, now=now)
        except NotFound:
            continue
        allowed |= {(customer_id, d.id): d for d in form.dimensions}
    entries: list[Entry] = []
    errors: dict[Key, str] = {}
    for key, text in typed.items():
        result = check_quantity(text, allowed.get(key))
        if isinstance(result, str):
            errors[key] = result
        elif result is not None:
            entries.append(Entry(key[0], key[1], result))
    return entries, errors
