"""Silences and acknowledgements shared by every member of a poller group.

The group's set lives in one znode, `<root>/groups/<group>/silences` (silence_set.py's
shape). Every member watches it and adopts the whole set on each change, so a silence made
through any member's API mutes the alerts of every member, and an acknowledgement stays
with its alert when the device moves.

A member's own book stays where the API and the alert engine use it; a quarter second
after it changes (an API call, an alert that resolved and ended its acknowledgement, the
Alertmanager id of a mirrored silence) the change is merged into the znode with a
version-checked set, read again on a version conflict, so two members changing at once
lose nothing. While ZooKeeper is away the book keeps working alone and its changes are
written once the session is back (one log line, not one per attempt).

Alertmanager gets each silence from one member only: the first of the live members by
name (the one whose `mirroring` the member turns on), so N members do not post N copies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, KazooException, NodeExistsError, NoNodeError

from lanpulse.alerts.silences import SilenceBook
from lanpulse.cluster.silence_set import SilenceSet, changes, decode, into_book, merge, pruned
from lanpulse.core.model import now_ns

log = logging.getLogger(__name__)
# A change reaches the znode this soon (the same pace as the alert state, state.py).
SYNC_EVERY_S = 0.25
FAILED_RETRY_S = 2.0


class SilenceZnode:
    """The group's silence znode (blocking kazoo calls: run them off the event loop)."""

    def __init__(self, client: KazooClient, path: str) -> None:
        self.client = client
        self.path = path
        self.conflicts = 0  # version conflicts met (another member wrote in between)

    def merge_in(self, delta: SilenceSet, now: int, watch: Callable[[Any], None]) -> SilenceSet:
        """Merge `delta` into the znode (compare-and-set on its version, retried on a
        conflict; pruned of what ended a day ago); the group's set as written or read.
        Re-arms `watch` on the znode."""
        while True:
            try:
                raw, stat = self.client.get(self.path, watch=watch)
            except NoNodeError:
                fresh = pruned(merge(SilenceSet(), delta), now)
                try:
                    self.client.create(self.path, fresh.encode(), makepath=True)
                except NodeExistsError:
                    continue  # another member created it first: merge into theirs
                self.client.exists(self.path, watch=watch)
                return fresh
            group = decode(raw)
            merged = pruned(merge(group, delta), now)
            data = merged.encode()
            if data == raw:
                return merged
            try:
                self.client.set(self.path, data, version=stat.version)
            except BadVersionError:
                self.conflicts += 1
                continue
            return merged


class GroupSilences:
    """Keeps a member's silence book and the group's znode in step."""

    def __init__(
        self,
        znode: SilenceZnode,
        book: Callable[[], SilenceBook],
        adopted: Callable[[], None],
        connected: Callable[[], bool],
        clock: Callable[[], int] = now_ns,
    ) -> None:
        self.znode = znode
        self.book = book  # the live book (a reload keeps the same one)
        self.adopted = adopted  # re-mark alerts and save the state file
        self.connected = connected
        self.clock = clock
        # The group's set as this member last adopted it. At the first sync, what the state
        # file held: its silences are written through (a merge cannot undo an expiry), its
        # acknowledgements are not (the group's, with their release marks, replace them).
        self.base = SilenceSet()
        self.writes = 0
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._failing = False
        self._started = False
        # Set once the group's set was read: a member takes devices over only then, so an
        # alert it adopts is never evaluated without the silences that muted it.
        self.synced = asyncio.Event()

    def wake(self) -> None:
        """Sync now (the znode changed, or the session is back); any thread."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def _watch(self, _event: object) -> None:  # kazoo's thread
        self.wake()

    def pending(self) -> SilenceSet:
        """This member's changes not yet in the group's set."""
        return changes(self.book(), self.base, self.clock())

    async def run(self) -> None:
        """Sync whenever woken, or when the book changed (checked every SYNC_EVERY_S)."""
        self._loop = asyncio.get_running_loop()
        self._wake.set()  # read the group's set as soon as connected
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), SYNC_EVERY_S)
            if not self.connected():  # the wake stays set until it can be served
                if self.synced.is_set() and not self.pending().empty():
                    self._fail("no zookeeper session", kept=True)
                await asyncio.sleep(SYNC_EVERY_S)
                continue
            if not self._wake.is_set() and self.pending().empty():
                continue
            self._wake.clear()
            await self.sync()
            if self._failing:  # a refusal while connected (an ACL of other credentials)
                await asyncio.sleep(FAILED_RETRY_S)  # is retried, not flooded

    async def sync(self) -> None:
        """Merge this member's changes into the znode and adopt the group's set."""
        if not self._started:  # the state file is loaded by now (`connected` waits for it)
            self.base = SilenceSet(acks=dict(self.book().acks))
            self._started = True
        delta = self.pending()
        try:
            group = await asyncio.to_thread(self.znode.merge_in, delta, self.clock(), self._watch)
        except KazooException as exc:
            self._fail(str(exc) or type(exc).__name__, kept=not delta.empty())
            self._wake.set()  # try again once connected
            return
        if self._failing:
            log.info("group silences synced with zookeeper again")
        self._failing = False
        self.synced.set()
        if not delta.empty():
            self.writes += 1
        # Changes made while the write was under way are kept on top of the group's set.
        mine = merge(group, self.pending())
        self.base = group
        if into_book(self.book(), mine):
            self.adopted()

    async def flush(self) -> None:
        """Write what is pending now (the member leaves the group: its last change, made
        within the quarter second before, must not be left behind)."""
        if self.connected() and not self.pending().empty():
            await self.sync()

    def _fail(self, reason: str, kept: bool) -> None:
        """One line per outage, not one per attempt."""
        if not self._failing:
            what = "changes kept here, written when it is back" if kept else "using the last set"
            log.warning("group silences not synced with zookeeper (%s): %s", reason, what)
        self._failing = True

    def stats(self) -> dict[str, float]:
        """Figures for /healthz and /metrics."""
        book = self.book()
        return {
            "zk_silences": len(book.silences),
            "zk_silence_writes": self.writes,
            "zk_silence_conflicts": self.znode.conflicts,
            "zk_silences_pending": float(not self.pending().empty()),
        }
