"""A shared usage file in Slack: the preview in its thread, the confirm modal, the result.

The preview says per customer and dimension the lines, the total and the estimated
extra charge; every bad line by number and reason (runs of lines as ranges, so
thousands fit); the hours that move; and the Review and send / Discard buttons.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from bot.slack import ids
from bot.slack.views.entry import STATUS_ICONS
from core.marketplace.report import RecordOutcome
from core.uploads.file import BadLine, UploadReading
from core.uploads.summary import HourNote, PairTotal, UploadSummary

from .blocks import (
    MESSAGE_BLOCKS,
    VIEW_BLOCKS,
    Block,
    actions,
    button,
    context,
    esc,
    modal,
    money,
    qty,
    section,
    text_sections,
)

WRAP = 400  # characters of line numbers per line of the preview
BAD_LINES_SHOWN = 6 * 2900  # what the preview's bad-line sections surely hold


def preview_blocks(
    reading: UploadReading, summary: UploadSummary, upload_id: int | None
) -> tuple[str, list[Block]]:
    """(fallback text, blocks) for the reply in the file's thread."""
    text = _headline(reading, summary)
    parts: list[list[str]] = [
        ["*What would be sent*", *_total_lines(summary.totals)] if summary.totals else [],
        ["*Hours that move*", *_hour_lines(summary.moved)] if summary.moved else [],
        ["*Not sent*", *_hour_lines(summary.problems)] if summary.problems else [],
        ["*Unknown customer ids* (not sent)", *_unknown_lines(reading.unknown_ids)]
        if reading.unknown_ids
        else [],
        _bad_part(reading.bad) if reading.bad else [],
    ]
    blocks = [section(text)]
    room = MESSAGE_BLOCKS - 3
    for lines in (p for p in parts if p):
        packed = text_sections(lines, max_blocks=max(1, min(room, 8)))
        blocks += packed
        room -= len(packed)
    if upload_id is not None:
        blocks.append(
            actions(
                [
                    button("Review and send", ids.UPLOAD_REVIEW, str(upload_id), style="primary"),
                    button("Discard", ids.UPLOAD_DISCARD, str(upload_id), style="danger"),
                ]
            )
        )
    else:
        blocks.append(context("Nothing in this file can be sent; fix it and share it again."))
    return text, blocks[:MESSAGE_BLOCKS]


def _bad_part(bad: Sequence[BadLine]) -> list[str]:
    if bad_lines_fit(bad):
        return [f"*Bad lines ({len(bad):,})*", *bad_line_lines(bad)]
    return [
        f"*Bad lines ({len(bad):,})*: every one, with its text, is in the file below",
        *bad_line_lines(bad),
    ]


def _headline(reading: UploadReading, summary: UploadSummary) -> str:
    unknown = sum(reading.unknown_ids.values())
    return (
        f"*{esc(reading.name)}*: {reading.lines:,} line(s); {len(reading.bad):,} bad, "
        f"{unknown:,} for unknown customers; {len(summary.entries):,} record(s) to send "
        f"for {len(summary.totals)} customer dimension(s)."
    )


def _total_lines(totals: Sequence[PairTotal]) -> list[str]:
    return [
        f"• *{esc(t.customer)}* · {esc(t.dimension)}: {t.lines:,} line(s), "
        f"{qty(t.total)} {esc(t.unit)}, estimated extra "
        f"{money(t.charge, t.currency) if t.charge is not None else 'n/a'}"
        for t in totals
    ]


def _hour_lines(notes: Sequence[HourNote]) -> list[str]:
    return [
        f"• {esc(n.customer)} · {esc(n.dimension)} {n.hour:%Y-%m-%d %H:00}Z: {esc(n.note)}"
        for n in notes
    ]


def _unknown_lines(unknown: dict[str, int]) -> list[str]:
    return [f"• `{esc(usage_id)}`: {count:,} line(s)" for usage_id, count in unknown.items()]


def bad_line_lines(bad: Sequence[BadLine]) -> list[str]:
    """Per reason the line numbers, runs written as ranges (4, 17-19, 30), wrapped into
    lines that fit a section."""
    by_reason: dict[str, list[int]] = defaultdict(list)
    for line in bad:
        by_reason[line.reason].append(line.line)
    lines = []
    for reason, numbers in by_reason.items():
        label = f"• {reason.replace('_', ' ')}: line(s) "
        for piece in _wrapped(line_ranges(numbers), WRAP):
            lines.append(label + piece)
            label = "   "
    return lines


def _wrapped(text: str, width: int) -> list[str]:
    pieces: list[str] = []
    while len(text) > width:
        cut_at = text.rfind(", ", 0, width) + 1 or width
        pieces.append(text[:cut_at])
        text = text[cut_at:].strip()
    return [*pieces, text]


def bad_lines_fit(bad: Sequence[BadLine]) -> bool:
    """Whether the preview can list every bad line; if not, a file follows in the thread."""
    return sum(len(line) + 1 for line in bad_line_lines(bad)) <= BAD_LINES_SHOWN


def bad_lines_csv(bad: Sequence[BadLine]) -> bytes:
    """Every bad line with its number, reason and text, for the thread when too many."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "reason", "text"])
    writer.writerows((b.line, b.reason, b.text) for b in bad)
    return out.getvalue().encode()


def line_ranges(numbers: Sequence[int]) -> str:
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def confirm_upload_view(
    upload_id: int, name: str, totals: Sequence[PairTotal]
) -> dict[str, object]:
    """The totals once more; submitting sends them."""
    known = [t.charge for t in totals if t.charge is not None]
    total = money(sum(known, Decimal(0)), totals[0].currency if totals else "USD")
    blocks = [
        section(f"Send the usage in *{esc(name)}* to AWS Marketplace?"),
        *text_sections(_total_lines(totals), max_blocks=VIEW_BLOCKS - 5),
        section(f"*Estimated extra charge this month: {total}*"),
        context("Records sent cannot be changed afterwards; AWS bills the final amount."),
    ]
    return modal(
        "Send usage file",
        blocks,
        callback_id=ids.UPLOAD_CONFIRM_VIEW,
        submit="Confirm send",
        private_metadata=str(upload_id),
    )


def status_blocks(name: str, summary: str, outcomes: Sequence[RecordOutcome]) -> list[Block]:
    """Every record's status, for the file's thread."""
    lines = [
        f"{STATUS_ICONS.get(o.status, '•')} {esc(o.customer)} · {esc(o.dimension)} "
        f"{o.hour:%Y-%m-%d %H:00}Z {qty(o.quantity)}: {o.status.replace('_', ' ')}"
        + (f"  _{esc(o.error)}_" if o.error else "")
        for o in outcomes
    ]
    head = section(f"*{esc(name)}*: {esc(summary)}")
    return [head, *text_sections(lines, max_blocks=12)]  # Slack keeps ~40k characters
