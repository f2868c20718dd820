"""The fulfillment URL: a buyer's browser POSTs a token to the real HTTP app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import Session, func, select

from bot.app import Services
from bot.server import build_web_app
from core.customers.lookup import contract_at, find_customer
from core.models import AuditEvent, Customer, Entitlement, MarketplaceModel
from core.settings import load_settings
from tests.agreements.conftest import START, World
from tests.fakes.marketplace import MarketplaceStandIn
from tests.fakes.slack_api import SlackApiStandIn

CODE = "8ahzwg4fkpyfh5sbpoew8tkkv"
NEW_ACCOUNT = "444455556666"
NEW_ARN = "arn:aws:license-manager::444455556666:license:l-00000000000000000000000000000042"
WELCOME = "https://seller.example/welcome"


@dataclass
class Site:
    http: TestClient
    slack: SlackApiStandIn
    marketplace: MarketplaceStandIn
    world: World

    async def register(self, token: str | None) -> tuple[int, str, str]:
        form = {} if token is None else {"x-amzn-marketplace-token": token}
        answer = await self.http.post("/marketplace/register", data=form, allow_redirects=False)
        return answer.status, answer.headers.get("Location", ""), await answer.text()

    def customers(self) -> int:
        with Session(self.world.engine) as session:
            return session.exec(select(func.count()).select_from(Customer)).one()


async def site_for(world: World, redirect: str | None) -> AsyncIterator[Site]:
    async with SlackApiStandIn() as slack, MarketplaceStandIn() as mp:
        env = {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": "secret",
            "SLACK_API_URL": slack.api_url,
            "METERBOT_CHANNEL": "C0BILLING",
            "METERBOT_DATABASE_URL": world.engine.url.render_as_string(hide_password=False),
        }
        if redirect:
            env["METERBOT_REGISTRATION_REDIRECT"] = redirect
        services = Services(load_settings(env))
        vars(services)["engine"] = world.engine
        vars(services)["registration"] = mp.boto_client()
        vars(services)["agreements"] = world.aws.boto_client()
        http = TestClient(TestServer(build_web_app(services, scheduler=False), host="127.0.0.1"))
        await http.start_server()
        try:
            yield Site(http, slack, mp, world)
        finally:
            await http.close()


@pytest.fixture
async def site(world: World) -> AsyncIterator[Site]:
    async for built in site_for(world, WELCOME):
        yield built


def issue(
    site: Site, token: str, *, account: str = NEW_ACCOUNT, arn: str = NEW_ARN, **kw: object
) -> None:
    site.marketplace.issue_token(
        token,
        product_code=CODE,
        customer_identifier=f"cid-{account}",
        aws_account_id=account,
        license_arn=arn,
        agreement_id="agmt-new",
        **kw,  # type: ignore[arg-type]
    )


async def test_a_new_subscriber_registers_and_their_agreement_syncs(site: Site) -> None:
    site.world.aws.add_agreement(
        "agmt-new",
        account=NEW_ACCOUNT,
        license_arn=NEW_ARN,
        start=START,
        end=datetime.now(UTC) + timedelta(days=365),  # registration runs on the real clock
        entitlements={"storage_tb": 100},
    )
    issue(site, "tok-new")

    status, location, _ = await site.register("tok-new")

    assert (status, location) == (303, f"{WELCOME}?customer=AWS+account+{NEW_ACCOUNT}")
    with Session(site.world.engine) as session:
        buyer = find_customer(session, NEW_ACCOUNT)
        assert (buyer.customer_identifier, buyer.license_arn) == (f"cid-{NEW_ACCOUNT}", NEW_ARN)
        assert buyer.marketplace_model == MarketplaceModel.LICENSE
        contract = contract_at(session, customer_id=buyer.id or 0, at=datetime.now(UTC))
        assert contract is not None and contract.agreement_id == "agmt-new"
        entitled = session.exec(select(Entitlement).where(Entitlement.contract_id == contract.id))
        assert [e.quantity for e in entitled] == [Decimal(100)]  # what AWS sold, at once
    post = (await site.slack.wait_for("chat.postMessage"))[0].body
    assert post["channel"] == "C0BILLING" and "New subscriber" in post["text"]


async def test_a_known_customer_is_linked_not_duplicated(site: Site) -> None:
    issue(
        site, "tok-acme", account="111122223333", arn=NEW_ARN.replace(NEW_ACCOUNT, "111122223333")
    )
    before = site.customers()
    status, _, _ = await site.register("tok-acme")
    assert status == 303 and site.customers() == before
    with Session(site.world.engine) as session:
        acme = find_customer(session, "Acme")
        assert acme.aws_account_id == "111122223333"


@pytest.mark.parametrize(
    ("token", "says"),
    [
        ("tok-unknown", "not valid"),
        ("tok-expired", "has expired"),
        ("", "No registration token arrived"),
        (None, "No registration token arrived"),
    ],
)
async def test_a_bad_token_gets_a_clear_page_and_changes_nothing(
    site: Site, token: str | None, says: str
) -> None:
    issue(site, "tok-expired", valid_for=timedelta(seconds=-1))
    before = site.customers()
    status, location, text = await site.register(token)
    assert (status, location) == (400, "") and says in text
    assert site.customers() == before
    assert site.slack.calls_to("chat.postMessage") == []


async def test_a_replayed_token_is_refused_and_changes_nothing(site: Site) -> None:
    issue(site, "tok-new")
    assert (await site.register("tok-new"))[0] == 303
    with Session(site.world.engine) as session:
        session.exec(select(Customer).where(Customer.aws_account_id == NEW_ACCOUNT)).one()

    status, _, text = await site.register("tok-new")

    assert status == 400 and "already used" in text
    with Session(site.world.engine) as session:
        query = select(AuditEvent).where(AuditEvent.action == "marketplace.register")
        audits = session.exec(query).all()
        assert len(audits) == 1
        assert all("tok-new" not in str(a.detail) + a.subject for a in audits)


async def test_without_a_redirect_the_buyer_sees_a_confirmation(world: World) -> None:
    async for site in site_for(world, None):
        issue(site, "tok-new")
        status, location, text = await site.register("tok-new")
        assert (status, location) == (200, "") and "You are registered" in text
