"""Poller groups on ZooKeeper: membership, shards among live members, fencing, hand-over.

Every member of a group reads the same inventory and registers an ephemeral znode
`<root>/groups/<group>/members/<name>`. Each member polls the devices of its
`poller_group` whose topology root it wins by rendezvous hashing among the live members
(kazoo's `SetPartitioner` does the same with a lock dance; rendezvous needs none: every
member computes the same shards from the same member list).

Versioned views. A view is the member list with the `cversion` of the members znode
(ZooKeeper raises it on every join and leave), read together with one `get_children`; a
member applies only views newer than the one it has, so late answers never undo a change.

Hand-over barrier. On a new view a member at once stops polling what is no longer its own,
publishes the alert state of those devices (state.py), then acknowledges the view by
writing its version into its own member znode. Devices new to it are held back until every
other member of the view has acknowledged that version or more (or has left: its znode is
gone with its session), so a giver has always stopped before its taker starts, also while
members re-partition after a ZooKeeper outage. The taker then adopts their alert state.

Fencing (fence.py): a member polls only while a lease proves that nobody can have taken
its devices: a request answered less than 2/3 of the session timeout ago, or every
ZooKeeper server refusing connections that recently (ZooKeeper entirely down: stale but
safe, and /healthz says so). A member whose session is LOST drops its shard at once and
registers again; its devices come back through the barrier.

The group's silences and acknowledgements are kept in step by group_silences.py; the
member starts it and picks the one member that mirrors them to Alertmanager. An
acknowledgement naming an alert of another member is resolved against the alert state the
others publish, and travels to its owner in that set. (~440 lines:
membership, views, barrier and lease glue are one protocol, read best in one file.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Sequence
from typing import Any

from kazoo.client import KazooState
from kazoo.exceptions import KazooException, NodeExistsError, NoNodeError

from lanpulse.alerts.control import ElsewhereUnavailable, FiringAlert
from lanpulse.cluster.fence import Fence, refused, servers_of
from lanpulse.cluster.group_silences import GroupSilences, SilenceZnode
from lanpulse.cluster.state import (
    AlertBoard,
    AlertIds,
    Entry,
    active_alerts,
    adopt,
    firing_alerts,
    forget,
)
from lanpulse.cluster.worker import ShardedDaemon
from lanpulse.cluster.zk_client import (
    make_client,
    on_negotiated_timeout,
    quiet_reconnects,
    tls_problem,
)
from lanpulse.config.cluster import ClusterSettings
from lanpulse.core.model import Device

log = logging.getLogger(__name__)
# Alert state reaches ZooKeeper this soon after a change (state.py); what a member gave
# away stays published this long, for a taker held back by a slow third member.
PUBLISH_EVERY_S = 0.25
HANDOVER_KEEP_S = 10.0
# How often a member holding devices back re-reads the others' acknowledgements.
ACK_POLL_S = 0.1


def member_data(view: int) -> bytes:
    """A member znode's content: who runs it and the newest view it acknowledged."""
    return json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "view": view}).encode()


def acknowledged(data: bytes | None) -> int:
    """The view a member znode acknowledges (-1: none, or not a member of this version)."""
    try:
        view = json.loads(data or b"{}").get("view", -1)
    except (ValueError, AttributeError):
        return -1
    return view if isinstance(view, int) else -1


