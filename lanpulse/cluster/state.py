"""The small alert state a device takes along when it moves to another member.

Each member publishes the active alerts (pending, firing, or still notified) of the
devices it polls to one znode of its own, `<root>/groups/<group>/alerts/<member>`, within
a quarter second of a change. A member that gives devices away publishes their last state
at once and then forgets them (so it neither resolves them nor calls them absent); the
member that takes them over adopts their entries from the other members' znodes half a
second later -- the dead member's znode stays, being persistent -- so a firing alert keeps
firing without a second page. A member killed within a quarter second of a notification
may have that notification sent again by its successor: delivery is at least once.

The published entries also tell the other members which alerts fire where: an
acknowledgement made through any member is resolved against them (zk.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError, NoNodeError

from lanpulse.alerts.control import FiringAlert
from lanpulse.alerts.engine import INACTIVE, AlertEngine, AlertKey, AlertState
from lanpulse.alerts.identity import alert_id
from lanpulse.alerts.matcher import CompiledRule
from lanpulse.alerts.store import FORMAT_VERSION, alert_item, restore

log = logging.getLogger(__name__)
Entry = dict[str, Any]


class AlertIds:
    """The alert ids of what a member publishes, kept from one publication to the next.

    An id hashes the alert's labels, which an AlertState keeps for life (its rule and
    series; a reload makes new states with new rules), so each is computed once rather than
    four times a second. Per publication of 1,000 firing alerts, JSON included (callgrind,
    20 publications): 41.3M instructions without ids, 71.0M hashing them every time, 50.3M
    with this memo.
    """

    def __init__(self) -> None:
        self._known: dict[AlertKey, tuple[CompiledRule, str]] = {}

    def of(self, engine: AlertEngine, states: Sequence[AlertState]) -> list[str]:
        """The ids of `states`; only theirs are kept for the next call."""
        fresh: dict[AlertKey, tuple[CompiledRule, str]] = {}
        for st in states:
            known = self._known.get(st.key)
            if known is None or known[0] is not st.cr:
                known = (st.cr, alert_id(engine.labels(st)))
            fresh[st.key] = known
        self._known = fresh
        return [fresh[st.key][1] for st in states]


def active_alerts(
    engine: AlertEngine, devices: Collection[str], ids: AlertIds | None = None
) -> list[Entry]:
    """The alerts worth handing over: not inactive, or still believed by notifiers. Each
    carries its alert id too, so that another member can resolve an acknowledgement's
    reference against it (`firing_alerts`); `ids` remembers them between calls."""
    states = [
        st
        for st in engine.alerts.values()
        if st.tags.get("device") in devices and (st.state != INACTIVE or st.notified_as)
    ]
    aids = (ids or AlertIds()).of(engine, states)
    return [{**alert_item(st), "alert_id": aid} for st, aid in zip(states, aids, strict=True)]


def firing_alerts(entries: Iterable[Entry]) -> list[FiringAlert]:
    """The firing alerts among published entries, once each (a device handed over is
    published by its giver for a while, and by its taker)."""
    out: dict[str, FiringAlert] = {}
    for e in entries:
        aid = e.get("alert_id")
        if e.get("state") == "firing" and isinstance(aid, str):
            out[aid] = FiringAlert(aid, str(e.get("rule")), e.get("tags", {}).get("device"))
    return list(out.values())


def adopt(
    engine: AlertEngine, entries: Iterable[Entry], devices: Collection[str], now_ns: int
) -> int:
    """Load the entries of `devices` into a running engine; returns how many."""
    latest: dict[str, Entry] = {}  # a device that moved twice: its newest entry wins
    for e in entries:
        if e.get("tags", {}).get("device") not in devices:
            continue
        key = json.dumps([e.get("rule"), e.get("tags")], sort_keys=True)
        if key not in latest or e.get("last_seen_ns", 0) > latest[key].get("last_seen_ns", 0):
            latest[key] = e
    mine = list(latest.values())
    if not mine:
        return 0
    return restore(engine, {"version": FORMAT_VERSION, "alerts": mine}, now_ns)


def forget(engine: AlertEngine, devices: Collection[str]) -> int:
    """Drop every trace of `devices` from the engine (they are polled elsewhere now)."""
    gone = [k for k, st in engine.alerts.items() if st.tags.get("device") in devices]
    for key in gone:
        st = engine.alerts.pop(key)
        engine._pending.discard(key)
        engine._attention.discard(key)
        if st.state != INACTIVE:
            engine._down.discard(st.tags.get("device", ""))
    for key in [k for k, (_, tags) in engine._absent_seen.items() if tags.get("device") in devices]:
        del engine._absent_seen[key]
    return len(gone)


class AlertBoard:
    """The group's alert znodes (blocking kazoo calls: run them off the event loop)."""

    def __init__(self, client: KazooClient, path: str, me: str) -> None:
        self.client = client
        self.path = path
        self.me = me
        self._published: bytes | None = None

    def publish(self, entries: list[Entry]) -> bool:
        """Write this member's entries when they changed; True when written."""
        data = json.dumps(entries, sort_keys=True).encode()
        if data == self._published:
            return False
        node = f"{self.path}/{self.me}"
        try:
            self.client.set(node, data)
        except NoNodeError:
            try:
                self.client.create(node, data, makepath=True)
            except NodeExistsError:
                self.client.set(node, data)
        self._published = data
        return True

    def read_others(self, only: Collection[str] | None = None) -> list[Entry]:
        """Every other member's published entries (dead members' included), or those of
        the members in `only`."""
        out: list[Entry] = []
        try:
            children = self.client.get_children(self.path)
        except NoNodeError:
            return out
        for child in children:
            if child == self.me or (only is not None and child not in only):
                continue
            try:
                data, _ = self.client.get(f"{self.path}/{child}")
                out.extend(json.loads(data or b"[]"))
            except (NoNodeError, ValueError):
                continue
        return out
