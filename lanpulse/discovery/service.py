"""Scheduled discovery inside the daemon (`discovery.interval`).

Every cycle sweeps `discovery.subnets` and crawls `discovery.seeds`, merges what it found
into the inventory file (hand edits kept, nothing removed) and, when the file changed,
asks the daemon to reload: new devices are polled like after a SIGHUP. Devices its sweeps
no longer find get `vanished_since` and a `discovery` sample each cycle (`missing`, then
`vanished` after `discovery.vanished_after`, which the `device_vanished` rule alerts on).
The endpoint table is refreshed on its own, slower cycle.

A failing cycle is logged and retried at the next one: discovery never stops the daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lanpulse.config.settings import LoadedConfig
from lanpulse.core.errors import LanpulseError
from lanpulse.core.model import Sample, make_sample
from lanpulse.discovery.inventory_file import Change, merge, read_entries
from lanpulse.discovery.records import CRAWL_SOURCES
from lanpulse.discovery.runner import DiscoveryRun, now_text

log = logging.getLogger("lanpulse.discovery")


@dataclass(slots=True)
class CycleOutcome:
    """What one cycle changed and the samples it produced."""

    changes: list[Change] = field(default_factory=list)
    written: bool = False
    reload: bool = False  # devices changed (not only `discovered:` times): reload the config
    samples: list[Sample] = field(default_factory=list)


class DiscoveryService:
    """Runs discovery cycles for the daemon; `clock` gives Unix seconds (tests inject it)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._endpoints_due = 0.0

    async def cycle(self, loaded: LoadedConfig) -> CycleOutcome:
        """One sweep + crawl + merge (+ endpoint refresh when due)."""
        settings = loaded.settings.discovery
        job = DiscoveryRun(loaded)
        found = await job.discover(sweep=bool(job.sweep_scope), seeds=settings.seeds)
        output = Path(settings.output)
        entries = read_entries(output)
        own = {str(e.get("name")) for e in entries}
        now = self.clock()

        def may_vanish(entry: Mapping[str, Any]) -> bool:
            source = (entry.get("discovered") or {}).get("source")
            return source in CRAWL_SOURCES and job.sweep_scope.allows(str(entry.get("address")))

        result = merge(
            entries,
            found,
            now=now_text(now),
            may_vanish=may_vanish,
            elsewhere=[(d.name, d.address) for d in loaded.devices if d.name not in own],
        )
        outcome = CycleOutcome(changes=result.changes)
        for change in result.changes:
            log.warning("discovery: %s", change.line())
        if result.changes or (found and result.entries != entries):
            await asyncio.to_thread(job.write_checked, output, result.entries)
            outcome.written = True
            outcome.reload = bool(result.changes)
        outcome.samples = self.samples(result.entries, loaded, now)
        if now >= self._endpoints_due:
            self._endpoints_due = now + settings.endpoints.interval
            log.info("discovery: %s", await job.refresh_endpoints_async(now))
        return outcome

    def samples(
        self, entries: Sequence[Mapping[str, Any]], loaded: LoadedConfig, now: float
    ) -> list[Sample]:
        """One `discovery` sample per device discovery manages (0 while it is found)."""
        after = loaded.settings.discovery.vanished_after
        classes = {d.name: d.device_class for d in loaded.devices}
        out = []
        for entry in entries:
            facts = entry.get("discovered") or {}
            if facts.get("source") not in CRAWL_SOURCES:
                continue
            name = str(entry.get("name"))
            since = _seconds(facts.get("vanished_since"))
            missing = max(0.0, now - since) if since is not None else 0.0
            tags = {"device": name, "class": entry.get("class") or classes.get(name) or "other"}
            fields = {
                "missing": int(since is not None),
                "vanished": int(since is not None and missing >= after),
                "missing_seconds": round(missing, 3),
            }
            out.append(make_sample("discovery", tags, fields, int(now * 1e9)))
        return out

    async def run(
        self,
        current: Callable[[], LoadedConfig],
        emit: Callable[[Sequence[Sample]], object],
        reload: Callable[[], Awaitable[bool]],
        stop: asyncio.Event,
    ) -> None:
        """Cycle every `discovery.interval` (read again after each reload) until `stop`."""
        while not stop.is_set():
            loaded = current()
            interval = loaded.settings.discovery.interval
            if interval is None:
                return
            try:
                outcome = await self.cycle(loaded)
            except LanpulseError as exc:
                log.error("discovery cycle failed: %s", exc)
            except Exception:  # the daemon's boundary: a discovery bug must not stop polling
                log.exception("discovery cycle failed")
            else:
                emit(outcome.samples)
                if outcome.reload:
                    await reload()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)


def _seconds(text: object) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
