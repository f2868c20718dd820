"""The shared-file preview stays within Slack's limits however many lines are bad."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.slack import ids
from bot.slack.views.upload import (
    bad_lines_csv,
    bad_lines_fit,
    confirm_upload_view,
    line_ranges,
    preview_blocks,
)
from core.uploads.file import BadLine, UploadReading, UploadRow
from core.uploads.summary import PairTotal, UploadSummary
from tests.fakes.slack_api import check_blocks, check_view


def test_runs_of_line_numbers_are_ranges() -> None:
    assert line_ranges([7, 2, 3, 4, 9, 10, 3]) == "2-4, 7, 9-10"
    assert line_ranges([5]) == "5"


def test_a_preview_with_fifty_thousand_bad_lines_fits_a_message() -> None:
    reasons = ["bad_timestamp", "negative_quantity", "unknown_dimension"]
    bad = [BadLine(n, reasons[n % 3], "") for n in range(2, 50_002)]
    row = UploadRow(1, 2, datetime(2026, 12, 3, 7, tzinfo=UTC), Decimal("1.5"), 3)
    reading = UploadReading("big.csv", "h", 50_003, [row], bad, {"nobody": 1})
    total = PairTotal("Acme", "Storage", "TB", 3, Decimal("1.5"), Decimal("30"), "USD")
    summary = UploadSummary(totals=[total], entries=[row])
    text, blocks = preview_blocks(reading, summary, upload_id=7)
    check_blocks(blocks)
    assert len(blocks) <= 50 and "50,000 bad" in text
    shown = " ".join(b.get("text", {}).get("text", "") for b in blocks)
    assert "unknown dimension: line(s) 2, 5, 8" in shown and "in the file below" in shown
    assert not bad_lines_fit(bad) and bad_lines_fit(bad[:100])
    assert bad_lines_csv(bad).decode().splitlines()[1] == "2,unknown_dimension,"
    assert blocks[-1]["elements"][0]["action_id"] == ids.UPLOAD_REVIEW
    check_view(confirm_upload_view(7, "big.csv", [total] * 300))
