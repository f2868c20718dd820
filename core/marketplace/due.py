"""Due metering records, built from the rollups onto the ledger.

For every Marketplace customer and dimension, each rating period that has closed (plus
a few minutes for ingestion to settle) is accounted once: its units, what of them lies
beyond the contract's entitlement, and the record for it (stamped with the hour the
usage belongs to). What rounding leaves over carries into the next record. Usage that
arrives later for a period already accounted is billed in a later record, never by
changing one. Hourly dimensions get a zero record (a heartbeat) for each hour a
subscribed customer had no usage, as AWS recommends.

Metering of a newly seen customer and dimension starts with the oldest period still
inside Marketplace's window; nothing older is swept in.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, text
from sqlmodel import Session, col, select

from core import formatting
from core.marketplace.entitlements import Contracts, billable_change
from core.marketplace.identity import metered_customers
from core.marketplace.late import CARRY, carried_unsent, describe, found_late, place
from core.marketplace.usage import (
    Key,
    accounted,
    hourly_values,
    period_of,
    period_value,
    stamp_hour,
)
from core.marketplace.window import earliest_open_hour, latest_open_hour
from core.models import Customer, Dimension, LateOutcome, LateUsage, LedgerStatus, MeteringRecord
from core.models import RatingPeriod as Rating
from core.models.ledger import MeteredUsage, MeteringState
from core.periods import HOUR, Period, hour_floor, month_floor, next_month
from core.quantities import split

SETTLE = timedelta(minutes=5)  # ingestion runs every minute: let the hour's last files land
LOOKBACK = timedelta(hours=48)  # how far back late usage is looked for on each pass
ZERO = Decimal(0)


@dataclass
class DueReport:
    created: int = 0
    heartbeats: int = 0
    late: list[str] = field(default_factory=list)  # late usage found, and where it went
    moved: list[str] = field(default_factory=list)  # periods whose hour had closed


@dataclass
class _Fresh:
    """A period accounted for the first time in this pass (written in bulk at the end)."""

    customer_id: int
    dimension_id: int
    period_start: datetime
    units: Decimal = ZERO
    billable: Decimal = ZERO
    updated_at: datetime | None = None


@dataclass
class _Pair:
    customer: Customer
    dimension: Dimension
    state: MeteringState
    late: bool = False  # late usage found this pass, not yet on a record
    new: bool = False  # first seen this pass: heartbeats start with the latest hour
    carried_hours: set[datetime] = field(default_factory=set)  # whose usage rides the carry
    late_rows: list[LateUsage] = field(default_factory=list)  # carried, not yet on a record
    accounted_late: list[LateUsage] = field(default_factory=list)  # this pass, for the report

    @property
    def key(self) -> tuple[int, int]:
        return self.customer.id or 0, self.dimension.id or 0

    @property
    def hourly(self) -> bool:
        return self.dimension.rating_period == Rating.HOUR

    def label(self, hour: datetime) -> str:
        return f"{self.customer.name} {self.dimension.key} {hour:%Y-%m-%d %H:00}Z"


def build_due(
    session: Session,
    *,
    now: datetime,
    heartbeat: bool = True,
    settle: timedelta = SETTLE,
    lookback: timedelta = LOOKBACK,
    source: str = "scheduled",
    customer_ids: Collection[int] | None = None,
    through: datetime | None = None,
    late_usage: str = CARRY,
) -> DueReport:
    """Add the ledger rows that are due at `now` (flushed; the caller commits).

    A final flush (a licence ending) names its customers and `through`: periods ending
    by then are due at once, the current hour included, without waiting for it to close.
    """
    take_turns(session)
    due = _DuePass(session, now, heartbeat, settle, lookback, source, late_usage)
    due.customer_ids, due.through = customer_ids, through
    return due.run()


# Any fixed number: the key of the lock that due-record passes take turns on.
_DUE_LOCK = 0x6D657464


def take_turns(session: Session) -> None:
    """Wait for any other pass (the scheduler, `meterbot submit` from cron) to commit.

    Two passes reading the rollups and the carry at once could both account the same
    late usage. On PostgreSQL a transaction-scoped advisory lock makes them take turns;
    it is released when the caller commits or rolls back. SQLite has one writer, and a
    pass that read before another's commit fails its write instead of double counting.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DUE_LOCK})


