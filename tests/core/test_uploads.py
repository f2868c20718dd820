"""Shared usage files in core: a dry run writes nothing and leaves the file to send for
real, a send refused on one row writes no row (on SQLite too) and can be reviewed again,
and a file is sent only once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.access import Admins
from core.db import session_scope
from core.errors import InvalidInput, NotAllowed
from core.marketplace.client import DryRunClient
from core.models import Customer, MeteringRecord, UsageUpload
from core.uploads.service import DuplicateUpload, SharedFile, preview_upload, send_upload
from tests.fakes.marketplace import MarketplaceStandIn
from tests.marketplace.conftest import fast_client
from tests.slack.world import PRODUCT_CODE, seed

NOW = datetime.now(UTC).replace(microsecond=0)
SHARED = SharedFile("F1", "fix.csv", "UADMIN", "D1", "1.1", "https://x/fix.csv")
DATA = (
    "timestamp,customer,dimension,quantity\n"
    f"{NOW - timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ},usage-0,api_calls,5\n"
    f"{NOW - timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ},usage-1,api_calls,6\n"
).encode()


ADMINS = Admins(frozenset({"UADMIN"}))


def test_a_non_admin_cannot_send_an_upload_and_it_stays_previewed(engine: Engine) -> None:
    """The admin rule is send_upload's own, so no entry point can skip it."""
    seed(engine, now=NOW)
    upload_id = _preview(engine)
    with pytest.raises(NotAllowed, match="only meterbot admins can send usage"):
        send_upload(
            engine, upload_id=upload_id, actor="UVISITOR", admins=ADMINS, client=DryRunClient(),
            now=NOW,
        )  # fmt: skip
    assert _state(engine) == "previewed" and _ledger(engine) == []


def _preview(engine: Engine) -> int:
    with session_scope(engine) as session:
        upload_id = preview_upload(session, shared=SHARED, data=DATA, now=NOW).upload_id
    assert upload_id is not None
    return upload_id


def _state(engine: Engine) -> str:
    with Session(engine) as session:
        return session.exec(select(UsageUpload)).one().state


async def test_an_upload_is_sent_once_and_never_after_a_dry_run_only(engine: Engine) -> None:
    seed(engine, now=NOW)
    upload_id = _preview(engine)
    send = dict(upload_id=upload_id, actor="UADMIN", admins=ADMINS, now=NOW)
    _, dry = send_upload(engine, client=DryRunClient(), **send)
    assert dry.dry_run and _state(engine) == "previewed" and _ledger(engine) == []

    _set_identifier(engine, "Globex", None)  # the second customer loses its Marketplace id
    async with MarketplaceStandIn() as marketplace:
        marketplace.add_product(PRODUCT_CODE, ["storage_tb", "api_calls"])
        marketplace.subscribe(PRODUCT_CODE, "cust-acme")
        marketplace.subscribe(PRODUCT_CODE, "cust-globex")
        with pytest.raises(InvalidInput, match="Globex has no CustomerIdentifier"):
            send_upload(engine, client=fast_client(marketplace), **send)
        assert _state(engine) == "previewed" and _ledger(engine) == []  # not even Acme's row
        _set_identifier(engine, "Globex", "cust-globex")
        _, report = send_upload(engine, client=fast_client(marketplace), **send)
        assert report.counts == {"accepted": 2} and _state(engine) == "sent"
        with pytest.raises(InvalidInput, match="already sent"):
            send_upload(engine, client=fast_client(marketplace), **send)
        assert len(marketplace.accepted) == 2
    with session_scope(engine) as session, pytest.raises(DuplicateUpload, match=r"fix\.csv"):
        preview_upload(session, shared=SHARED, data=DATA, now=NOW)
    assert len(_ledger(engine)) == 2


def _set_identifier(engine: Engine, name: str, identifier: str | None) -> None:
    with session_scope(engine) as session:
        customer = session.exec(select(Customer).where(Customer.name == name)).one()
        customer.customer_identifier = identifier


def _ledger(engine: Engine) -> list[MeteringRecord]:
    with Session(engine) as session:
        return list(session.exec(select(MeteringRecord)).all())
