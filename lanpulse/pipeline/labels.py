"""Two-speed polling: label columns cached per device, counters and gauges every poll.

The label columns are derived from the profile, as data: every column that a table metric
uses only as a tag source (ifName, ifAlias, ifDescr, supply and tray descriptions, volume
and sensor names, ...). A column that anything else reads (a field, an `extra` value, a
processor's `fetch`, a discontinuity marker) is a value column and is fetched every poll.

A device's cached labels are re-walked every `refresh_polls` polls, and at once (within the
same poll, so its samples are right) when sysUpTime went backwards (a reboot may renumber
interfaces) or when the row index set of a metric's value columns changed (an interface,
a supply or a volume appeared or went away). The merged result is the same `RawSnmp` that
a full poll would have produced, so parsing cannot tell the difference.

Metrics marked `inventory` (device_info, LLDP neighbours) are fetched on full polls only,
scalars included, and are not cached: their rows appear when the labels are walked.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass

from lanpulse.collectors.base import SnmpPlan
from lanpulse.core.model import RawSnmp, SnmpValue
from lanpulse.core.profile import Profile

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


@dataclass(frozen=True, slots=True)
class TwoSpeedPlan:
    """The plans of one profile (shared by every device that uses it)."""

    full: SnmpPlan  # identity scalars + every column: the first poll and refresh polls
    fast: SnmpPlan  # identity scalars + value columns: every other poll
    labels: tuple[str, ...]  # the cached label columns
    row_columns: tuple[tuple[str, ...], ...]  # value columns of each table metric


def label_columns(profile: Profile) -> tuple[str, ...]:
    """Columns that table metrics read only as tags (in plan order)."""
    tag_oids: dict[str, None] = {}
    other: set[str] = set()
    for metric in profile.metrics:
        if metric.inventory:
            continue
        for group, is_tag in ((metric.tags, True), (metric.fields, False), (metric.extra, False)):
            for srcs in group.values():
                for src in srcs if isinstance(srcs, list) else [srcs]:
                    if not src.oid:
                        continue
                    if is_tag and not metric.scalar:
                        tag_oids[src.oid] = None
                    else:
                        other.add(src.oid)
        if metric.discontinuity and metric.discontinuity.oid:
            other.add(metric.discontinuity.oid)
        other.update(metric.fetch)
    return tuple(oid for oid in tag_oids if oid not in other)


def _inventory_oids(profile: Profile) -> set[str]:
    """OIDs only `inventory` metrics read: fetched on full polls only."""
    inventory: set[str] = set()
    other: set[str] = set()
    for metric in profile.metrics:
        target = inventory if metric.inventory else other
        for srcs in metric.sources().values():
            target.update(s.oid for s in srcs if s.oid)
        target.update(metric.fetch)
        if metric.discontinuity and metric.discontinuity.oid:
            target.add(metric.discontinuity.oid)
    return inventory - other


def two_speed_plan(profile: Profile, identity_oids: tuple[str, ...]) -> TwoSpeedPlan:
    """Split a profile's plan into the full plan, the fast plan and the label columns."""
    scalars, columns = profile.plan_oids()
    scalars = tuple(dict.fromkeys((*identity_oids, *scalars)))
    labels = label_columns(profile)
    full_only = _inventory_oids(profile) - set(identity_oids)
    label_set = set(labels)
    fast_columns = tuple(c for c in columns if c not in label_set and c not in full_only)
    fast_set = set(fast_columns)
    rows: list[tuple[str, ...]] = []
    for metric in profile.metrics:
        if metric.scalar or metric.inventory:
            continue
        cols = {
            src.oid
            for srcs in metric.sources().values()
            for src in (srcs if isinstance(srcs, list) else [srcs])
            if src.oid and src.oid in fast_set
        }
        if cols:
            rows.append(tuple(sorted(cols)))
    return TwoSpeedPlan(
        full=SnmpPlan(scalars=scalars, columns=columns),
        fast=SnmpPlan(
            scalars=tuple(o for o in scalars if o not in full_only), columns=fast_columns
        ),
        labels=tuple(c for c in columns if c in label_set),
        row_columns=tuple(dict.fromkeys(rows)),
    )


def row_signature(columns: Mapping[str, Mapping[str, SnmpValue]], plan: TwoSpeedPlan) -> int:
    """A small fingerprint of the row index sets of every table metric's value columns.

    The hash of one frozenset per table: order-free and built in C (a sorted, encoded
    digest cost twice as much on every poll). Python's string hashes differ between
    processes, which does not matter: a signature lives in this process's memory only.
    """
    sets: list[frozenset[str]] = []
    for group in plan.row_columns:
        indexes: set[str] = set()
        for column in group:
            values = columns.get(column)
            if values:
                indexes.update(values)
        sets.append(frozenset(indexes))
    return hash(tuple(sets))


def uptime_ticks(raw: RawSnmp) -> int | None:
    """sysUpTime in ticks, when the agent answered it with a number."""
    value = raw.scalars.get(SYS_UPTIME)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _interned(column: Mapping[str, SnmpValue]) -> dict[str, SnmpValue]:
    """The column with its indexes and text values interned.

    Tens of thousands of devices repeat the same indexes ("1", "2", ...) and mostly the same
    names ("GigabitEthernet1/0/1", "Black Cartridge", "C:\\ Label:..."): one copy each.
    """
    return {
        sys.intern(index): sys.intern(value) if isinstance(value, str) else value
        for index, value in column.items()
    }


@dataclass(slots=True)
class LabelCache:
    """One device's cached label columns and what decides when they are stale."""

    columns: dict[str, Mapping[str, SnmpValue]] | None = None
    signature: int = 0
    uptime: int | None = None
    age: int = 0  # polls since the labels were walked

    def due(self, refresh_polls: int) -> bool:
        """True when the next poll must be a full one (nothing cached, or cache too old)."""
        return self.columns is None or self.age >= max(refresh_polls, 1)

    def stale(self, raw: RawSnmp, plan: TwoSpeedPlan) -> str | None:
        """Why a fast poll's cached labels cannot be used, or None when they can."""
        ticks = uptime_ticks(raw)
        if ticks is not None and self.uptime is not None and ticks < self.uptime:
            return "sysUpTime went backwards"
        if row_signature(raw.columns, plan) != self.signature:
            return "the row index set changed"
        return None

    def remember(self, raw: RawSnmp, plan: TwoSpeedPlan, *, walked: bool) -> None:
        """Record a poll; `walked` when its raw data holds freshly walked label columns."""
        ticks = uptime_ticks(raw)
        if ticks is not None:
            self.uptime = ticks
        if walked:
            if raw.errors:
                # A partly failed walk may miss labels: use it now, walk again next poll.
                self.columns = None
            else:
                self.columns = {
                    c: _interned(raw.columns[c]) for c in plan.labels if c in raw.columns
                }
            self.signature = row_signature(raw.columns, plan)
            self.age = 0
        self.age += 1

    def merged(self, raw: RawSnmp, labels: Mapping[str, Mapping[str, SnmpValue]]) -> RawSnmp:
        """The fast poll's data plus label columns: what a full poll would have returned."""
        return RawSnmp(
            device=raw.device,
            started_ns=raw.started_ns,
            scalars=raw.scalars,
            columns={**raw.columns, **labels},
            errors=raw.errors,
        )
