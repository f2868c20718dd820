"""Checks across a plans file's entries: references, uniqueness, tiers, contract dates.

Each problem is (location, message); the location is the path into the file,
`("plans", 1, "prices", "storage_tb", "tiers", 1, "up_to")`, which core.plans.file
renders with entry keys (`plans[gold]...`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from core.models import PriceModel
from core.plans.schema import CustomerSpec, PlanFile, PlanSpec, PriceSpecEntry

Loc = tuple[Any, ...]
Problem = tuple[Loc, str]


def cross_checks(plan_file: PlanFile) -> list[Problem]:
    return [
        *_unique_keys(plan_file),
        *_plan_problems(plan_file),
        *_customer_problems(plan_file),
    ]


def _duplicates(loc: Loc, field: str, values: list[str]) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value.lower() in seen:
            yield (*loc, i, field), f"{value!r} appears twice"
        seen.add(value.lower())


def _unique_keys(plan_file: PlanFile) -> Iterator[Problem]:
    yield from _duplicates(("products",), "key", [p.key for p in plan_file.products])
    for i, product in enumerate(plan_file.products):
        dims = [d.key for d in product.dimensions]
        yield from _duplicates(("products", i, "dimensions"), "key", dims)
    yield from _duplicates(("plans",), "key", [p.key for p in plan_file.plans])
    customers = plan_file.customers
    yield from _duplicates(("customers",), "name", [c.name for c in customers])
    sf_ids = [(i, c.salesforce_account_id) for i, c in enumerate(customers)]
    seen: set[str] = set()
    for i, sf_id in sf_ids:
        if sf_id and sf_id in seen:
            yield ("customers", i, "salesforce_account_id"), f"{sf_id!r} appears twice"
        seen.add(sf_id or "")
    owners: dict[str, str] = {}
    for i, customer in enumerate(customers):
        for j, usage_id in enumerate(customer.usage_ids):
            if usage_id in owners:
                where = ("customers", i, "usage_ids", j)
                yield where, f"{usage_id!r} already belongs to {owners[usage_id]}"
            owners.setdefault(usage_id, customer.name)


def _dimension_keys(plan_file: PlanFile) -> dict[str, set[str]]:
    return {p.key: {d.key for d in p.dimensions} for p in plan_file.products}


def _plan_problems(plan_file: PlanFile) -> Iterator[Problem]:
    dimensions = _dimension_keys(plan_file)
    for i, plan in enumerate(plan_file.plans):
        if plan.product not in dimensions:
            known = ", ".join(sorted(dimensions)) or "none in this file"
            yield ("plans", i, "product"), f"unknown product {plan.product!r} (known: {known})"
            continue
        for dim, price in plan.prices.items():
            loc = ("plans", i, "prices", dim)
            if dim not in dimensions[plan.product]:
                known = ", ".join(sorted(dimensions[plan.product]))
                yield loc, f"unknown dimension {dim!r} of product {plan.product} (known: {known})"
            yield from _price_problems(loc, price)


def _price_problems(loc: Loc, price: PriceSpecEntry) -> Iterator[Problem]:
    if price.model == PriceModel.PER_UNIT:
        if price.tiers is not None:
            yield (*loc, "tiers"), "tiers need model: graduated or model: volume"
        elif price.unit_price is None:
            yield (*loc, "unit_price"), "is required for a per_unit price"
        return
    if price.unit_price is not None:
        yield (*loc, "unit_price"), f"a {price.model} price sets unit_price in each tier"
    if not price.tiers:
        yield (*loc, "tiers"), f"a {price.model} price needs at least one tier"
        return
    yield from _tier_problems((*loc, "tiers"), price)


def _tier_problems(loc: Loc, price: PriceSpecEntry) -> Iterator[Problem]:
    tiers = price.tiers or []
    previous = None
    for i, tier in enumerate(tiers):
        last = i == len(tiers) - 1
        if tier.up_to is None and not last:
            yield (*loc, i, "up_to"), "only the last tier may leave up_to out"
        elif tier.up_to is not None and last:
            yield (*loc, i, "up_to"), "the last tier must leave up_to out (it prices all above)"
        elif tier.up_to is not None and previous is not None and tier.up_to <= previous:
            yield (*loc, i, "up_to"), f"must be greater than {previous}"
        previous = tier.up_to if tier.up_to is not None else previous


def _customer_problems(plan_file: PlanFile) -> Iterator[Problem]:
    plans = {p.key: p for p in plan_file.plans}
    dimensions = _dimension_keys(plan_file)
    for i, customer in enumerate(plan_file.customers):
        if customer.product is not None and customer.product not in dimensions:
            yield ("customers", i, "product"), f"unknown product {customer.product!r}"
        yield from _contract_problems(("customers", i), customer, plans, dimensions)


def _contract_problems(
    loc: Loc, customer: CustomerSpec, plans: dict[str, PlanSpec], dimensions: dict[str, set[str]]
) -> Iterator[Problem]:
    product = customer.product
    for j, contract in enumerate(customer.contracts):
        here = (*loc, "contracts", j)
        plan = plans.get(contract.plan)
        if plan is None:
            known = ", ".join(sorted(plans)) or "none in this file"
            yield (*here, "plan"), f"unknown plan {contract.plan!r} (known: {known})"
            continue
        if product is not None and plan.product != product:
            yield (*here, "plan"), f"plan {plan.key} is for {plan.product}, not {product}"
        product = product or plan.product
        if contract.ends is not None and contract.ends <= contract.starts:
            yield (*here, "ends"), f"must be after starts ({contract.starts})"
        for dim in contract.entitlements:
            if dim not in dimensions.get(plan.product, set()):
                yield (*here, "entitlements", dim), f"unknown dimension {dim!r} of {plan.product}"
        for k, other in enumerate(customer.contracts[:j]):
            if other.starts < (contract.ends or _FAR) and contract.starts < (other.ends or _FAR):
                yield (*here, "starts"), f"overlaps contracts[{k}] (starts {other.starts})"


_FAR = date.max
