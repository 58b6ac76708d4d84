"""Per-second rates from consecutive polls: wrap-aware, reset-aware, never impossible.

State is kept per device in memory (the daemon holds one `RateState` per device). A rate
needs two polls; the first poll of a series has none. A counter that went down is a wrap
only for 32-bit counters (a 64-bit counter cannot wrap within a human lifetime at 400
Gbit/s), and only when the device did not restart; otherwise it is a reset and that
interval has no rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from lanpulse.core.profile import RateSpec

WRAP_32 = 2**32


class RateRule(NamedTuple):
    """A `RateSpec` as a plain tuple: read once per row, so attribute access stays cheap."""

    counter: str
    rate: str
    scale: float
    max_field: str | None
    util: str | None


def rate_rules(specs: Sequence[RateSpec]) -> tuple[RateRule, ...]:
    """The rules of a metric's rate specs, in order (compile once, apply every poll)."""
    return tuple(RateRule(s.counter, s.rate, s.scale, s.max_field, s.util) for s in specs)


@dataclass(slots=True)
class SeriesState:
    """The previous poll of one series: its time, counters, identity and discontinuity.

    `counters` holds one value per rule of `rules` (None where the poll had no integer),
    a tuple rather than a dict: an estate keeps hundreds of thousands of these.
    """

    time_ns: int
    rules: tuple[RateRule, ...]
    counters: tuple[int | None, ...]
    identity: tuple[str, ...]
    discontinuity: object = None

    def previous(self, rules: tuple[RateRule, ...]) -> tuple[int | None, ...]:
        """The previous counters lined up with `rules` (which a profile reload may change)."""
        if rules is self.rules or rules == self.rules:
            return self.counters
        by_name = {r.counter: v for r, v in zip(self.rules, self.counters, strict=True)}
        return tuple(by_name.get(r.counter) for r in rules)


@dataclass(slots=True)
class RateState:
    """All series of one device, plus the device's last sysUpTime (for restart detection)."""

    series: dict[tuple[str, str], SeriesState] = field(default_factory=dict)
    uptime_s: float | None = None
    restarted: bool = False

    def observe_uptime(self, uptime_s: float | None) -> None:
        """Note this poll's uptime; a smaller one than last time means the device restarted."""
        self.restarted = (
            uptime_s is not None and self.uptime_s is not None and uptime_s < self.uptime_s
        )
        if uptime_s is not None:
            self.uptime_s = uptime_s


def counter_delta(prev: int, cur: int, bits: int | None) -> int | None:
    """The increase from prev to cur, or None when the counter was reset."""
    if cur >= prev:
        return cur - prev
    if bits == 32 and prev < WRAP_32:
        return cur + WRAP_32 - prev
    return None


def apply_rates(
    state: RateState,
    key: tuple[str, str],
    time_ns: int,
    fields: dict[str, int | float],
    counter_bits: dict[str, int],
    specs: Sequence[RateSpec],
    identity: tuple[str, ...] = (),
    discontinuity: object = None,
) -> None:
    """Add rate (and utilisation) fields to `fields` in place and remember this poll."""
    apply_rate_rules(
        state, key, time_ns, fields, counter_bits, rate_rules(specs), identity, discontinuity
    )


def apply_rate_rules(
    state: RateState,
    key: tuple[str, str],
    time_ns: int,
    fields: dict[str, int | float],
    counter_bits: dict[str, int],
    rules: tuple[RateRule, ...],
    identity: tuple[str, ...] = (),
    discontinuity: object = None,
) -> None:
    """`apply_rates` with compiled rules: the parser's per-row path."""
    values = [fields.get(rule.counter) for rule in rules]
    counters = tuple([v if type(v) is int else _counter(v) for v in values])
    series = state.series.get(key)
    if series is None:
        state.series[key] = SeriesState(time_ns, rules, counters, identity, discontinuity)
        return
    # Updated in place: no new object per series and poll for the garbage collector.
    prev_time, previous = series.time_ns, series.previous(rules)
    same_entity = series.identity == identity and series.discontinuity == discontinuity
    series.time_ns, series.rules, series.counters = time_ns, rules, counters
    series.identity, series.discontinuity = identity, discontinuity
    if state.restarted or not same_entity:
        return
    elapsed = (time_ns - prev_time) / 1e9
    if elapsed <= 0:
        return
    for (counter, rate_field, scale, max_field, util), cur, old in zip(
        rules, counters, previous, strict=True
    ):
        if cur is None or old is None:
            continue
        if cur >= old:
            delta = cur - old
        else:  # a wrap or a reset
            wrapped = counter_delta(old, cur, counter_bits.get(counter))
            if wrapped is None:
                continue
            delta = wrapped
        rate = delta * scale / elapsed
        ceiling = fields.get(max_field) if max_field else None
        if isinstance(ceiling, (int, float)) and ceiling > 0:
            # Above the link speed is impossible: a missed reset or a bad agent. Drop it.
            if rate > ceiling * 1.01:
                continue
            if util:
                share = min(rate / ceiling * 100, 100.0)
                fields[util] = round(share, 3) if delta else share
        # round() is the dearest step of a rate; an idle counter's 0.0 needs none.
        fields[rate_field] = round(rate, 3) if delta else rate


def _counter(value: int | float | None) -> int | None:
    """A counter's value when the field holds an integer (rates need exact counters)."""
    return int(value) if isinstance(value, int) else None
