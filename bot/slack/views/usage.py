"""/meter usage: the text that goes with the chart, and the chart's title."""

from __future__ import annotations

from core.usage.series import UsageSeries

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
        f"({AGGREGATION_WORDS.get(d.aggregation, d.aggregation)})"
        for d in series.dimensions
    ]
    if not series.dimensions:
        lines.append("_Its product has no dimensions._")
    return "\n".join(lines)


def usage_blocks(series: UsageSeries, *, note: str = "") -> list[Block]:
    blocks = [section(usage_summary(series))]
    if note:
        blocks.append(section(note))
    return blocks
