"""Every view builder's output is valid Block Kit (slack_sdk's models), within Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack import ids
from bot.slack.views.alerts import alerts_blocks
from bot.slack.views.contracts import contracts_blocks, max_contracts_per_form
from bot.slack.views.entry import (
    ResultRow,
    confirm_view,
    entries_from_metadata,
    entry_view,
    loading_view,
    result_view,
)
from bot.slack.views.help import help_blocks
from bot.slack.views.home import TopCustomer, home_view
from bot.slack.views.notification import message_blocks
from bot.slack.views.status import status_blocks
from core.billing.estimates import EntryPreview
from core.notifier import RETRY_ACTION, Action, Message, Severity
from core.periods import month_of
from core.reports.contracts import ContractRow, ContractsPage, DimensionUsage
from core.reports.status import Status
from core.usage.manual_entry import Entry, FormContract, FormDimension
from tests.fakes.slack_api import check_blocks, check_view

NOW = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
DIMS = [
    FormDimension(i, f"dim_{i}", f"Dimension {i}", "unit", i % 2 == 0, Decimal(1000))
    for i in range(1, 4)
]


def _form(n: int) -> FormContract:
    return FormContract(n, n, f"Customer <{n}> & co", "Pro", DIMS)


def test_entry_view_fits_slack_and_says_what_did_not() -> None:
    forms = [_form(n) for n in range(1, 40)]
    view = entry_view(forms, channel="C1")
    check_view(view)
    assert len(view["blocks"]) <= 100
    assert "did not fit" in str(view["blocks"][-1])
    numbers = [b for b in view["blocks"] if b["type"] == "input"]
    assert numbers[0]["element"]["type"] == "number_input"
    assert numbers[1]["element"]["is_decimal_allowed"] is False  # whole-unit dimension
    # The picker never lets more contracts be chosen than one modal holds.
    assert max_contracts_per_form(len(DIMS)) * (len(DIMS) + 2) <= 100


@given(
    st.lists(
        st.tuples(st.integers(1, 10**6), st.integers(1, 10**6), st.decimals(0, 10**9, places=6)),
        min_size=1,
        max_size=95,
    )
)
@settings(max_examples=30, deadline=None)
def test_confirm_view_round_trips_its_entries(raw: list[tuple[int, int, Decimal]]) -> None:
    entries = [Entry(c, d, q) for c, d, q in raw]
    rows = [EntryPreview("Acme", "Storage", "TB", e.quantity, None) for e in entries]
    view = confirm_view(rows, entries)
    check_view(view)
    assert entries_from_metadata(view["private_metadata"]) == entries
    assert len(view["private_metadata"]) <= 3000


def test_result_loading_status_home_help_alerts_and_contracts_are_valid() -> None:
    rows = [ResultRow(f"C{n}", "Storage", Decimal(n), "failed", "x" * 300) for n in range(200)]
    check_view(result_view(rows, summary="sent 200 records"))
    check_view(loading_view())
    status = Status(
        now=NOW,
        last_ingestion=NOW - timedelta(hours=5),
        objects_last_day=3,
        failed_objects=1,
        quarantined_lines=10,
        quarantined_last_day=2,
        unmatched_ids=1,
        unmatched_hours=4,
        ledger={"failed": 2, "pending": 1},
        oldest_pending_hour=NOW - timedelta(hours=13),
    )
    assert len(status.problems()) == 6
    check_blocks(status_blocks(status))
    top = [TopCustomer(f"Customer {n}", Decimal(n)) for n in range(5)]
    check_view(home_view(status, top, month="November 2026", is_admin=True))
    check_view(home_view(status, None, month="November 2026", is_admin=False))
    check_blocks(help_blocks("contrcts", ["contracts"]))
    check_blocks(alerts_blocks([(n, "storage_tb > 500 for Acme") for n in range(100)]))
    usage = [DimensionUsage(1, "Storage", "TB", Decimal("12.5"), Decimal(10), Decimal("2.5"))]
    page = ContractsPage(
        1,
        "DataPlat",
        month_of(NOW),
        500,
        3,
        10,
        [ContractRow(n, n, f"C{n}", "Pro", "contract", usage) for n in range(10)],
        dimensions=3,
    )
    blocks = contracts_blocks(page)
    check_blocks(blocks)
    actions = {e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]}
    assert actions == {ids.CONTRACTS_PREV, ids.CONTRACTS_NEXT, ids.ENTER_USAGE}


def test_notification_with_everything_stays_within_limits() -> None:
    long_ids = ",".join(str(n) for n in range(100_000, 100_900))  # ~6,300 characters
    message = Message(
        title="Marketplace submission " * 10,
        summary="sent <900> records & more",
        severity=Severity.ERROR,
        facts=[(f"fact {n}", "v" * 100) for n in range(25)],
        lines=[f"#{n} failed: {'e' * 200}" for n in range(400)],
        actions=[Action("Retry", RETRY_ACTION, long_ids, style="danger", admin_only=True)],
    )
    blocks = message_blocks(message)
    check_blocks(blocks)
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert ",".join(b["value"] for b in buttons) == long_ids  # every id still reachable
    assert "&lt;900&gt;" in str(blocks[1])  # user text is escaped, not markup