class _DuePass:
    def __init__(
        self,
        session: Session,
        now: datetime,
        heartbeat: bool,
        settle: timedelta,
        lookback: timedelta,
        source: str,
        late_usage: str,
    ) -> None:
        self.session, self.now, self.heartbeat = session, now, heartbeat
        self.settle, self.source, self.late_usage = settle, source, late_usage
        self.earliest = earliest_open_hour(now)
        self.lookback_start = hour_floor(now - lookback)
        self.contracts = Contracts(session)
        self.report = DueReport()
        self.fresh: dict[tuple[int, int], list[_Fresh]] = {}
        self.rows: list[dict[str, object]] = []  # new ledger rows, inserted in bulk
        self.customer_ids: Collection[int] | None = None  # None: every customer
        self.through: datetime | None = None  # a final flush: periods ending by then are due

    def run(self) -> DueReport:
        pairs = self._pairs()
        if not pairs:
            return self.report
        dimensions = {p.dimension.id or 0: p.dimension for p in pairs}
        since = min([self.lookback_start] + [p.state.next_period for p in pairs])
        self.since = since
        until = max(hour_floor(self.now), self.through or hour_floor(self.now))
        self.values = hourly_values(self.session, dimensions=dimensions, since=since, until=until)
        self.accounted: dict[Key, MeteredUsage | _Fresh] = dict(
            accounted(self.session, dimension_ids=list(dimensions), since=since)
        )
        self.taken = self._taken_hours(list(dimensions))
        by_key = {p.key: p for p in pairs}
        for key, rows in carried_unsent(self.session).items():
            if key in by_key:
                by_key[key].late_rows += rows
        self._found_late(by_key)
        self._late_hourly({p.key: p for p in pairs if p.hourly})
        for pair in pairs:
            if not pair.hourly:
                self._late_period(pair)
            self._due_periods(pair)
            if pair.late and not pair.hourly:
                self._flush(pair)
        self._write()
        for pair in pairs:
            if pair.accounted_late:
                self.report.late += describe(pair.customer, pair.dimension, pair.accounted_late)
        return self.report

    def _write(self) -> None:
        """Insert the new accounted periods and ledger rows in bulk (ORM objects are slow)."""
        fresh = [
            {"customer_id": f.customer_id, "dimension_id": f.dimension_id,
             "period_start": f.period_start, "units": f.units, "billable": f.billable,
             "updated_at": self.now}
            for group in self.fresh.values()
            for f in group
        ]  # fmt: skip
        self.session.flush()
        if fresh:
            self.session.execute(insert(MeteredUsage), fresh)
        if self.rows:
            self.session.execute(insert(MeteringRecord), self.rows)

    # -- who is metered ------------------------------------------------------------------
    def _pairs(self) -> list[_Pair]:
        customers = metered_customers(self.session)
        by_product: dict[int, list[Dimension]] = {}
        for dimension in self.session.exec(select(Dimension)).all():
            by_product.setdefault(dimension.product_id, []).append(dimension)
        states = {
            (s.customer_id, s.dimension_id): s for s in self.session.exec(select(MeteringState))
        }
        if self.customer_ids is not None:
            customers = [c for c in customers if c.id in self.customer_ids]
        pairs = []
        for customer in customers:
            for dimension in by_product.get(customer.product_id or 0, []):
                state = states.get((customer.id or 0, dimension.id or 0))
                if state is None:
                    pairs.append(
                        _Pair(customer, dimension, self._new_state(customer, dimension), new=True)
                    )
                else:
                    pairs.append(_Pair(customer, dimension, state))
        return pairs

    def _new_state(self, customer: Customer, dimension: Dimension) -> MeteringState:
        state = MeteringState(
            customer_id=customer.id or 0,
            dimension_id=dimension.id or 0,
            carry=ZERO,
            first_period=period_of(dimension, self.earliest).start,
            next_period=period_of(dimension, self.earliest).start,
            updated_at=self.now,
        )
        self.session.add(state)
        return state

    def _taken_hours(self, dimension_ids: list[int]) -> set[Key]:
        rows = self.session.exec(
            select(MeteringRecord.customer_id, MeteringRecord.dimension_id, MeteringRecord.hour)
            .where(col(MeteringRecord.dimension_id).in_(dimension_ids))
            .where(col(MeteringRecord.hour) >= self.earliest - HOUR)
        ).all()
        return {(c, d, h) for c, d, h in rows}

    def _subscribed(self, customer: Customer, hour: datetime) -> bool:
        if not self.contracts.has_any(customer.id or 0):
            return customer.active
        return self.contracts.contract_at(customer.id or 0, hour) is not None

    # -- late usage ----------------------------------------------------------------------
    def _late_hourly(self, pairs: dict[tuple[int, int], _Pair]) -> None:
        """Hours already accounted whose rollup has changed since."""
        keys = set(self.values) | set(self.accounted)
        for customer_id, dimension_id, hour in sorted(keys, key=lambda k: k[2]):
            pair = pairs.get((customer_id, dimension_id))
            if pair is None or hour < max(self.lookback_start, pair.state.first_period):
                continue
            if hour >= pair.state.next_period:
                continue
            key = (customer_id, dimension_id, hour)
            known = self.accounted.get(key)
            change = self.values.get(key, ZERO) - (known.units if known else ZERO)
            if change:
                self._account_late(pair, Period(hour, hour + HOUR), change)

    def _late_period(self, pair: _Pair) -> None:
        """The last accounted day or month, if its rollups changed since."""
        period = period_of(pair.dimension, pair.state.next_period - HOUR)
        if period.end <= self.lookback_start or period.start < pair.state.first_period:
            return
        key = (*pair.key, period.start)
        known = (
            self.accounted.get(key)
            or self.session.exec(
                select(MeteredUsage).where(
                    MeteredUsage.customer_id == pair.key[0],
                    MeteredUsage.dimension_id == pair.key[1],
                    MeteredUsage.period_start == period.start,
                )
            ).first()
        )
        if known is not None:
            self.accounted[key] = known
        units = self._period_units(pair, period)
        change = units - (known.units if known else ZERO)
        if change:
            self._account_late(pair, period, change)

    def _found_late(self, pairs: dict[tuple[int, int], _Pair]) -> None:
        """Hours ingestion noted as late, however old: account what changed in each."""
        for noted in found_late(self.session):
            pair = pairs.get((noted.customer_id, noted.dimension_id))
            self.session.delete(noted)  # its hour is accounted below, or not metered at all
            if pair is None:
                continue
            period = period_of(pair.dimension, noted.hour)
            if period.start >= pair.state.first_period and period.end > pair.state.next_period:
                continue  # not accounted yet: the due periods take it as it is
            known = self._known(pair, period)
            change = self._period_units(pair, period) - (known.units if known else ZERO)
            if change:
                self._account_late(pair, period, change)

    def _known(self, pair: _Pair, period: Period) -> MeteredUsage | _Fresh | None:
        key = (*pair.key, period.start)
        if key not in self.accounted:
            found = self.session.exec(
                select(MeteredUsage).where(
                    MeteredUsage.customer_id == pair.key[0],
                    MeteredUsage.dimension_id == pair.key[1],
                    MeteredUsage.period_start == period.start,
                )
            ).first()
            if found is not None:
                self.accounted[key] = found
        return self.accounted.get(key)

    def _account_late(self, pair: _Pair, period: Period, change: Decimal) -> None:
        billable = self._account(pair, period, change)
        if stamp_hour(pair.dimension, period) < self.earliest:
            self._closed_hour(pair, period, change, billable)
            return
        pair.state.carry += billable
        pair.late = pair.late or billable != 0
        pair.carried_hours.add(period.start)
        where = "the next record" if pair.hourly else "a record in the latest open hour"
        self.report.late.append(
            f"{pair.label(period.start)}: {change:+f} late usage ({billable:+f} billable) "
            f"goes into {where}"
        )

    def _closed_hour(self, pair: _Pair, period: Period, change: Decimal, billable: Decimal) -> None:
        """Usage for an hour Marketplace no longer takes: carried in its month, or reported."""
        upcoming = stamp_hour(pair.dimension, period_of(pair.dimension, pair.state.next_period))
        placement = place(
            self.late_usage,
            usage_hour=period.start,
            next_record=max(upcoming, self.earliest),
            earliest=self.earliest,
        )
        late = LateUsage(
            customer_id=pair.key[0],
            dimension_id=pair.key[1],
            hour=period.start,
            outcome=placement.outcome,
            units=change,
            billable=billable,
            reason=placement.reason,
            found_at=self.now,
            accounted_at=self.now,
        )
        self.session.add(late)
        pair.accounted_late.append(late)
        if placement.outcome == LateOutcome.REPORTED or not billable:
            return
        if placement.own_month:
            self._in_own_month(pair, late)
            return
        pair.state.carry += billable
        pair.late = True
        pair.late_rows.append(late)

    def _in_own_month(self, pair: _Pair, late: LateUsage) -> None:
        """The next record is in a later month: bill it now in a free open hour of its
        own month (still taking records until 06:00 UTC on the 1st), else report it."""
        quantity, rest = split(late.billable, whole_units=pair.dimension.whole_units)
        hour = min(latest_open_hour(self.now), next_month(month_floor(late.hour)) - HOUR)
        while quantity and hour >= self.earliest:
            if (*pair.key, hour) not in self.taken:
                pair.late_rows.append(late)
                self._add_row(pair, hour, quantity, "late usage of an earlier hour")
                pair.state.carry += rest
                return
            hour -= HOUR
        late.outcome = LateOutcome.REPORTED
        late.reason = f"not billed: no open hour of {late.hour:%B %Y} was free for it"

    # -- due periods ---------------------------------------------------------------------
    def _due_periods(self, pair: _Pair) -> None:
        period = period_of(pair.dimension, pair.state.next_period)
        while period.end + self.settle <= self.now or (
            self.through is not None and period.end <= self.through
        ):
            units = self._period_units(pair, period)
            billable = self._account(pair, period, units)
            self._record(pair, stamp_hour(pair.dimension, period), pair.state.carry + billable)
            pair.state.next_period = period.end
            pair.state.updated_at = self.now
            period = period_of(pair.dimension, period.end)

    def _period_units(self, pair: _Pair, period: Period) -> Decimal:
        if pair.hourly and period.start >= self.since:  # read in bulk for the pass
            return self.values.get((*pair.key, period.start), ZERO)
        return period_value(
            self.session, customer_id=pair.key[0], dimension=pair.dimension, period=period
        )

    def _account(self, pair: _Pair, period: Period, units: Decimal) -> Decimal:
        """Note `units` more for `period`; return how much more of it is billable."""
        key = (*pair.key, period.start)
        known = self.accounted.get(key)
        allowance = self.contracts.allowance(pair.key[0], pair.dimension, period.start)
        unwritten = (ZERO, ZERO)
        if allowance is not None and allowance.pool is not None:
            mine = [f for f in self.fresh.get(pair.key, []) if f.period_start in allowance.pool]
            unwritten = (sum((f.units for f in mine), ZERO), sum((f.billable for f in mine), ZERO))
        billable = billable_change(
            self.session,
            customer_id=pair.key[0],
            dimension_id=pair.key[1],
            allowance=allowance,
            units_change=units,
            period_units=known.units if known else ZERO,
            period_billable=known.billable if known else ZERO,
            unwritten=unwritten,
        )
        if known is None and (units or billable):
            known = _Fresh(*key)
            self.fresh.setdefault(pair.key, []).append(known)
            self.accounted[key] = known
        if known is not None:
            known.units += units
            known.billable += billable
            known.updated_at = self.now
        return billable

    def _record(self, pair: _Pair, hour: datetime, owed: Decimal) -> None:
        """A ledger row at `hour` for what is owed; or carry it if the hour cannot take one."""
        pair.state.carry = owed
        if hour < self.earliest:
            if owed:
                self.report.moved.append(
                    f"{pair.label(hour)}: Marketplace no longer takes this hour; "
                    f"{formatting.quantity(owed)} carried to the next open hour"
                )
            return
        quantity, rest = split(owed, whole_units=pair.dimension.whole_units)
        if (*pair.key, hour) in self.taken:
            return  # a hand-entered record holds the hour: this quantity rides the next one
        heartbeat = (
            self.heartbeat
            and pair.hourly
            and (not pair.new or hour + HOUR + self.settle > self.now - HOUR)
            and self._subscribed(pair.customer, hour)
        )
        if quantity == 0 and not heartbeat:
            return
        note = "includes late usage of earlier hours" if pair.late and quantity else None
        if pair.late_rows and quantity:
            note = "includes late usage of hours Marketplace no longer takes"
        self._add_row(pair, hour, quantity, note)
        pair.state.carry = rest
        pair.late = pair.late and not quantity
        self.report.heartbeats += quantity == 0

    def _flush(self, pair: _Pair) -> None:
        """Late usage of a day or month goes out now, in the latest free open hour."""
        quantity, rest = split(pair.state.carry, whole_units=pair.dimension.whole_units)
        hour = latest_open_hour(self.now) - HOUR
        while quantity and hour >= self.earliest:
            if (*pair.key, hour) not in self.taken:
                self._add_row(pair, hour, quantity, "late usage of an earlier period")
                pair.state.carry = rest
                return
            hour -= HOUR

    def _add_row(self, pair: _Pair, hour: datetime, quantity: Decimal, note: str | None) -> None:
        carried = self._carried_from(pair, hour) if quantity else None
        self.rows.append(
            {
                "customer_id": pair.key[0],
                "dimension_id": pair.key[1],
                "hour": hour,
                "quantity": quantity,
                "status": LedgerStatus.PENDING,
                "source": self.source,
                "attempts": 0,
                "note": note,
                "carried_from": carried,
                "created_at": self.now,
                "updated_at": self.now,
            }
        )
        self.taken.add((*pair.key, hour))
        self.report.created += 1

    def _carried_from(self, pair: _Pair, hour: datetime) -> list[str] | None:
        """The hours whose late usage this record bills (the audit trail), now on it."""
        for late in pair.late_rows:
            late.into_hour = hour
        hours = pair.carried_hours | {late.hour for late in pair.late_rows}
        pair.carried_hours, pair.late_rows = set(), []
        return [h.isoformat() for h in sorted(hours)] or None
