"""The status page of a supervisor: its workers' state, asked for and merged per request.

Each worker keeps the state of the devices it polls (`EstateView`, its alert engine); the
supervisor asks every running worker over its pipe (`calls.py`) and merges: device rows
concatenated then sorted by the one `sort_rows`, summary counts added up by the one
`merge_parts`, a device's page from the worker that has it. A worker that is restarting
is left out of the answer (the self page shows it as restarting) rather than holding up
the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from lanpulse.cluster.silences import AskAll, ClusterAlertControl
from lanpulse.web.estate import merge_parts, sort_rows
from lanpulse.web.status import build_summary


class WorkerFacts(Protocol):
    """What the self page shows of one worker (`supervisor.WorkerSlot`)."""

    def facts(self) -> dict[str, Any]:
        """id, pid, state, restarts, devices, polls, polls/s, lateness, spool backlog."""
        ...


class ClusterStatus:
    """`StatusSource` of a supervisor."""

    def __init__(
        self,
        ask_all: AskAll,
        control: ClusterAlertControl,
        stats: Callable[[], Mapping[str, object]],
        healthy: Callable[[], bool],
        slots: Sequence[WorkerFacts],
    ) -> None:
        self.ask_all = ask_all
        self._control = control
        self._stats = stats
        self.healthy = healthy
        self.slots = slots

    @property
    def control(self) -> ClusterAlertControl:
        """The supervisor's silences and acknowledgements."""
        return self._control

    def stats(self) -> Mapping[str, object]:
        """The summed counters."""
        return self._stats()

    async def alerts(self) -> list[dict[str, Any]]:
        """Every worker's pending and firing alerts."""
        return await self._control.alerts()

    async def summary(self) -> dict[str, Any]:
        """The summary over every worker's devices and receivers."""
        parts = await self.ask_all("part", {})
        return build_summary(
            self._stats(),
            self.healthy(),
            merge_parts(parts),
            await self.alerts(),
            merge_notifiers(p["notifiers"] for p in parts),
        )

    async def rows(self, filters: Mapping[str, str], sort: str) -> list[dict[str, Any]]:
        """Every worker's rows matching `filters`, sorted together."""
        parts = await self.ask_all("rows", {"filters": dict(filters)})
        return sort_rows([row for part in parts for row in part], sort)

    async def device(self, name: str) -> dict[str, Any] | None:
        """The device's page from the worker that polls it."""
        found = [d for d in await self.ask_all("device", {"name": name}) if d is not None]
        return found[0] if found else None

    def workers(self) -> dict[str, Any]:
        """One row per worker."""
        return {"mode": f"{len(self.slots)} workers", "workers": [s.facts() for s in self.slots]}


def merge_notifiers(parts: Any) -> dict[str, dict[str, object]]:
    """Per receiver over the workers: counts added up, failing when any worker's is."""
    out: dict[str, dict[str, object]] = {}
    for part in parts:
        for name, health in part.items():
            mine = out.setdefault(name, {})
            for key, value in health.items():
                if isinstance(value, bool):
                    mine[key] = bool(mine.get(key)) or value
                elif isinstance(value, int | float):
                    old = mine.get(key, 0)
                    mine[key] = (old if isinstance(old, int | float) else 0) + value
                else:
                    mine.setdefault(key, value)
    return out


def lateness_of(stats: Mapping[str, float]) -> dict[str, float]:
    """A worker's scheduler lateness from its histogram: mean, and polls more than 1 s late."""
    count = stats.get("poll_lateness_seconds_count", 0.0)
    total = stats.get("poll_lateness_seconds_sum", 0.0)
    within_1s = stats.get('poll_lateness_seconds_bucket{le="1"}', count)
    return {"mean_s": total / count if count else 0.0, "over_1s": count - within_1s}


def rate(points: Sequence[tuple[float, float]]) -> float:
    """Per second over (time, running total) points, oldest first (0 with fewer than two)."""
    if len(points) < 2 or points[-1][0] <= points[0][0]:
        return 0.0
    return (points[-1][1] - points[0][1]) / (points[-1][0] - points[0][0])
