"""The agreements sync against the Agreement Service stand-in, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, col, select

from core.agreements import sync_agreements
from core.customers.lookup import contract_at, find_customer
from core.errors import ExternalServiceError
from core.models import (
    Agreement,
    Contract,
    ContractKind,
    ContractRate,
    Customer,
    Dimension,
    Entitlement,
    Invoice,
    MarketplaceModel,
)
from tests.agreements.conftest import (
    ARN,
    END,
    PLANS,
    START,
    World,
    acme_agreement,
    apply_plans,
)

AMENDED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _entitled(session: Session, contract: Contract) -> dict[str, Decimal]:
    rows = session.exec(
        select(Dimension.marketplace_key, Entitlement.quantity)
        .join(Entitlement, col(Entitlement.dimension_id) == Dimension.id)
        .where(Entitlement.contract_id == contract.id)
    )
    return dict(rows.all())


def _sync(world: World, **kwargs: object):  # type: ignore[no-untyped-def]
    return sync_agreements(world.engine, world.client, now=world.clock.now, **kwargs)


def _acme_agreement(world: World, **terms: object) -> None:
    acme_agreement(world.aws, rates={"storage_tb": "0.5", "seats": "12"}, **terms)


def test_an_agreement_becomes_the_contract_in_force_and_aws_wins(world: World) -> None:
    _acme_agreement(world, recurring_fee="100")
    report = _sync(world)

    assert report.new == ["Acme Manufacturing (agmt-acme, contract)"]
    assert report.differences == [
        "Acme Manufacturing: storage: AWS agreement agmt-acme entitles 60, "
        "the plans file 50; AWS's applies"
    ]
    with Session(world.engine) as session:
        acme = find_customer(session, "Acme")
        assert (acme.marketplace_model, acme.license_arn) == (MarketplaceModel.LICENSE, ARN)
        # It was metered by CustomerIdentifier: the licence takes over at the next hour.
        assert acme.model_since == datetime(2026, 11, 10, 13, tzinfo=UTC)
        contract = contract_at(session, customer_id=acme.id or 0, at=world.clock.now)
        assert contract is not None and contract.agreement_id == "agmt-acme"
        assert (contract.kind, contract.starts_at, contract.ends_at) == (
            ContractKind.CONTRACT,
            START,
            END,
        )
        # AWS's quantity for storage; seats only the plans file states, so it is kept.
        assert _entitled(session, contract) == {"storage_tb": Decimal(60), "seats": Decimal(5)}
        prices = session.exec(
            select(ContractRate.price).where(ContractRate.contract_id == contract.id)
        ).all()
        assert sorted(prices) == [Decimal("0.5"), Decimal(12)]
        mirror = session.exec(select(Agreement)).one()
        assert (mirror.recurring_fee, mirror.license_status) == (Decimal(100), "PROVISIONED")


def test_an_unknown_buyer_becomes_a_customer_in_the_licence_model(world: World) -> None:
    other = "arn:aws:license-manager::444455556666:license:l-00000000000000000000000000000042"
    world.aws.add_agreement("agmt-new", account="444455556666", license_arn=other, start=START)
    report = _sync(world)

    assert report.new_customers == ["AWS account 444455556666"]
    assert report.new == ["AWS account 444455556666 (agmt-new, subscription)"]
    with Session(world.engine) as session:
        buyer = find_customer(session, "444455556666")
        assert (buyer.marketplace_model, buyer.license_arn) == (MarketplaceModel.LICENSE, other)
        contract = contract_at(session, customer_id=buyer.id or 0, at=world.clock.now)
        assert contract is not None and contract.kind == ContractKind.SUBSCRIPTION


def test_increments_ask_only_for_what_changed_and_read_every_page(world: World) -> None:
    for n in range(3):  # the stand-in pages by 2
        arn = f"arn:aws:license-manager::44445555000{n}:license:l-{n:032d}"
        world.aws.add_agreement(
            f"agmt-{n}", account=f"44445555000{n}", license_arn=arn, start=START
        )
    assert _sync(world).read == 3

    world.clock.now += timedelta(minutes=15)
    assert _sync(world).read == 0
    filters = world.aws.calls_to("SearchAgreements")[-1]["filters"]
    assert {"name": "AfterLastUpdateTime", "values": ["2026-11-10T12:00:00Z"]} in filters
    assert {"name": "PartyType", "values": ["Proposer"]} in filters


def test_an_amendment_takes_effect_from_its_hour(world: World) -> None:
    _acme_agreement(world)
    _sync(world)
    world.clock.now = AMENDED
    world.aws.amend("agmt-acme", entitlements={"storage_tb": 80}, rates={"storage_tb": "0.5"})
    report = _sync(world)

    assert report.amended == ["Acme Manufacturing (agmt-acme, contract)"]
    with Session(world.engine) as session:
        acme = find_customer(session, "Acme")
        before = contract_at(session, customer_id=acme.id or 0, at=AMENDED - timedelta(hours=1))
        after = contract_at(session, customer_id=acme.id or 0, at=AMENDED)
        assert before is not None and after is not None and before.id != after.id
        assert before.ends_at == after.starts_at == datetime(2026, 11, 20, 9, tzinfo=UTC)
        assert _entitled(session, before)["storage_tb"] == 60
        assert _entitled(session, after)["storage_tb"] == 80
        assert after.term_starts_at == START  # one term pool across the versions


def test_an_amendment_never_rewrites_an_invoiced_month(world: World) -> None:
    _acme_agreement(world)
    _sync(world)
    with Session(world.engine, expire_on_commit=False) as session:
        acme = find_customer(session, "Acme")
        month = Invoice(customer_id=acme.id or 0, month="2026-11", finalized_at=AMENDED)
        session.add(month)
        session.commit()
    world.clock.now = AMENDED
    world.aws.amend("agmt-acme", entitlements={"storage_tb": 80})
    _sync(world)

    with Session(world.engine) as session:
        november = contract_at(session, customer_id=acme.id or 0, at=AMENDED)
        december = contract_at(
            session, customer_id=acme.id or 0, at=datetime(2026, 12, 1, tzinfo=UTC)
        )
        assert november is not None and _entitled(session, november)["storage_tb"] == 60
        assert december is not None and _entitled(session, december)["storage_tb"] == 80


def test_an_unknown_dimension_is_reported_and_picked_up_once_the_plans_file_has_it(
    world: World,
) -> None:
    _acme_agreement(world)
    arn = "arn:aws:license-manager::444455556666:license:l-00000000000000000000000000000042"
    world.aws.add_agreement(
        "agmt-gpu", account="444455556666", license_arn=arn, start=START, entitlements={"gpu": 4}
    )
    report = _sync(world)
    assert report.problems == [
        "AWS account 444455556666 (agmt-gpu): dimension 'gpu' is not in the plans file "
        "(dimensions[].marketplace_key)"
    ]
    with Session(world.engine) as session:
        assert session.exec(select(Contract).where(Contract.agreement_id == "agmt-gpu")).all() == []

    world.clock.now += timedelta(minutes=15)
    apply_plans(
        world.engine,
        PLANS.replace(
            "      - key: seats", "      - key: gpu\n        name: GPU\n      - key: seats"
        ),
    )
    again = _sync(world)
    assert again.problems == [] and again.new == ["AWS account 444455556666 (agmt-gpu, contract)"]


def test_throttling_is_retried_and_a_refusal_says_what_to_allow(world: World) -> None:
    from core.agreements import AgreementClient

    _acme_agreement(world)
    world.aws.fail_next("ThrottlingException", calls=2)
    patient = AgreementClient(world.aws.boto_client(max_attempts=4))
    assert sync_agreements(world.engine, patient, now=world.clock.now).read == 1

    world.aws.fail_next("AccessDeniedException")
    with pytest.raises(ExternalServiceError, match="aws-marketplace:SearchAgreements"):
        _sync(world, full=True)


def test_the_stand_in_refuses_what_aws_would(world: World) -> None:
    import json
    import urllib.error
    import urllib.request

    body = json.dumps({"catalog": "AWSMarketplace", "bogus": 1}).encode()
    request = urllib.request.Request(
        world.aws.endpoint_url,
        data=body,
        headers={"X-Amz-Target": "AWSMPCommerceService_v20200301.SearchAgreements"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    answer = json.loads(refused.value.read())
    assert answer == {"__type": "ValidationException", "message": "unknown member bogus"}


def test_customers_without_agreements_keep_their_plans_file_contracts(world: World) -> None:
    _sync(world)
    with Session(world.engine) as session:
        acme = session.exec(select(Customer)).one()
        contract = contract_at(session, customer_id=acme.id or 0, at=world.clock.now)
        assert contract is not None and contract.agreement_id is None
