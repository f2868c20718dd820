"""The BatchMeterUsage client against the local stand-in: batching, quota, retries, errors."""

from __future__ import annotations

import time
from datetime import timedelta

from core.marketplace.client import DryRunClient, Outcome, OutgoingRecord, batches
from core.models import MarketplaceModel
from tests.marketplace.conftest import ACCOUNT, ARN, CODE, START, fast_client

HOUR = START + timedelta(hours=1)


def legacy(ref: int, customer: str = "cust-alpha", dimension: str = "storage_tb", qty="1.5"):
    return OutgoingRecord(
        ref, MarketplaceModel.CUSTOMER_IDENTIFIER, CODE, f"product:{CODE}", customer,
        dimension, HOUR - timedelta(hours=ref % 20), qty,
    )  # fmt: skip


def licensed(ref: int, qty: str = "2"):
    return OutgoingRecord(
        ref, MarketplaceModel.LICENSE, ARN, "licence:acme", ACCOUNT, "seats",
        HOUR - timedelta(hours=ref % 20), qty,
    )  # fmt: skip


def send(client, records):
    results = []
    stats = client.send(records, results.extend)
    return {r.ref: r for r in results}, stats


def test_batches_hold_25_records_of_one_model_and_product():
    records = [legacy(i) for i in range(30)] + [licensed(100 + i) for i in range(30)]
    sizes = [(len(b), {r.model for r in b}) for b in batches(records)]
    assert [n for n, _ in sizes] == [25, 5, 25, 5]
    assert all(len(models) == 1 for _, models in sizes)


def test_records_of_both_models_are_accepted_in_separate_calls(marketplace, clock):
    clock.now = HOUR + timedelta(minutes=10)
    results, stats = send(fast_client(marketplace), [legacy(1), licensed(2)])
    assert {r.outcome for r in results.values()} == {Outcome.SUCCESS}
    assert stats.calls == 2
    assert all(("ProductCode" in req) != ("LicenseArn" in req["UsageRecords"][0])
               for req in marketplace.requests)  # fmt: skip


def test_throttling_is_retried_until_everything_is_accepted(marketplace, clock):
    clock.now = HOUR + timedelta(minutes=10)
    marketplace.throttle_above = 3
    records = [legacy(i, customer="cust-alpha", dimension="storage_tb") for i in range(1)]
    records += [legacy(i, dimension="seats") for i in range(1, 20)]
    results, stats = send(fast_client(marketplace, rate=1000, max_attempts=12), records * 1)
    assert all(r.outcome is Outcome.SUCCESS for r in results.values())
    assert stats.throttles == marketplace.throttled


def test_many_calls_are_paced_below_the_quota(marketplace, clock):
    clock.now = HOUR + timedelta(minutes=10)
    marketplace.throttle_above = 10
    records = [legacy(i, customer=f"c{i}") for i in range(25 * 12)]  # 12 calls
    # The limiter spaces departures, the stand-in counts arrivals: at 8 calls a second a
    # send may arrive 0.37 s late (a loaded CI machine) before 11 fall in one second.
    started = time.monotonic()
    results, stats = send(fast_client(marketplace, rate=8, workers=4), records)
    assert time.monotonic() - started >= 11 / 8 - 0.05
    assert stats.calls == 12 and marketplace.throttled == 0
    assert {r.outcome for r in results.values()} == {Outcome.NOT_SUBSCRIBED}


def test_server_errors_and_cut_connections_are_retried_identically(marketplace, clock):
    clock.now = HOUR + timedelta(minutes=10)
    marketplace.fail_next(2)
    marketplace.drop_after_processing(1)
    results, stats = send(fast_client(marketplace), [legacy(1)])
    assert results[1].outcome is Outcome.SUCCESS
    assert len(marketplace.accepted) == 1  # processed twice, billed once
    assert results[1].metering_record_id == marketplace.accepted[0].record_id
    assert stats.retries == 3


def test_a_cut_connection_without_retries_leaves_the_outcome_unknown(marketplace, clock):
    clock.now = HOUR + timedelta(minutes=10)
    marketplace.drop_after_processing(5)
    results, _ = send(fast_client(marketplace, max_attempts=1), [legacy(1)])
    assert results[1].outcome is Outcome.UNKNOWN
    assert len(marketplace.accepted) == 1


def test_unprocessed_records_are_sent_again(marketplace, clock):
    clock.now = HOUR + timedelta(minutes=10)
    marketplace.leave_unprocessed("cust-alpha", "seats", times=2)
    results, _ = send(fast_client(marketplace), [legacy(1), legacy(2, dimension="seats")])
    assert {r.outcome for r in results.values()} == {Outcome.SUCCESS}
    assert len(marketplace.requests) == 3


def test_a_bad_product_code_stops_that_products_sends(marketplace, clock):
    clock.now = HOUR + timedelta(minutes=10)
    bad = [
        OutgoingRecord(i, MarketplaceModel.CUSTOMER_IDENTIFIER, "nope", "product:nope",
                       "cust-alpha", "storage_tb", HOUR - timedelta(hours=i), "1")
        for i in range(60)
    ]  # fmt: skip
    results, stats = send(fast_client(marketplace, workers=1), [*bad, licensed(99)])
    outcomes = [results[i].outcome for i in range(60)]
    assert outcomes.count(Outcome.CONFIG) == 25 and outcomes.count(Outcome.HELD) == 35
    assert "marketplace_product_code" in (results[0].error or "")
    assert results[99].outcome is Outcome.SUCCESS  # another product is unaffected
    assert stats.calls == 2


def test_an_invalid_licence_is_isolated_from_the_rest_of_its_call(marketplace, clock):
    clock.now = HOUR + timedelta(minutes=10)
    wrong = OutgoingRecord(
        7, MarketplaceModel.LICENSE, ARN + "x", "licence:acme", ACCOUNT, "seats", HOUR, "1"
    )
    records = [licensed(i) for i in range(6)] + [wrong]
    results, _ = send(fast_client(marketplace), records)
    assert results[7].outcome is Outcome.CONFIG
    assert all(results[i].outcome is Outcome.SUCCESS for i in range(6))


def test_a_stale_timestamp_fails_the_call_as_out_of_window(marketplace, clock):
    clock.now = HOUR + timedelta(hours=30)
    results, _ = send(fast_client(marketplace), [legacy(1)])
    assert results[1].outcome is Outcome.OUT_OF_WINDOW
    assert marketplace.accepted == []


def test_dry_run_client_sends_nothing(marketplace):
    results, stats = send(DryRunClient(), [legacy(1), licensed(2)])
    assert {r.outcome for r in results.values()} == {Outcome.DRY_RUN}
    assert marketplace.calls == 0 and stats.calls == 0


def test_a_throttle_after_a_server_error_leaves_the_outcome_unknown(marketplace, clock):
    clock.now = HOUR + timedelta(minutes=10)
    marketplace.script("error", "throttle")  # the 500 may have been processed
    results, _ = send(fast_client(marketplace, max_attempts=2), [legacy(1)])
    assert results[1].outcome is Outcome.UNKNOWN