class GroupMember:
    """One member of a poller group driving a ShardedDaemon's shard."""

    def __init__(self, settings: ClusterSettings, daemon: ShardedDaemon) -> None:
        self.settings = settings
        self.daemon = daemon
        self.client = make_client(settings)
        quiet_reconnects()
        base = f"{settings.root}/groups/{settings.group}"
        self.members_path = f"{base}/members"
        self.node = f"{self.members_path}/{settings.name}"
        self.board = AlertBoard(self.client, f"{base}/alerts", settings.name)
        self.silences = GroupSilences(
            SilenceZnode(self.client, f"{base}/silences"),
            lambda: daemon.alerting.service.book,
            daemon.alerting.control.book_changed,
            lambda: self.registered and self.state == KazooState.CONNECTED and daemon.ready,
        )
        self.fence = Fence(servers_of(settings.zookeeper), settings.session_timeout)
        on_negotiated_timeout(self.client, self._negotiated)
        self.state = KazooState.LOST  # until the first session
        self.registered = False
        self.live: list[str] = []
        self.view = -1  # cversion of the members znode in the applied view
        self.acked = -1  # the newest view written to our znode
        self.rebalances = 0
        self.sessions_lost = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._wake = asyncio.Event()  # the prover: check the session or probe now
        self._ack_lock = asyncio.Lock()
        self._handover: list[Entry] = []
        self._ids = AlertIds()  # of the alerts published four times a second
        self._handover_until = 0.0
        self._leaving = False
        daemon.scheduler.gate = self.skip_reason
        daemon.alerting.control.elsewhere = self.firing_elsewhere

    # -- fencing -------------------------------------------------------------------------

    def stale(self) -> bool:
        """Polling on the outage lease: every ZooKeeper server refuses connections."""
        return not self.fence.session_proven() and self.fence.outage_proven()

    def skip_reason(self, device: Device) -> str | None:
        """The scheduler's gate: None to poll, "fenced" while no lease holds."""
        return self.fence.reason()

    def _negotiated(self, seconds: float) -> None:  # kazoo's thread
        if abs(seconds - self.settings.session_timeout) > 0.001:
            log.warning(
                "zookeeper granted a %.1fs session timeout instead of %.1fs; fencing and "
                "fail-over follow it",
                seconds,
                self.settings.session_timeout,
            )
        self.fence.set_session_timeout(seconds)

    # -- kazoo callbacks (kazoo's thread) -> the event loop --------------------------------

    def _listener(self, state: str) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._on_state, state)

    def _children_changed(self, _event: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._spawn_refresh)

    def _on_state(self, state: str) -> None:
        if self._leaving:
            return
        previous, self.state = self.state, state
        self._wake.set()
        if state == KazooState.SUSPENDED:
            log.warning("zookeeper connection lost; polling continues while a lease holds")
        elif state == KazooState.LOST:
            self.fence.session_lost()
            self.registered = False
            self.view = self.acked = -1
            if previous != KazooState.LOST:
                self.sessions_lost += 1
                log.error("zookeeper session lost: stopped polling, registering again")
            self._apply([], -1)
        elif not self.registered:
            self._spawn(self._register())
        else:
            self._spawn_refresh()  # reconnected: re-read the view (watches may have fired)
            self.silences.wake()

    # -- membership ---------------------------------------------------------------------

    def _spawn_refresh(self) -> None:
        self._spawn(self._refresh())

    async def _refresh(self) -> None:
        """Read the members and their version, and watch them."""
        if not self.registered or self.state != KazooState.CONNECTED:
            return
        try:
            children, stat = await asyncio.to_thread(
                self.client.get_children,
                self.members_path,
                watch=self._children_changed,
                include_data=True,
            )
        except KazooException as exc:
            log.warning("group members not read: %s", exc)
            return
        if self.registered and self.state == KazooState.CONNECTED and stat.cversion > self.view:
            self._apply(sorted(children), stat.cversion)

    def _apply(self, members: Sequence[str], view: int) -> None:
        """Stop at once what is not ours in `view`; hold back what is new to us."""
        devices = self.daemon.loaded.devices
        before = {d.name for d in self.daemon.owned(devices)}
        target = {d.name for d in self.daemon.target(devices, members)}
        keep = before & target
        self.daemon.rebalance(members, held=target - keep)
        self.live, self.view = list(members), view
        # Alertmanager gets the group's silences from its first live member only.
        self.daemon.mirroring(bool(members) and members[0] == self.settings.name)
        self.rebalances += 1
        engine = self.daemon.alerting.service.engine
        released = before - keep
        if released:
            # Published (and kept published a while) until the taker has read them.
            self._handover = active_alerts(engine, released)
            self._handover_until = time.monotonic() + HANDOVER_KEEP_S
        forget(engine, released)
        log.info(
            "group %s: %d members (view %d), polling %d devices (-%d, %d held until released)",
            self.settings.group,
            len(members),
            view,
            len(keep),
            len(released),
            len(target - keep),
        )
        if view >= 0:
            self._spawn(self._hand_over(list(members), view, keep))

    async def _hand_over(self, members: list[str], view: int, keep: set[str]) -> None:
        """Publish, acknowledge `view`, wait for the others' acknowledgements, then poll
        the held devices with the alert state their previous owners published."""
        engine = self.daemon.alerting.service.engine
        try:
            entries = [*active_alerts(engine, keep), *self._handover]
            await asyncio.to_thread(self.board.publish, entries)
            async with self._ack_lock:  # acknowledgements never go backwards
                if view != self.view:
                    return
                if view > self.acked:
                    await asyncio.to_thread(self.client.set, self.node, member_data(view))
                    self.acked = view
            others = [m for m in members if m != self.settings.name]
            while not await asyncio.to_thread(self._all_acknowledged, others, view):
                if view != self.view:
                    return  # a newer view took over
                await asyncio.sleep(ACK_POLL_S)
            held = set(self.daemon.held)
            if view != self.view or not held:
                return
            with contextlib.suppress(TimeoutError):  # adopted alerts meet their silences
                await asyncio.wait_for(self.silences.synced.wait(), self.settings.session_timeout)
            others_entries = await asyncio.to_thread(self.board.read_others)
        except KazooException as exc:
            log.warning("hand-over of view %d interrupted: %s", view, exc)
            return  # a session problem: the state listener takes it from here
        if view != self.view:
            return
        n = adopt(engine, others_entries, held, self.daemon.clock_ns())
        self.daemon.rebalance(members)
        log.info(
            "group %s: view %d released by all, polling %d more devices%s",
            self.settings.group,
            view,
            len(held),
            f" with {n} active alerts" if n else "",
        )

    def _all_acknowledged(self, others: Sequence[str], view: int) -> bool:
        """Every other member acknowledged `view` or a newer one, or has left."""
        for other in others:
            try:
                data, _ = self.client.get(f"{self.members_path}/{other}")
            except NoNodeError:
                continue  # its session ended: it stopped before ZooKeeper let it go
            if acknowledged(data) < view:
                return False
        return True

    async def _register(self) -> None:
        """Create our ephemeral znode, and count as registered only once ZooKeeper shows it
        owned by the session we have now: a create that was answered just before a session
        loss (on a starved machine its LOST event can come seconds later) made a znode that
        died with that session, and a create that came after the reconnect already made ours.
        """
        while not self.registered and self.state == KazooState.CONNECTED:
            try:
                with contextlib.suppress(NodeExistsError):
                    await asyncio.to_thread(
                        self.client.create,
                        self.node,
                        member_data(-1),
                        ephemeral=True,
                        makepath=True,
                    )
                stat = await asyncio.to_thread(self.client.exists, self.node)
            except KazooException as exc:
                log.warning("registration failed: %s; retrying", exc)
                await asyncio.sleep(1)
                continue
            session = self.client.client_id
            if stat is None or self.state != KazooState.CONNECTED:
                continue  # gone with a lost session: create it again
            if session is None or stat.ephemeralOwner != session[0]:
                # An older session of ours that has not expired yet (a restart), or a
                # duplicate name: taking it over would let two processes poll one shard.
                log.warning("member %s still registered by an older session; waiting", self.node)
                await asyncio.sleep(1)
                continue
            self.registered = True
            self.silences.wake()
            await self._refresh()

    async def _prove(self) -> None:
        """Keep the fence's leases fresh: a request while connected, probes while not."""
        while True:
            every = self.fence.lease_s / 4
            sent = time.monotonic()
            if self.state == KazooState.CONNECTED:
                pending = self.client.exists_async(self.members_path)
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(pending.get, True, every * 2)
                    if pending.successful():
                        self.fence.answered(sent)
            elif self.state == KazooState.SUSPENDED:
                for server in self.fence.servers:
                    started = time.monotonic()
                    was_refused = await asyncio.to_thread(refused, server, every)
                    self.fence.probed(server, started, was_refused)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(), max(0.0, every - (time.monotonic() - sent))
                )

    async def _publish(self) -> None:
        while True:
            await asyncio.sleep(PUBLISH_EVERY_S)
            if not self.registered or self.state != KazooState.CONNECTED:
                continue
            owned = {d.name for d in self.daemon.owned(self.daemon.loaded.devices)}
            entries = active_alerts(self.daemon.alerting.service.engine, owned, self._ids)
            if time.monotonic() < self._handover_until:
                entries += self._handover
            with contextlib.suppress(KazooException):
                await asyncio.to_thread(self.board.publish, entries)

    async def firing_elsewhere(self) -> list[FiringAlert]:
        """The firing alerts the other live members publish (as of their last publication:
        at most PUBLISH_EVERY_S old), for an acknowledgement that names none of ours.
        Dead members' znodes stay readable for hand-overs but are left out: what they
        published is the past."""
        if not self.registered or self.state != KazooState.CONNECTED:
            raise ElsewhereUnavailable("not connected to zookeeper")
        others = [m for m in self.live if m != self.settings.name]
        if not others:
            return []
        try:
            entries = await asyncio.to_thread(self.board.read_others, others)
        except KazooException as exc:
            raise ElsewhereUnavailable(str(exc) or type(exc).__name__) from exc
        return firing_alerts(entries)

    def _spawn(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[call-overload]
        self._tasks.append(task)
        task.add_done_callback(lambda t: self._tasks.remove(t) if t in self._tasks else None)

    # -- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Connect in the background: an absent ZooKeeper delays polling, never the start."""
        self._loop = asyncio.get_running_loop()
        self.client.add_listener(self._listener)
        self.client.start_async()
        self._spawn(self._prove())
        self._spawn(self._publish())
        self._spawn(self.silences.run())

    async def stop(self) -> None:
        """Leave the group: write the last silence changes, close the session, so the
        others take over at once."""
        self._leaving = True
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.silences.flush(), self.settings.session_timeout)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.client.stop)
            await asyncio.to_thread(self.client.close)

    def stats(self) -> dict[str, float]:
        """Figures for /healthz and /metrics."""
        return {
            "zk_connected": float(self.state == KazooState.CONNECTED),
            "zk_stale": float(self.stale()),
            "zk_fenced": float(self.fence.reason() is not None),
            "zk_members": len(self.live),
            "zk_view": self.view,
            "zk_held": len(self.daemon.held),
            "zk_rebalances": self.rebalances,
            "zk_sessions_lost": self.sessions_lost,
            **self.silences.stats(),
        }


class MemberDaemon(ShardedDaemon):
    """A ShardedDaemon whose /healthz and /metrics tell its ZooKeeper state."""

    member: GroupMember | None = None

    def all_stats(self) -> dict[str, float]:
        out = super().all_stats()
        if self.member is not None:
            out.update(self.member.stats())
        return out

    def healthy(self) -> bool:
        """Degraded (503) while not coordinated: polling stale or fenced."""
        member = self.member
        coordinated = member is None or member.state == KazooState.CONNECTED
        return super().healthy() and coordinated


async def run_member(config_path: str) -> int:
    """Join the configured poller group and poll this member's shard until stopped."""
    from lanpulse.config.loader import load_config

    settings = load_config(config_path).settings.cluster
    assert settings is not None
    problem = await asyncio.to_thread(tls_problem, settings, config_path)
    if problem is not None:
        raise problem  # a set-up that can never connect: one line, not a retry loop
    daemon = MemberDaemon(config_path, settings.name, [], group=settings.group)
    member = GroupMember(settings, daemon)
    daemon.member = member
    await member.start()
    try:
        return await daemon.run()
    finally:
        await member.stop()
