"""Submission passes against the local Marketplace stand-in, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from core.access import Admins
from core.errors import InvalidInput, NotAllowed
from core.marketplace.client import MeteringClient
from core.marketplace.ledger import query_ledger
from core.marketplace.submit import retry_records, submit_due
from core.models import AuditEvent, Customer, MarketplaceModel, Product
from core.notifier import RETRY_ACTION, Severity
from tests.fakes.marketplace import MarketplaceStandIn
from tests.marketplace.conftest import ACCOUNT, ARN, CODE, START, fast_client

ADMINS = Admins(frozenset({"U0ADMIN", "U0123", "U1"}))  # who may send, retry and change rules here

H1 = START + timedelta(hours=1)  # 2026-11-22 01:00
H2 = START + timedelta(hours=2)
D = Decimal


def run(world, mp, clock, now, client=None, **kwargs):
    clock.now = now
    return submit_due(world.engine, client=client or fast_client(mp), now=now, **kwargs)


def ledger(world, **filters):
    with Session(world.engine) as session:
        return query_ledger(session, **filters)


def row(world, customer, dimension, hour):
    lines = [
        line
        for line in ledger(world)
        if (line.customer, line.dimension, line.hour) == (customer, dimension, hour)
    ]
    assert len(lines) == 1, lines
    return lines[0]


def billed(mp, customer, dimension):
    return {h: q for (_, c, d, h), q in mp.billed().items() if (c, d) == (customer, dimension)}


def test_due_usage_is_billed_in_units_with_zero_heartbeats(world, marketplace, clock):
    world.usage(world.alpha, world.storage, H1, "1000", "500")  # GB -> 1.5 TB
    world.usage(world.beta, world.seats, H1, "3", "7")  # peak 7
    report = run(world, marketplace, clock, H2 + timedelta(minutes=5))
    assert billed(marketplace, "cust-alpha", "storage_tb") == {H1: D("1.5")}
    assert billed(marketplace, ACCOUNT, "seats") == {H1: D(7)}
    assert billed(marketplace, "cust-alpha", "seats") == {H1: D(0)}  # heartbeat
    assert billed(marketplace, ACCOUNT, "storage_tb") == {H1: D(0)}
    line = row(world, "Alpha", "storage", H1)
    assert (line.status, line.source, line.attempts) == ("accepted", "scheduled", 1)
    [sent] = [
        b for b in marketplace.accepted if (b.customer, b.dimension) == ("cust-alpha", "storage_tb")
    ]
    assert line.metering_record_id == sent.record_id  # the id AWS gave this very record
    assert report.counts == {"accepted": 4} and report.heartbeats == 2
    assert report.message().severity is Severity.SUCCESS


def test_a_dropped_answer_is_resent_identically_and_billed_once(world, marketplace, clock):
    world.usage(world.alpha, world.storage, H1, "1500")
    marketplace.drop_after_processing(10)
    once = fast_client(marketplace, max_attempts=1)
    first = run(world, marketplace, clock, H2 + timedelta(minutes=5), client=once)
    assert first.counts == {"sent": 4}
    assert first.message().severity is Severity.ERROR
    ids = {b.record_id for b in marketplace.accepted}
    second = run(world, marketplace, clock, H2 + timedelta(minutes=6))
    assert second.counts == {"accepted": 4}
    assert {line.metering_record_id for line in ledger(world)} == ids
    assert len(marketplace.accepted) == 4  # each record billed once
    assert billed(marketplace, "cust-alpha", "storage_tb") == {H1: D("1.5")}


class CrashAfterCall:
    """A sender whose process dies after Marketplace answered, before the ledger update."""

    dry_run = False

    def __init__(self, real):
        self.real = real

    def send_waves(self, waves, on_results):
        self.real.send_waves(waves, lambda results: None)
        raise KeyboardInterrupt("killed")


def test_a_crash_before_the_ledger_update_causes_no_double_billing(world, marketplace, clock):
    world.usage(world.alpha, world.storage, H1, "1500")
    with pytest.raises(KeyboardInterrupt):
        run(world, marketplace, clock, H2 + timedelta(minutes=5),
            client=CrashAfterCall(fast_client(marketplace)))  # fmt: skip
    assert {line.status for line in ledger(world)} == {"sent"}
    still_leased = run(world, marketplace, clock, H2 + timedelta(minutes=6))
    assert still_leased.outcomes == []  # another sender's lease is respected
    assert still_leased.message().summary == (
        "4 records held by a pass that stopped; resent identically after 02:15 UTC"
    )
    assert still_leased.message().severity is Severity.WARNING
    rerun = run(world, marketplace, clock, H2 + timedelta(minutes=16))
    assert rerun.counts == {"accepted": 4}
    assert len(marketplace.accepted) == 4
    assert len(marketplace.requests) == 4  # two calls per model, each made twice


def test_late_usage_lands_in_the_next_hour(world, marketplace, clock):
    world.usage(world.alpha, world.storage, H1, "1500")
    run(world, marketplace, clock, H2 + timedelta(minutes=5))
    world.usage(world.alpha, world.storage, H1, "500")  # arrives after H1 was sent
    world.usage(world.alpha, world.storage, H2, "200")
    report = run(world, marketplace, clock, H2 + timedelta(hours=1, minutes=5))
    assert billed(marketplace, "cust-alpha", "storage_tb") == {H1: D("1.5"), H2: D("0.7")}
    assert row(world, "Alpha", "storage", H2).note == "includes late usage of earlier hours"
    assert any("late usage" in line for line in report.late)
    assert report.message().severity is Severity.WARNING


def test_fractions_carry_into_the_next_record(world, marketplace, clock):
    world.usage(world.alpha, world.seats, H1, "2.5")  # whole units: 2, carry 0.5
    world.usage(world.alpha, world.seats, H2, "2.5")  # 2.5 + 0.5 -> 3
    world.usage(world.alpha, world.storage, H1, "0.0004")  # 0.0000004 TB: below 6 places
    world.usage(world.alpha, world.storage, H2, "0.0007")  # 0.0000011 -> 0.000001
    run(world, marketplace, clock, H2 + timedelta(hours=1, minutes=5))
    assert billed(marketplace, "cust-alpha", "seats") == {H1: D(2), H2: D(3)}
    assert billed(marketplace, "cust-alpha", "storage_tb") == {H2: D("0.000001")}


def test_only_usage_beyond_the_entitlement_is_metered(world, marketplace, clock):
    world.entitle(world.alpha, world.storage, "2")  # 2 TB a month, a pool
    with Session(world.engine) as session:  # the same contract also entitles 5 seats
        from core.models import Contract, Entitlement

        contract = session.exec(select(Contract)).one()
        session.add(Entitlement(contract_id=contract.id, dimension_id=world.seats.id, quantity=5))
        session.commit()
    world.usage(world.alpha, world.storage, H1, "1500")
    world.usage(world.alpha, world.storage, H2, "1500")
    world.usage(world.alpha, world.seats, H1, "7")
    world.usage(world.alpha, world.seats, H2, "4")
    run(world, marketplace, clock, H2 + timedelta(hours=1, minutes=5))
    assert billed(marketplace, "cust-alpha", "storage_tb") == {H2: D(1)}  # 3 TB - 2
    assert billed(marketplace, "cust-alpha", "seats") == {H1: D(2), H2: D(0)}


def add_customer(world, name, identifier):
    with Session(world.engine, expire_on_commit=False) as session:
        customer = Customer(
            name=name,
            product_id=world.product.id,
            marketplace_model=MarketplaceModel.CUSTOMER_IDENTIFIER,
            customer_identifier=identifier,
        )
        session.add(customer)
        session.commit()
        return customer


def test_a_customer_not_subscribed_is_reported_with_a_retry(world, marketplace, clock):
    gamma = add_customer(world, "Gamma", "cust-gamma")  # unknown to Marketplace
    world.usage(gamma, world.storage, H1, "1000")
    report = run(world, marketplace, clock, H2 + timedelta(minutes=5))
    line = row(world, "Gamma", "storage", H1)
    assert line.status == "not_subscribed" and "CustomerNotSubscribed" in line.last_error
    message = report.message()
    assert message.severity is Severity.WARNING
    assert any("Gamma" in text and "not_subscribed" in text for text in message.lines)
    (action,) = message.actions
    assert action.action_id == RETRY_ACTION and action.admin_only
    assert str(line.id) in action.value.split(",")


def test_a_duplicate_record_is_reported_loudly_and_not_billed(world, marketplace, clock):
    clock.now = H2
    marketplace.boto_client().batch_meter_usage(
        ProductCode=CODE,
        UsageRecords=[{"CustomerIdentifier": "cust-alpha", "Dimension": "storage_tb",
                       "Timestamp": H1, "QuantityAsDecimal": "9"}],
    )  # fmt: skip
    world.usage(world.alpha, world.storage, H1, "1500")
    report = run(world, marketplace, clock, H2 + timedelta(minutes=5))
    line = row(world, "Alpha", "storage", H1)
    assert line.status == "duplicate" and "NOT billed" in line.last_error
    assert billed(marketplace, "cust-alpha", "storage_tb") == {H1: D(9)}
    assert report.message().severity is Severity.ERROR


def test_throttling_and_unprocessed_records_end_accepted(world, marketplace, clock):
    marketplace.throttle_above = 2
    marketplace.leave_unprocessed("cust-alpha", "storage_tb", times=2)
    world.usage(world.alpha, world.storage, H1, "1500")
    client = fast_client(marketplace, rate=8, base_delay=0.1, max_delay=0.6, max_attempts=10)
    report = run(world, marketplace, clock, H2 + timedelta(minutes=5), client=client)
    assert report.counts == {"accepted": 4}
    assert report.throttles == marketplace.throttled > 0
    assert billed(marketplace, "cust-alpha", "storage_tb") == {H1: D("1.5")}


def test_a_record_whose_hour_closed_unsent_is_moved_forward(world, marketplace, clock):
    world.usage(world.alpha, world.storage, H1, "1500")
    marketplace.throttle_above = 0  # every call throttled: nothing processed
    stuck = run(world, marketplace, clock, H2 + timedelta(minutes=5),
                client=fast_client(marketplace, max_attempts=2))  # fmt: skip
    assert stuck.counts == {"pending": 4}
    marketplace.throttle_above = None
    later = H2 + timedelta(hours=24, minutes=5)
    report = run(world, marketplace, clock, later)
    assert row(world, "Alpha", "storage", H1).status == "moved"
    first_open = H2 + timedelta(hours=1)
    assert billed(marketplace, "cust-alpha", "storage_tb")[first_open] == D("1.5")
    assert any("Alpha storage 2026-11-22 01:00Z" in line for line in report.moved)


def test_an_unknown_outcome_that_ages_out_is_failed_for_reconciliation(world, marketplace, clock):
    world.usage(world.alpha, world.storage, H1, "1500")
    marketplace.drop_after_processing(10)
    run(world, marketplace, clock, H2 + timedelta(minutes=5),
        client=fast_client(marketplace, max_attempts=1))  # fmt: skip
    run(world, marketplace, clock, H2 + timedelta(hours=24, minutes=5))
    line = row(world, "Alpha", "storage", H1)
    assert line.status == "failed" and "CloudTrail" in line.last_error
    assert sum(billed(marketplace, "cust-alpha", "storage_tb").values()) == D("1.5")


@pytest.mark.parametrize(("hours_after", "carried"), [(5, False), (7, True)])
def test_month_end_cut_off(world, marketplace, clock, hours_after, carried):
    nov30 = datetime(2026, 11, 30, 23, tzinfo=UTC)
    dec1 = datetime(2026, 12, 1, tzinfo=UTC)
    run(world, marketplace, clock, nov30 - timedelta(minutes=55))  # metering is running
    world.usage(world.alpha, world.storage, nov30, "1500")
    run(world, marketplace, clock, dec1 + timedelta(hours=hours_after, minutes=30))
    storage = billed(marketplace, "cust-alpha", "storage_tb")
    if carried:  # after 06:00 November is closed: the quantity opens December instead
        assert nov30 not in storage and storage[dec1] == D("1.5")
        assert row(world, "Alpha", "storage", dec1).quantity == D("1.5")
    else:
        assert storage[nov30] == D("1.5")
    assert sum(storage.values()) == D("1.5")


def test_a_bad_product_code_fails_with_the_fix_and_retry_sends_it(world, marketplace, clock):
    from core.marketplace.submit import retry_records

    with Session(world.engine) as session:
        product = session.get(Product, world.product.id)
        product.marketplace_product_code = "prod-typo"
        session.add(product)
        session.commit()
    world.usage(world.alpha, world.storage, H1, "1500")
    report = run(world, marketplace, clock, H2 + timedelta(minutes=5))
    failed = ledger(world, status="failed")
    assert {line.customer for line in failed} == {"Alpha"}
    assert "marketplace_product_code" in failed[0].last_error
    assert row(world, "Beta", "seats", H1).status == "accepted"  # licence model unaffected
    assert report.message().severity is Severity.ERROR
    with Session(world.engine) as session:
        product = session.get(Product, world.product.id)
        product.marketplace_product_code = CODE
        session.add(product)
        session.commit()
    clock.now = H2 + timedelta(minutes=20)
    retried = retry_records(
        world.engine, record_ids=[line.id for line in failed], actor="U0ADMIN", admins=ADMINS,
        client=fast_client(marketplace), now=clock.now,
    )  # fmt: skip
    assert retried.counts == {"accepted": 2}
    assert billed(marketplace, "cust-alpha", "storage_tb") == {H1: D("1.5")}


def test_dry_run_sends_nothing_and_changes_nothing(world, marketplace, clock):
    world.usage(world.alpha, world.storage, H1, "1500")
    report = run(world, marketplace, clock, H2 + timedelta(minutes=5), dry_run=True)
    assert report.dry_run and report.counts == {"dry_run": 4} and report.calls == 2
    assert "would send 4 records" in report.as_text()
    assert marketplace.calls == 0
    assert ledger(world) == []


def test_a_customer_switches_model_on_an_hour_boundary(world, marketplace, clock):
    arn = ARN.replace("0123456789abcdef", "00000000000alpha")
    marketplace.add_license(CODE, arn, "333344445555")
    with Session(world.engine) as session:
        alpha = session.get(Customer, world.alpha.id)
        alpha.aws_account_id, alpha.license_arn = "333344445555", arn
        alpha.marketplace_model, alpha.model_since = MarketplaceModel.LICENSE, H2
        session.add(alpha)
        session.commit()
    world.usage(world.alpha, world.storage, H1, "1000")
    world.usage(world.alpha, world.storage, H2, "2000")
    run(world, marketplace, clock, H2 + timedelta(hours=1, minutes=5))
    assert billed(marketplace, "cust-alpha", "storage_tb") == {H1: D(1)}
    assert billed(marketplace, "333344445555", "storage_tb") == {H2: D(2)}
    by_hour = {(c, h) for (_, c, _, h) in marketplace.billed()}
    assert ("cust-alpha", H2) not in by_hour and ("333344445555", H1) not in by_hour


def test_send_manual_records_who_sent_it_and_uses_the_next_open_hour(world, marketplace, clock):
    from core.marketplace.submit import send_manual
    from core.usage.manual_entry import Entry

    clock.now = H2 + timedelta(minutes=10)
    entry = Entry(world.alpha.id, world.storage.id, D("2.5"))
    first = send_manual(world.engine, entries=[entry], actor="U0123", admins=ADMINS,
                        client=fast_client(marketplace), now=clock.now)  # fmt: skip
    assert first.counts == {"accepted": 1}
    line = row(world, "Alpha", "storage", H2)
    assert (line.source, line.status) == ("U0123", "accepted")
    second = send_manual(world.engine, entries=[entry], actor="U0123", admins=ADMINS,
                         client=fast_client(marketplace), now=clock.now)  # fmt: skip
    (queued,) = second.outcomes
    assert queued.status == "pending" and "03:00Z" in queued.note
    assert "already sent" in second.as_text()
    run(world, marketplace, clock, H2 + timedelta(hours=1, minutes=5))
    assert billed(marketplace, "cust-alpha", "storage_tb")[H2 + timedelta(hours=1)] == D("2.5")
    with Session(world.engine) as session:
        sends = select(AuditEvent).where(AuditEvent.action != "plans.apply")  # not the world's
        events = session.exec(sends).all()
    assert [e.actor for e in events] == ["U0123", "U0123"]


def test_a_call_that_may_have_been_billed_stays_unknown_after_later_throttles(
    world, marketplace, clock
):
    """The first call is processed but its answer lost; every retry is then throttled.
    The record may be billed, so it must stay `sent` (resent identically), never be
    taken as unsent and carried into a later hour when its own hour closes."""
    world.usage(world.alpha, world.storage, H1, "1500")
    world.usage(world.beta, world.seats, H1, "7")
    marketplace.script("drop", "throttle", "throttle")
    client = fast_client(marketplace, max_attempts=3, workers=1)
    first = run(world, marketplace, clock, H2 + timedelta(minutes=5), client=client)
    assert first.counts.get("pending", 0) == 0 and first.counts["sent"] == 2
    run(world, marketplace, clock, H2 + timedelta(hours=24, minutes=5))
    assert sum(billed(marketplace, "cust-alpha", "storage_tb").values()) == D("1.5")
    assert sum(billed(marketplace, ACCOUNT, "seats").values()) == D(7)
    assert "failed" in {line.status for line in ledger(world) if line.hour == H1}


def test_usage_that_never_reached_marketplace_is_carried_after_an_outage(world, marketplace, clock):
    """Marketplace unreachable (connection refused) for over a day: nothing was sent, so
    the closed hour's usage opens the first hour still open rather than waiting for a
    person to look for it in CloudTrail."""
    world.usage(world.alpha, world.storage, H1, "1500")
    with MarketplaceStandIn() as gone:
        unreachable = MeteringClient(gone.boto_client(), max_attempts=2, base_delay=0.001)
    outage = run(world, marketplace, clock, H2 + timedelta(minutes=5), client=unreachable)
    assert outage.counts == {"pending": 4}
    run(world, marketplace, clock, H2 + timedelta(hours=24, minutes=5))
    assert row(world, "Alpha", "storage", H1).status == "moved"
    assert sum(billed(marketplace, "cust-alpha", "storage_tb").values()) == D("1.5")


def test_an_average_that_does_not_divide_evenly_is_never_taken_for_late_usage(
    world, marketplace, clock
):
    """1, 1 and 2 nodes average 4/3: a repeating decimal. Read back from the database it
    must compare equal to what the next pass reads from the rollups (PostgreSQL keeps
    12 places), or every pass finds phantom late usage and the carry creeps."""
    with Session(world.engine, expire_on_commit=False) as session:
        from core.models import Dimension

        nodes = Dimension(product_id=world.product.id, key="nodes", marketplace_key="nodes",
                          name="Nodes", aggregation="avg")  # fmt: skip
        session.add(nodes)
        session.commit()
    marketplace.add_product(CODE, ["storage_tb", "seats", "archive_tb_month", "nodes"])
    marketplace.subscribe(CODE, "cust-alpha")
    world.usage(world.alpha, nodes, H1, "1", "1", "2")
    run(world, marketplace, clock, H2 + timedelta(minutes=5))
    again = run(world, marketplace, clock, H2 + timedelta(minutes=35))
    assert again.late == [] and again.message().severity is Severity.SUCCESS
    assert billed(marketplace, "cust-alpha", "nodes") == {H1: D("1.333333")}


def test_a_malformed_account_id_fails_only_its_own_records(world, marketplace, clock):
    """Marketplace refuses a whole call for one CustomerAWSAccountId that is not digits;
    that must not hold every other licence customer's usage with it."""
    arn = ARN.replace("0123456789abcdef", "0000000000delta0")
    marketplace.add_license(CODE, arn, "444455556666")
    with Session(world.engine) as session:
        session.add(Customer(name="Delta", product_id=world.product.id, license_arn=arn,
                             marketplace_model=MarketplaceModel.LICENSE,
                             aws_account_id="4444-555-666"))  # fmt: skip
        session.commit()
    world.usage(world.beta, world.seats, H1, "7")
    run(world, marketplace, clock, H2 + timedelta(minutes=5))
    assert billed(marketplace, ACCOUNT, "seats") == {H1: D(7)}
    delta = row(world, "Delta", "seats", H1)
    assert delta.status == "failed" and "AWS_Account_Id__c" in delta.last_error


