"""The supervisor's silences and acknowledgements: `/api/v1/silences`, acks, the forms.

The supervisor owns the silence book (one list for the machine, one id per silence) and
keeps it in the configured `alerting.state_file` — the file a one-process daemon keeps its
silences in, so switching between one and N workers keeps them. Every change is pushed to
every running worker (`calls.py`'s `silences`: the whole set), and again to a worker when it
(re)starts; each worker's alert engine then mutes and re-marks its own alerts (`muted` in the
`alert` measurement) as a single process does. Alertmanager gets each silence once, from
here (workers do not mirror).

An acknowledgement names alerts, which live in the worker polling their device: it is sent
to every worker, each acknowledges what matches among its own alerts and keeps it in its
state file.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from lanpulse.alerts.control import alert_order, silence_json, silence_order
from lanpulse.alerts.mirror import AlertmanagerSilences, mirror_book
from lanpulse.alerts.silences import Matcher, SilenceBook
from lanpulse.alerts.store import FORMAT_VERSION, StateStore
from lanpulse.core.model import now_ns

log = logging.getLogger(__name__)
# op, args -> every answering worker's result
AskAll = Callable[[str, Mapping[str, Any]], Awaitable[list[Any]]]


class ClusterAlertControl:
    """`AlertControl` over N workers: the book here, the alerts there."""

    def __init__(
        self,
        ask_all: AskAll,
        state_file: Path | None,
        mirror: AlertmanagerSilences | None = None,
        clock: Callable[[], int] = now_ns,
    ) -> None:
        self.ask_all = ask_all
        self.store = StateStore(state_file) if state_file is not None else None
        self.mirror = mirror
        self.clock = clock
        self.book = SilenceBook()
        self._lock = asyncio.Lock()  # one change at a time: pushes arrive in order

    def follow(self, state_file: Path | None, mirror: AlertmanagerSilences | None) -> None:
        """A reloaded configuration: keep the book in its state file, mirror to its
        Alertmanager (the silences themselves stay)."""
        self.store = StateStore(state_file) if state_file is not None else None
        self.mirror = mirror
        self.save()

    def load(self) -> None:
        """The silences kept in the state file (none yet: an empty book)."""
        data = self.store.load() if self.store is not None else None
        if data is not None:
            self.book.restore({"silences": data.get("silences", {}).get("silences", [])})

    def save(self) -> None:
        """Keep the book in the state file; anything else in it stays as it was."""
        if self.store is None:
            return
        data = self.store.load() or {"version": FORMAT_VERSION, "alerts": []}
        kept = data.get("silences") or {}  # a one-process daemon's acks stay
        data["silences"] = {**kept, "silences": self.book.snapshot()["silences"]}
        try:
            self.store.save(data)
        except OSError as exc:
            log.error("cannot save the silences to %s: %s", self.store.path, exc)

    def snapshot(self) -> dict[str, Any]:
        """What a worker adopts."""
        return {"silences": self.book.snapshot()["silences"]}

    async def push(self) -> None:
        """Every running worker adopts the book now."""
        await self.ask_all("silences", self.snapshot())

    async def alerts(self) -> list[dict[str, Any]]:
        """Every worker's pending and firing alerts."""
        merged = [a for part in await self.ask_all("alerts", {}) for a in part]
        return sorted(merged, key=alert_order)

    async def silences(self) -> list[dict[str, Any]]:
        """Silences in force, to come, or ended within a day."""
        now = self.clock()
        return [
            silence_json(s, now) for s in sorted(self.book.silences.values(), key=silence_order)
        ]

    async def add_silence(
        self, matchers: tuple[Matcher, ...], duration_s: float, comment: str, by: str
    ) -> dict[str, Any]:
        """Silence `matchers` from now for `duration_s`, on every worker."""
        async with self._lock:
            now = self.clock()
            silence = self.book.add_from_now(matchers, now, duration_s, by, comment)
            await self._changed()
            return silence_json(self.book.silences[silence.id], now)

    async def expire_silence(self, silence_id: str, by: str) -> dict[str, Any] | None:
        """End a silence now on every worker; None when no silence has that id (prefix)."""
        async with self._lock:
            now = self.clock()
            ended = self.book.expire(silence_id, now)
            if ended is None:
                return None
            log.info("api: %s expired silence %s", by, ended.id)
            await self._changed()
            return silence_json(self.book.silences[ended.id], now)

    async def ack(self, ref: str, comment: str, by: str) -> list[str]:
        """Acknowledge, in whichever worker holds them, the firing alerts `ref` names."""
        args = {"ref": ref, "comment": comment, "by": by}
        return sorted({aid for ids in await self.ask_all("ack", args) for aid in ids})

    async def retry_dead_letters(self, by: str) -> int:
        """Every worker queues its dead-lettered notifications again; how many in all."""
        return sum(await self.ask_all("retry", {"by": by}))

    async def tick(self) -> None:
        """Mirror what is not mirrored yet, forget what ended a day ago (every few seconds)."""
        async with self._lock:
            before = self.book.snapshot()
            self.book.prune(self.clock())
            if self.mirror is not None:
                await mirror_book(self.book, self.mirror, self.clock())
            if self.book.snapshot() != before:
                self.save()
                await self.push()

    async def _changed(self) -> None:
        self.book.prune(self.clock())
        if self.mirror is not None:
            await mirror_book(self.book, self.mirror, self.clock())
        self.save()
        await self.push()
