"""Charts as PNG bytes (matplotlib, Agg backend): usage over time, one panel per dimension;
sent vs invoiced money per week for reconciliation.

Figures are built with the object API (no pyplot), so charts can be drawn from worker
threads without touching matplotlib's global state. Values become floats only here,
for drawing; no money or quantity is ever computed from them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure

Series = Sequence[tuple[datetime, Decimal]]
MAX_PANELS = 8
PANEL_HEIGHT = 2.2  # inches
WIDTH = 9.0
DPI = 100


def usage_chart(series: Mapping[str, Series], *, title: str, units: Mapping[str, str]) -> bytes:
    """A PNG with one panel per dimension (label -> [(time, quantity)]); at most 8 panels."""
    labels = list(series)[:MAX_PANELS] or ["no usage"]
    figure = Figure(figsize=(WIDTH, PANEL_HEIGHT * len(labels) + 0.6), dpi=DPI)
    axes = figure.subplots(len(labels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, label in zip(axes, labels, strict=True):
        points = series.get(label, [])
        _panel(ax, points, label=label, unit=units.get(label, ""))
    figure.suptitle(title)
    figure.tight_layout()
    return _png(figure)


def sent_vs_invoiced_chart(
    sent: Mapping[date, Decimal], invoiced: Mapping[date, Decimal], *, currency: str, title: str
) -> bytes:
    """A PNG of two bars a week (by its Monday): what the ledger sent at the rate card,
    what AWS invoiced."""
    weeks = sorted(set(sent) | set(invoiced))
    figure = Figure(figsize=(WIDTH, 3.6), dpi=DPI)
    ax = figure.subplots()
    places = [float(date2num(week)) for week in weeks]
    for offset, label, amounts in ((-1.6, "sent", sent), (1.6, "invoiced", invoiced)):
        values = [float(amounts.get(week, 0)) for week in weeks]  # drawing only
        ax.bar([p + offset for p in places], values, width=3.0, label=label)
    ax.set_xticks(places, [f"{week:%d %b}" for week in weeks])
    ax.set_xlabel("week starting (UTC)")
    ax.set_ylabel(currency)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend()
    figure.suptitle(title)
    figure.tight_layout()
    return _png(figure)


def _panel(ax: Axes, points: Series, *, label: str, unit: str) -> None:
    times = [float(date2num(t)) for t, _ in points]
    values = [float(v) for _, v in points]  # drawing only
    if len(points) > 48:
        ax.plot(times, values, linewidth=1.2)
        ax.fill_between(times, values, alpha=0.15)
    elif points:
        ax.bar(times, values, width=_bar_width(times), align="edge")
    ax.set_ylabel(unit or "units")
    ax.set_title(label, loc="left", fontsize=10)
    ax.grid(True, alpha=0.3)
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _bar_width(times: Sequence[float]) -> float:
    """Bar width in days (matplotlib's date unit): 90% of the spacing between points."""
    if len(times) < 2:
        return 0.03
    return 0.9 * (times[1] - times[0])


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
