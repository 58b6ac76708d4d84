"""What the status page and its API read, apart from the HTTP side (no aiohttp, no Jinja2:
a supervisor's worker keeps a `LocalStatus` without serving it).

`StatusSource` is the pages' one read interface: `LocalStatus` answers from one process's
state; a supervisor's `ClusterStatus` (`lanpulse.cluster.status`) asks its workers and merges.
`AlertControl` is what the silence/ack API and forms drive.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from lanpulse.alerts.silences import Matcher
from lanpulse.web.device_view import device_detail
from lanpulse.web.endpoints_view import PortEndpoints
from lanpulse.web.estate import EstateView


class AlertControl(Protocol):
    """What the API drives: `lanpulse.alerts.control.AlertController` in one process, a
    supervisor's `lanpulse.cluster.silences.ClusterAlertControl` over its workers."""

    async def alerts(self) -> list[dict[str, Any]]:
        """Pending and firing alerts."""
        ...

    async def silences(self) -> list[dict[str, Any]]:
        """Silences, most recent last."""
        ...

    async def add_silence(
        self, matchers: tuple[Matcher, ...], duration_s: float, comment: str, by: str
    ) -> dict[str, Any]:
        """Add a silence starting now."""
        ...

    async def expire_silence(self, silence_id: str, by: str) -> dict[str, Any] | None:
        """Expire a silence; None when unknown."""
        ...

    async def ack(self, ref: str, comment: str, by: str) -> list[str]:
        """Acknowledge alerts; the ids acknowledged. ElsewhereUnavailable when none is
        here and a poller group's other members cannot be asked."""
        ...

    async def retry_dead_letters(self, by: str) -> int:
        """Queue dead-lettered notifications again; how many."""
        ...


class StatusSource(Protocol):
    """What the pages and their API read: a daemon's state, never a database.

    `LocalStatus` reads the one process's own state; a supervisor's `ClusterStatus`
    (`lanpulse.cluster.status`) asks its workers and merges their answers.
    """

    @property
    def control(self) -> AlertControl | None:
        """Silences and acknowledgements (None without alerting)."""
        ...

    def stats(self) -> Mapping[str, object]:
        """Every counter (the self page's table)."""
        ...

    async def summary(self) -> dict[str, Any]:
        """The estate summary (`/` and `/api/v1/summary`)."""
        ...

    async def rows(self, filters: Mapping[str, str], sort: str) -> list[dict[str, Any]]:
        """The devices table, filtered and sorted."""
        ...

    async def device(self, name: str) -> dict[str, Any] | None:
        """One device's page data, None when unknown."""
        ...

    async def alerts(self) -> list[dict[str, Any]]:
        """Pending and firing alerts (none without alerting)."""
        ...

    def workers(self) -> dict[str, Any]:
        """The self page's workers section: the mode and one row per worker process."""
        ...


def build_summary(
    stats: Mapping[str, object],
    healthy: bool,
    estate: Mapping[str, object],
    alerts: list[dict[str, Any]],
    notifiers: object,
) -> dict[str, Any]:
    """The summary from the counters, the estate's counts and the alerts (one process or
    a supervisor's merged workers)."""
    firing: dict[str, int] = {}
    for a in alerts:
        if a["state"] == "firing":
            firing[a["severity"]] = firing.get(a["severity"], 0) + 1
    return {
        "health": "ok" if healthy else "degraded",
        **estate,
        "polls": {k: stats.get(k, 0) for k in ("polls", "polls_failed", "polls_skipped")},
        "spool": {k: v for k, v in stats.items() if k.startswith("spool_")},
        "writer": {k: v for k, v in stats.items() if k.startswith(("points_", "write_", "queue_"))},
        "notifiers": notifiers,
        "firing": firing,
    }


@dataclass(frozen=True, slots=True)
class LocalStatus:
    """The status of one process: its `EstateView`, counters and alert control."""

    estate: EstateView
    stats: Callable[[], Mapping[str, object]]
    healthy: Callable[[], bool]
    control: AlertControl | None
    config_path: str | None = None
    ports: PortEndpoints = field(default_factory=lambda: PortEndpoints(None))

    async def alerts(self) -> list[dict[str, Any]]:
        """Pending and firing alerts (none without alerting)."""
        return await self.control.alerts() if self.control is not None else []

    async def summary(self) -> dict[str, Any]:
        """The estate summary (`/` and `/api/v1/summary`)."""
        stats = self.stats()
        return build_summary(
            stats,
            self.healthy(),
            self.estate.summary(),
            await self.alerts(),
            stats.get("notifiers", {}),
        )

    async def rows(self, filters: Mapping[str, str], sort: str) -> list[dict[str, Any]]:
        """The devices table, filtered and sorted."""
        return self.estate.rows(filters, sort)

    async def device(self, name: str) -> dict[str, Any] | None:
        """One device's page data, None when unknown."""
        view = self.estate.views.get(name)
        if view is None:
            return None
        detail = device_detail(view, await self.alerts(), self.config_path, time.time())
        detail["endpoints"] = self.ports.of(name)
        detail["port"] = self.ports.port_of(name)
        return detail

    def workers(self) -> dict[str, Any]:
        """One process: no workers."""
        return {"mode": "one process", "workers": []}