def test_a_not_subscribed_record_is_sent_under_corrected_ids_on_retry(world, marketplace, clock):
    gamma = add_customer(world, "Gamma", "cust-gamma-typo")  # a typo in the id
    world.usage(gamma, world.storage, H1, "1000")
    run(world, marketplace, clock, H2 + timedelta(minutes=5))
    line = row(world, "Gamma", "storage", H1)
    assert line.status == "not_subscribed"
    marketplace.subscribe(CODE, "cust-gamma")
    with Session(world.engine) as session:
        customer = session.get(Customer, gamma.id)
        customer.customer_identifier = "cust-gamma"
        session.add(customer)
        session.commit()
    clock.now = H2 + timedelta(minutes=20)
    report = retry_records(
        world.engine, record_ids=[line.id], actor="U1", admins=ADMINS,
        client=fast_client(marketplace), now=clock.now,
    )  # fmt: skip
    assert [o.status for o in report.outcomes] == ["accepted"]
    assert billed(marketplace, "cust-gamma", "storage_tb") == {H1: D(1)}


def test_a_pass_without_aws_credentials_says_nothing_was_sent(
    world, marketplace, clock, monkeypatch, tmp_path
):
    import boto3

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # A session of its own: boto3's default one may hold credentials from earlier tests.
    anonymous = boto3.session.Session().client(
        "meteringmarketplace", endpoint_url=marketplace.endpoint_url, region_name="us-east-1"
    )
    world.usage(world.alpha, world.storage, H1, "1500")

    report = run(world, marketplace, clock, H2 + timedelta(minutes=5), client=MeteringClient(
        anonymous, rate=1000, base_delay=0.001, max_delay=0.002
    ))  # fmt: skip

    assert report.retries == 0  # no credentials is not retried
    assert marketplace.requests == []
    assert report.unsent and report.problems == report.unsent
    assert "no AWS credentials" in report.unsent[0].error
    assert report.message().summary.startswith("could not send")
    assert report.message().severity is Severity.ERROR
    assert row(world, "Alpha", "storage", H1).status == "pending"  # sent by the next pass


