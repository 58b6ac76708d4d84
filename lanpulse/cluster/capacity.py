"""What an estate costs to poll: polls per second, cores, and how many workers to run.

The per-poll CPU costs are the whole pipeline's (plan, collect, parse, rates, line
protocol, spool, writer) as benchmarks/estate.py measured them on 2026-11-26 on this
2-core VM, the upper end of each range (benchmarks/README.md); SSH-CLI polls cost what
benchmarks/cli.py measured against fakenos with persistent sessions. Scheduling, alert
evaluation and shipping are the headroom: a worker is sized to keep its core at most
TARGET_BUSY busy, which also absorbs a box ~1.3x slower than the one measured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lanpulse.core.model import Device

# ms of CPU per SNMP poll, by device class (None: the profile decides; the dearest class).
SNMP_POLL_MS: dict[str | None, float] = {
    "switch": 5.4,
    "storage": 5.4,
    "printer": 3.0,
    "ups": 3.0,
    "desktop": 2.1,
    "server": 2.1,
    "other": 5.4,
    None: 5.4,
}
# SNMPv3 authPriv over v2c: snmp_exporter's measured ratio for the same work (2.9 / 2.6
# cores, issue 15), until lanpulse's own v3 estate figure replaces it.
V3_FACTOR = 1.12
CLI_POLL_MS = 50.0  # SSH-CLI, persistent session, 7 commands (benchmarks/README.md)
# 0.6 puts the Met estate (425 polls/s) at 1.66 cores: the single daemon was measured at
# 262 polls/s on one full core (issue 15), 1.62 cores for the same estate.
TARGET_BUSY = 0.6


@dataclass(frozen=True)
class Capacity:
    """The estimate for a set of devices."""

    devices: int
    polls_per_s: float
    cores: float  # CPU seconds per second

    @property
    def workers(self) -> int:
        """Worker processes that keep each core at most TARGET_BUSY busy."""
        return max(1, math.ceil(self.cores / TARGET_BUSY))

    def line(self, cpu_count: int) -> str:
        """The `lanpulse check` line."""
        return (
            f"capacity: {self.polls_per_s:.1f} polls/s, ~{self.cores:.2f} cores of CPU "
            f"(measured per-class costs); daemon.workers {min(self.workers, cpu_count)} by "
            f"default on this {cpu_count}-core machine"
            + (
                f", {self.workers} cores needed: add machines (docs/scaling.md)"
                if self.workers > cpu_count
                else ""
            )
        )


def poll_cost_ms(device: Device) -> float:
    """Estimated CPU milliseconds of one poll of the device."""
    cost = 0.0
    if device.snmp is not None:
        cost += SNMP_POLL_MS.get(device.device_class, SNMP_POLL_MS[None])
        if device.snmp.version == "3":
            cost *= V3_FACTOR
    if device.ssh is not None:
        cost += CLI_POLL_MS
    return cost


def estimate(devices: Sequence[Device]) -> Capacity:
    """Polls per second and cores for the devices, at their intervals."""
    polled = [d for d in devices if d.snmp is not None or d.ssh is not None]
    rate = sum(1.0 / d.interval_s for d in polled)
    cores = sum(poll_cost_ms(d) / d.interval_s for d in polled) / 1000.0
    return Capacity(len(polled), rate, cores)
