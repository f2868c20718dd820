"""Alert rules: typed by people, posted once per crossing, re-armed when no longer crossed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from core.access import Admins
from core.alerts.rules import add_rule, check_rules, describe_rule, list_rules, remove_rule
from core.errors import InvalidInput, NotAllowed, NotFound
from tests.scheduler.data import build_world, usage

ADMINS = Admins(frozenset({"U1"}))  # who may send, retry and change rules here

NOW = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
START = datetime(2026, 11, 1, tzinfo=UTC)
H = timedelta(hours=1)


def test_a_threshold_alert_is_posted_once_per_crossing(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s:
        w = build_world(s, since=START)
        add_rule(s, text="api_requests > 1000", actor="U1", admins=ADMINS, now=NOW)
        usage(s, w.acme, w.requests, START, "600")
        assert check_rules(s, now=NOW) == []

        usage(s, w.acme, w.requests, START + H, "600")
        [alert] = check_rules(s, now=NOW)
        assert "Acme Corp" in alert.summary and "1,200 requests this month" in alert.summary
        assert check_rules(s, now=NOW + H) == []  # still crossed: not posted again
        s.commit()

    december = datetime(2026, 12, 2, tzinfo=UTC)
    with Session(engine, expire_on_commit=False) as s:
        assert check_rules(s, now=december) == []  # new month, nothing yet: re-armed
        usage(s, w.acme, w.requests, december - 2 * H + 24 * H, "1500")
        [again] = check_rules(s, now=december + 24 * H)
        assert "1,500 requests" in again.summary


def test_percentage_of_entitlement_for_one_customer(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s:
        w = build_world(s, since=START, entitlements={"storage_tb": "100"})  # both customers
        for hour in range(int((NOW - START) / H)):
            usage(s, w.acme, w.storage, START + hour * H, "85")
            usage(s, w.globex, w.storage, START + hour * H, "85")
        rule = add_rule(
            s, text="storage_tb 80% of entitlement for acme", actor="U1", admins=ADMINS, now=NOW
        )

        [alert] = check_rules(s, now=NOW)

        assert rule.text == "storage_tb 80% of entitlement for Acme Corp"
        assert "85% of the 100 TB entitlement" in alert.summary
        assert alert.summary.startswith("Acme Corp")


def test_a_spike_against_the_trailing_average(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s:
        w = build_world(s, since=START)
        last = NOW.replace(minute=0) - H
        for back in range(1, 25):
            usage(s, w.globex, w.requests, last - back * H, "100")
        usage(s, w.globex, w.requests, last, "400")
        add_rule(s, text="api_requests spike 3x", actor="U1", admins=ADMINS, now=NOW)

        [alert] = check_rules(s, now=NOW)
        assert "4x the 24-hour average of 100" in alert.summary

        usage(s, w.globex, w.requests, last + H, "100")
        assert check_rules(s, now=NOW + H) == []  # a quiet hour re-arms it
        usage(s, w.globex, w.requests, last + 2 * H, "900")
        assert len(check_rules(s, now=NOW + 2 * H)) == 1


def test_rules_are_listed_described_and_removed(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s:
        build_world(s, since=START)
        rule = add_rule(s, text="storage_tb  >=  500", actor="U1", admins=ADMINS, now=NOW)
        assert rule.id is not None

        assert [r.id for r in list_rules(s)] == [rule.id]
        assert describe_rule(rule) == (
            f"#{rule.id} storage_tb >= 500: this month's storage_tb at or above 500 "
            "(every customer)"
        )
        remove_rule(s, rule_id=rule.id, actor="U1", admins=ADMINS)
        assert list_rules(s) == []
        with pytest.raises(NotFound, match="no alert rule"):
            remove_rule(s, rule_id=rule.id, actor="U1", admins=ADMINS)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("storage_tb is big", "examples: storage_tb > 500"),
        ("disk_gb > 5", "no dimension 'disk_gb'; dimensions: api_requests, storage_tb"),
        ("api_requests spike 1x", "above 1"),
        ("api_requests > lots", "'lots' in 'api_requests > lots' is not a number"),
    ],
)
def test_rules_that_do_not_parse_say_why(engine: Engine, text: str, error: str) -> None:
    with Session(engine, expire_on_commit=False) as s:
        build_world(s, since=START)
        with pytest.raises(InvalidInput, match=error):
            add_rule(s, text=text, actor="U1", admins=ADMINS, now=NOW)


def test_only_admins_change_alert_rules(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s:
        build_world(s, since=START)
        rule = add_rule(s, text="api_requests > 1000", actor="U1", admins=ADMINS, now=NOW)
        with pytest.raises(NotAllowed, match="only meterbot admins can change alert rules"):
            add_rule(s, text="api_requests > 5", actor="U0VISITOR", admins=ADMINS, now=NOW)
        with pytest.raises(NotAllowed, match="only meterbot admins can change alert rules"):
            remove_rule(s, rule_id=rule.id or 0, actor="U0VISITOR", admins=ADMINS)
        assert [r.id for r in list_rules(s)] == [rule.id]
