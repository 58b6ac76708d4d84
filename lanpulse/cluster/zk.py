"""Poller groups on ZooKeeper: membership, shards among live members, session fencing.

Every member of a group reads the same inventory and registers an ephemeral znode
`<root>/groups/<group>/members/<name>`. Each member watches the group's members and polls
the devices of its `poller_group` whose topology root it wins by rendezvous hashing among
the live members (kazoo's `SetPartitioner` does the same with a lock dance; rendezvous
needs none: every member computes the same shards from the same member list).

Fencing: a member polls only while it holds proof that its session is alive -- a heartbeat
answered less than 2/3 of the session timeout ago. ZooKeeper expires a silent session only
after the whole timeout, and only then do the others take its devices, so a member that
was paused or cut off has stopped polling before anyone else starts. When the session is
LOST the member drops its shard at once and registers again.

ZooKeeper lost entirely (every connection attempt fails for a whole session timeout): the
member keeps polling the shard it had (stale-but-safe), says so in /healthz, and resumes
coordination when ZooKeeper is back (docs/scaling.md).
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

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import KazooException, NodeExistsError
from kazoo.recipe.watchers import ChildrenWatch
from kazoo.security import make_digest_acl

from lanpulse.cluster.state import AlertBoard, Entry, active_alerts, adopt, forget
from lanpulse.cluster.worker import ShardedDaemon
from lanpulse.config.cluster import ClusterSettings
from lanpulse.core.model import Device

log = logging.getLogger(__name__)
# Alert state reaches ZooKeeper this soon after a change (state.py); a taker reads it
# this long after a hand-over, once the giver has published its last word.
PUBLISH_EVERY_S = 0.25
HANDOVER_DELAY_S = 0.5
HANDOVER_KEEP_S = 10.0


def make_client(settings: ClusterSettings) -> KazooClient:
    """A kazoo client for the settings (TLS and digest auth when configured)."""
    auth = acl = None
    if settings.digest_user is not None and settings.password is not None:
        auth = [("digest", f"{settings.digest_user}:{settings.password.reveal()}")]
        # What a member creates only members (the same credentials) may read or change.
        acl = [make_digest_acl(settings.digest_user, settings.password.reveal(), all=True)]
    return KazooClient(
        hosts=settings.zookeeper,
        timeout=settings.session_timeout,
        auth_data=auth,
        default_acl=acl,
        use_ssl=settings.tls,
        ca=settings.ca_file,
        certfile=settings.cert_file,
        keyfile=settings.key_file,
        verify_certs=settings.verify_certs,
        # Reconnect for ever: losing ZooKeeper must never stop the poller.
        connection_retry={"max_tries": -1, "delay": 0.2, "max_delay": 2.0},
    )


class GroupMember:
    """One member of a poller group driving a ShardedDaemon's shard."""

    def __init__(self, settings: ClusterSettings, daemon: ShardedDaemon) -> None:
        self.settings = settings
        self.daemon = daemon
        self.client = make_client(settings)
        base = f"{settings.root}/groups/{settings.group}"
        self.members_path = f"{base}/members"
        self.node = f"{self.members_path}/{settings.name}"
        self.board = AlertBoard(self.client, f"{base}/alerts", settings.name)
        self.lease_s = settings.session_timeout * 2 / 3
        self.state = KazooState.LOST  # until the first session
        self.last_ok = float("-inf")  # monotonic time of the last answered heartbeat
        self.suspended_since: float | None = None
        self.registered = False
        self.live: list[str] = []
        self.rebalances = 0
        self.sessions_lost = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._handover: list[Entry] = []
        self._handover_until = 0.0
        self._leaving = False
        daemon.scheduler.gate = self.skip_reason

    # -- fencing -------------------------------------------------------------------------

    def stale(self) -> bool:
        """ZooKeeper unreachable for a whole session timeout: polling what we had."""
        since = self.suspended_since
        return (
            self.state == KazooState.SUSPENDED
            and since is not None
            and time.monotonic() - since > self.settings.session_timeout
        )

    def skip_reason(self, device: Device) -> str | None:
        """The scheduler's gate: None to poll, "fenced" while the session is not proven."""
        if self.state != KazooState.LOST and time.monotonic() - self.last_ok < self.lease_s:
            return None  # proven alive recently (also through a short disconnection)
        return None if self.stale() else "fenced"

    # -- kazoo callbacks (kazoo's thread) -> the event loop --------------------------------

    def _listener(self, state: str) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._on_state, state)

    def _watch(self, children: list[str]) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._on_members, sorted(children))

    def _on_state(self, state: str) -> None:
        if self._leaving:
            return
        previous, self.state = self.state, state
        if state == KazooState.SUSPENDED:
            self.suspended_since = time.monotonic()
            log.warning("zookeeper connection lost; polling continues while the session may live")
        elif state == KazooState.LOST:
            self.suspended_since = None
            self.registered = False
            if previous != KazooState.LOST:
                self.sessions_lost += 1
                log.error("zookeeper session lost: stopped polling, registering again")
            self._apply([])
        else:
            self.suspended_since = None
            if not self.registered:
                self._spawn(self._register())

    def _on_members(self, children: list[str]) -> None:
        self.live = children
        if self.registered and self.state == KazooState.CONNECTED:
            self._apply(children)

    # -- membership ---------------------------------------------------------------------

    def _apply(self, members: Sequence[str]) -> None:
        before = {d.name for d in self.daemon.owned(self.daemon.loaded.devices)}
        self.daemon.rebalance(members)
        after = {d.name for d in self.daemon.owned(self.daemon.loaded.devices)}
        self.rebalances += 1
        engine = self.daemon.alerting.service.engine
        released = before - after
        if released:
            # Published (and kept published a while) until the taker has read them.
            self._handover = active_alerts(engine, released)
            self._handover_until = time.monotonic() + HANDOVER_KEEP_S
            if self.state == KazooState.CONNECTED:
                entries = [*active_alerts(engine, after), *self._handover]
                self._spawn(asyncio.to_thread(self.board.publish, entries))
        forget(engine, released)
        if after - before:
            self._spawn(self._adopt(after - before))
        log.info(
            "group %s: %d members, polling %d devices (+%d -%d)",
            self.settings.group,
            len(members),
            len(after),
            len(after - before),
            len(before - after),
        )

    async def _adopt(self, devices: set[str]) -> None:
        await asyncio.sleep(HANDOVER_DELAY_S)
        devices &= {d.name for d in self.daemon.owned(self.daemon.loaded.devices)}
        try:
            entries = await asyncio.to_thread(self.board.read_others)
        except KazooException as exc:
            log.warning("alert state of moved devices not read: %s", exc)
            return
        n = adopt(self.daemon.alerting.service.engine, entries, devices, self.daemon.clock_ns())
        if n:
            log.info("took over %d active alerts with %d devices", n, len(devices))

    async def _register(self) -> None:
        """Create our ephemeral znode; wait while a previous incarnation's still exists."""
        value = json.dumps({"host": socket.gethostname(), "pid": os.getpid()}).encode()
        while not self.registered and self.state == KazooState.CONNECTED:
            try:
                await asyncio.to_thread(
                    self.client.create, self.node, value, ephemeral=True, makepath=True
                )
            except NodeExistsError:
                # Ours from a session that has not expired yet (a restart), or a duplicate
                # name: taking it over would let two processes poll the same shard.
                log.warning("member %s still registered by an older session; waiting", self.node)
                await asyncio.sleep(1)
                continue
            except KazooException as exc:
                log.warning("registration failed: %s; retrying", exc)
                await asyncio.sleep(1)
                continue
            self.registered = True
            self.last_ok = time.monotonic()
            self._apply(
                sorted(await asyncio.to_thread(self.client.get_children, self.members_path))
            )

    async def _heartbeat(self) -> None:
        """Prove the session alive often enough for the lease (see the module doc)."""
        every = self.settings.session_timeout / 6
        while True:
            sent = time.monotonic()
            if self.state == KazooState.CONNECTED:
                pending = self.client.exists_async(self.node)
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(pending.get, True, every * 2)
                    if pending.successful():
                        self.last_ok = sent
            await asyncio.sleep(max(0.0, every - (time.monotonic() - sent)))

    async def _publish(self) -> None:
        while True:
            await asyncio.sleep(PUBLISH_EVERY_S)
            if not self.registered or self.state != KazooState.CONNECTED:
                continue
            owned = {d.name for d in self.daemon.owned(self.daemon.loaded.devices)}
            entries = active_alerts(self.daemon.alerting.service.engine, owned)
            if time.monotonic() < self._handover_until:
                entries += self._handover
            with contextlib.suppress(KazooException):
                await asyncio.to_thread(self.board.publish, entries)

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
        self._spawn(self._heartbeat())
        self._spawn(self._publish())
        self._spawn(self._watch_members())

    async def _watch_members(self) -> None:
        while self.state != KazooState.CONNECTED:
            await asyncio.sleep(0.1)
        await asyncio.to_thread(self.client.ensure_path, self.members_path)
        ChildrenWatch(self.client, self.members_path, self._watch)

    async def stop(self) -> None:
        """Leave the group: close the session, so the others take over at once."""
        self._leaving = True
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.client.stop)
            await asyncio.to_thread(self.client.close)

    def stats(self) -> dict[str, float]:
        """Figures for /healthz and /metrics."""
        return {
            "zk_connected": float(self.state == KazooState.CONNECTED),
            "zk_stale": float(self.stale()),
            "zk_members": len(self.live),
            "zk_rebalances": self.rebalances,
            "zk_sessions_lost": self.sessions_lost,
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
    daemon = MemberDaemon(config_path, settings.name, [], group=settings.group)
    member = GroupMember(settings, daemon)
    daemon.member = member
    await member.start()
    try:
        return await daemon.run()
    finally:
        await member.stop()