def test_send_manual_refuses_what_the_form_refuses_and_writes_nothing(world, marketplace, clock):
    """The sending service applies the entry form's own check, so a quantity that reaches
    it some other way is refused with the same words, and nothing lands on the ledger."""
    from core.marketplace.submit import send_manual
    from core.usage.manual_entry import Entry

    clock.now = H2 + timedelta(minutes=10)
    entry = Entry(world.alpha.id, world.storage.id, D("-1"))
    with pytest.raises(InvalidInput, match="storage for Alpha: usage cannot be negative"):
        send_manual(world.engine, entries=[entry], actor="U0123", admins=ADMINS,
                    client=fast_client(marketplace), now=clock.now)  # fmt: skip
    assert ledger(world) == []
    assert marketplace.calls == 0


def test_send_manual_with_hours_uses_each_hour_a_later_one_or_the_current_one(
    world, marketplace, clock
):
    from core.marketplace.submit import send_manual
    from core.usage.manual_entry import Entry

    now = START + timedelta(days=1, hours=5, minutes=10)  # 2026-11-23 05:10
    clock.now = now
    send = dict(
        actor="U0123",
        admins=ADMINS,
        client=fast_client(marketplace),
        now=now,
        source="upload:a.csv",
    )
    h3 = START + timedelta(days=1, hours=3)
    first = send_manual(world.engine, entries=[Entry(world.alpha.id, world.storage.id,
                                                           D("1"), h3)], **send)  # fmt: skip
    assert first.counts == {"accepted": 1}
    entries = [
        Entry(world.alpha.id, world.storage.id, D("2"), h3 + timedelta(minutes=30)),
        Entry(world.alpha.id, world.seats.id, D("4"), START),  # 29 hours old
    ]
    second = send_manual(world.engine, entries=entries, **send)
    assert second.counts == {"accepted": 2}
    assert billed(marketplace, "cust-alpha", "storage_tb") == {
        h3: D(1),
        h3 + timedelta(hours=1): D(2),
    }
    assert billed(marketplace, "cust-alpha", "seats") == {START + timedelta(days=1, hours=5): D(4)}
    moved = row(world, "Alpha", "storage", h3 + timedelta(hours=1))
    assert moved.source == "upload:a.csv" and "already sent" in (moved.note or "")
    carried = row(world, "Alpha", "seats", START + timedelta(days=1, hours=5))
    assert "older than Marketplace accepts" in (carried.note or "")


def test_the_sending_services_refuse_a_non_admin_and_write_nothing(world, marketplace, clock):
    """The admin rule lives in the services, so any entry point (not only Slack) that
    hands them someone outside METERBOT_ADMINS gets the refusal, and nothing is sent."""
    from core.marketplace.submit import send_manual
    from core.usage.manual_entry import Entry

    clock.now = H2 + timedelta(minutes=10)
    entry = Entry(world.alpha.id, world.storage.id, D("2.5"))
    with pytest.raises(NotAllowed, match="only meterbot admins can send usage") as refused:
        send_manual(world.engine, entries=[entry], actor="U0VISITOR", admins=ADMINS,
                    client=fast_client(marketplace), now=clock.now)  # fmt: skip
    assert (refused.value.actor, refused.value.action) == ("U0VISITOR", "send_usage")
    with pytest.raises(NotAllowed, match="only meterbot admins can retry failed records"):
        retry_records(world.engine, record_ids=[1], actor="U0VISITOR", admins=ADMINS,
                      client=fast_client(marketplace), now=clock.now)  # fmt: skip
    assert ledger(world) == []
    assert marketplace.calls == 0
