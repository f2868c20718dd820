"""/meter usage: the text that goes with the chart, and the chart's title."""

from __future__ import annotations

from core.usage.series import DimensionSeries, UsageSeries

from .blocks import Block, esc, qty, section

AGGREGATION_WORDS = {
    "sum": "total",
    "avg": "average",
    "peak": "peak",
    "count": "records",
    "last": "latest",
}


def period_label(series: UsageSeries) -> str:
    fmt = "%d %B %Y" if series.granularity == "day" else "%B %Y"
    return series.period.start.strftime(fmt)


def chart_title(series: UsageSeries) -> str:
    return f"{series.customer}: usage, {period_label(series)} (UTC)"


def usage_summary(series: UsageSeries) -> str:
    lines = [f"*{esc(series.customer)}*: usage, {period_label(series)}"]
    lines += [
        f"• {esc(d.name)}: {qty(d.figure)} {esc(d.unit)} "
        f"({AGGREGATION_WORDS.get(d.aggregation, d.aggregation)}){_late(d)}"
        for d in series.dimensions
    ]
    if not series.dimensions:
        lines.append("_Its product has no dimensions._")
    return "\n".join(lines)


def _late(d: DimensionSeries) -> str:
    """Billed or not: usage that arrived after Marketplace's window, said apart."""
    parts = []
    if d.not_billable:
        parts.append(
            f"{qty(d.not_billable)} {esc(d.unit)} not billable: arrived after Marketplace's "
            f"window ({esc(d.not_billable_hours)})"
        )
    if d.carried:
        parts.append(f"{qty(d.carried)} {esc(d.unit)} arrived late, billed in a later hour")
    return "; " + "; ".join(parts) if parts else ""


def usage_blocks(series: UsageSeries, *, note: str = "") -> list[Block]:
    blocks = [section(usage_summary(series))]
    if note:
        blocks.append(section(note))
    return blocks
