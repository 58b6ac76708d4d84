"""Per-second rates from consecutive polls: wrap-aware, reset-aware, never impossible.

State is kept per device in memory (the daemon holds one `RateState` per device). A rate
needs two polls; the first poll of a series has none. A counter that went down is a wrap
only for 32-bit counters (a 64-bit counter cannot wrap within a human lifetime at 400
Gbit/s), and only when the device did not restart; otherwise it is a reset and that
interval has no rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lanpulse.core.profile import RateSpec

WRAP_32 = 2**32


@dataclass(slots=True)
class SeriesState:
    """The previous poll of one series: its time, counters, identity and discontinuity."""

    time_ns: int
    counters: dict[str, int]
    identity: tuple[str, ...]
    discontinuity: object = None


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
    specs: list[RateSpec],
    identity: tuple[str, ...] = (),
    discontinuity: object = None,
) -> None:
    """Add rate (and utilisation) fields to `fields` in place and remember this poll."""
    counters = {
        s.counter: fields[s.counter] for s in specs if isinstance(fields.get(s.counter), int)
    }
    prev = state.series.get(key)
    state.series[key] = SeriesState(time_ns, counters, identity, discontinuity)  # type: ignore[arg-type]
    if prev is None or state.restarted:
        return
    if prev.identity != identity or prev.discontinuity != discontinuity:
        return
    elapsed = (time_ns - prev.time_ns) / 1e9
    if elapsed <= 0:
        return
    for spec in specs:
        cur = counters.get(spec.counter)
        old = prev.counters.get(spec.counter)
        if cur is None or old is None:
            continue
        delta = counter_delta(int(old), int(cur), counter_bits.get(spec.counter))
        if delta is None:
            continue
        rate = delta * spec.scale / elapsed
        ceiling = fields.get(spec.max_field) if spec.max_field else None
        if isinstance(ceiling, int | float) and ceiling > 0:
            # Above the link speed is impossible: a missed reset or a bad agent. Drop it.
            if rate > ceiling * 1.01:
                continue
            if spec.util:
                fields[spec.util] = round(min(rate / ceiling * 100, 100.0), 3)
        fields[spec.rate] = round(rate, 3)
