"""Poller groups on a real ZooKeeper (Debian's zookeeperd jars) with real member processes
polling a real snmpsim agent; pages go to a real SMTP server (aiosmtpd).

Each member keeps its samples in its own spool, which shows who polled what, when.
Intervals are 1 s and session timeouts 2 s to keep the file fast.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lanpulse.sim.alerting import SmtpSink
from lanpulse.sim.snmpsim import SnmpSimAgent
from lanpulse.sim.zookeeper import JARS, ZooKeeper
from tests._cluster import Member, double_polls, email_alerting, merged, printers
from tests._daemon import device_line, wait_for, write_config

if TYPE_CHECKING:
    import asyncio

    from lanpulse.cluster.zk import MemberDaemon

pytestmark = pytest.mark.skipif(
    not (JARS / "zookeeper.jar").exists(), reason="zookeeperd missing (see .ci/run)"
)
NAMES = [f"printer-{i}" for i in range(8)]
OTHER = ["branch-0", "branch-1"]
SESSION_S = 2.0


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    with printers(tmp_path_factory.mktemp("zk-agent"), [*NAMES, *OTHER]) as served:
        yield served


@pytest.fixture(scope="module")
def zk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZooKeeper]:
    with ZooKeeper(tmp_path_factory.mktemp("zk")) as server:
        yield server


def polled_since(members: list[Member], since_ns: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for device, polls in merged(members).items():
        counts[device] = sum(1 for t, _ in polls if t > since_ns)
    return counts


def all_polled_since(members: list[Member], names: list[str], since_ns: int, n: int = 2) -> bool:
    counts = polled_since(members, since_ns)
    return all(counts.get(name, 0) >= n for name in names)


def pages(smtp: SmtpSink, device: str) -> list[str]:
    """Subjects of the mails about a device (a printer on this loaded machine can miss a
    1 s deadline now and then, and page too)."""
    return [m.subject for m in smtp.mails() if device in m.subject]


def test_members_join_leave_die_and_groups_stay_apart(
    zk: ZooKeeper, agent: SnmpSimAgent, tmp_path: Path
) -> None:
    devices = [device_line(n, agent.port) for n in NAMES]
    devices += [device_line(n, agent.port, poller_group="branch") for n in OTHER]
    # A device that never answers, to fire an alert that must survive its hand-over.
    devices.append(device_line("dead-0", 9, interval="2s"))
    with SmtpSink() as smtp:
        alerting = email_alerting(tmp_path, smtp.port)

        def member(name: str, group: str = "default") -> Member:
            return Member(
                tmp_path, name, zk.hosts, devices, group=group, root="/t1", extra=alerting
            )

        site = [member("m1"), member("m2")]
        branch = member("b1", group="branch")
        everyone = [*site, branch]
        try:
            for m in everyone:
                m.start()
            t0 = time.time_ns()
            wait_for(lambda: all_polled_since(site, NAMES, t0), 30)
            wait_for(lambda: len(pages(smtp, "dead-0")) == 1, 30)  # dead-0 is down: one page
            # A member joins: the shards rebalance, no device is lost.
            site.append(member("m3"))
            everyone.append(site[-1])
            site[-1].start()
            wait_for(lambda: site[2].health()[1].get("devices", 0) > 0, 30)
            t1 = time.time_ns()
            wait_for(lambda: all_polled_since(site, NAMES, t1), 30)
            # A member leaves cleanly (SIGTERM): its devices move at once.
            site[1].process.signal(signal.SIGTERM)
            assert site[1].process.wait(30) == 0
            t2 = time.time_ns()
            wait_for(lambda: all_polled_since(site, NAMES, t2), 30)
            # kill -9 the owner of dead-0: the survivor takes over within the session
            # timeout plus an interval, and keeps the firing alert without a second page.
            live = [m for m in site if not m.process.proc_done()]
            wait_for(lambda: all_polled_since(live, ["dead-0"], t2, 1), 30)
            owner = next(m for m in live if any(t > t2 for t in m.polls().get("dead-0", [])))
            owner.process.kill()
            killed = time.time_ns()
            survivor = next(m for m in site if m is not owner and not m.process.proc_done())
            wait_for(lambda: all_polled_since([survivor], [*NAMES, "dead-0"], killed, 1), 30)
            taken = max(min(t for t, _ in merged([survivor])[n] if t > killed) for n in [*NAMES])
            print(f"kill -9: its devices polled again after {(taken - killed) / 1e9:.1f}s")
            assert (taken - killed) / 1e9 < SESSION_S + 2 * 1.0 + 2.0  # + process slack
            time.sleep(3)
            assert len(pages(smtp, "dead-0")) == 1
            # Never two members in one slot; groups never cross.
            assert double_polls(everyone) == []
            for m in site:
                assert not set(m.polls()) & set(OTHER), m.name
            assert set(branch.polls()) == set(OTHER)
        finally:
            for m in everyone:
                m.process.kill()


def test_a_paused_member_stops_polling_before_its_devices_move(
    zk: ZooKeeper, agent: SnmpSimAgent, tmp_path: Path
) -> None:
    devices = [device_line(n, agent.port) for n in NAMES]
    a = Member(tmp_path, "p1", zk.hosts, devices, root="/t2")
    b = Member(tmp_path, "p2", zk.hosts, devices, root="/t2")
    try:
        a.start()
        b.start()
        t0 = time.time_ns()
        wait_for(lambda: all_polled_since([a, b], NAMES, t0), 30)
        wait_for(lambda: b.health()[1].get("devices", 0) > 0, 30)
        assert b.process.proc is not None
        b.process.proc.send_signal(signal.SIGSTOP)
        stopped = time.time_ns()
        # Past its session timeout: a takes everything over.
        wait_for(lambda: all_polled_since([a], NAMES, stopped, 2), 30)
        b.process.proc.send_signal(signal.SIGCONT)
        wait_for(lambda: "zookeeper session lost" in b.process.log(), 30)
        wait_for(lambda: b.health()[1].get("zk_sessions_lost", 0) >= 1, 30)
        time.sleep(3)  # it registers again and polls a new shard
        assert double_polls([a, b]) == []
        # Not one poll between the pause and the moment it learned its session was lost.
        lost_line = next(x for x in b.process.log().splitlines() if "session lost" in x)
        lost_at = datetime.strptime(lost_line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        resumed = sorted(t for polls in b.polls().values() for t in polls if t > stopped)
        assert resumed, "it polls its new shard again"
        assert resumed[0] / 1e9 > lost_at
        fenced = b.health()[1].get('polls_skipped_by_reason{reason="fenced"}', 0)
        print(f"paused member: first poll {resumed[0] / 1e9 - lost_at:.2f}s after it learned")
        print(f"its session was lost; {fenced:.0f} polls fenced")
    finally:
        if b.process.proc is not None and b.process.proc.poll() is None:
            b.process.proc.send_signal(signal.SIGCONT)
        a.process.kill()
        b.process.kill()


def test_zookeeper_lost_keeps_polling_and_resumes(
    zk: ZooKeeper, agent: SnmpSimAgent, tmp_path: Path
) -> None:
    devices = [device_line(n, agent.port) for n in NAMES]
    members = [Member(tmp_path, f"z{i}", zk.hosts, devices, root="/t3") for i in (1, 2)]
    try:
        for m in members:
            m.start()
        t0 = time.time_ns()
        wait_for(lambda: all(m.health()[1].get("zk_members", 0) == 2 for m in members), 30)
        wait_for(lambda: all_polled_since(members, NAMES, t0), 30)
        zk.stop()
        down = time.time_ns()
        # Stale-but-safe: each keeps polling what it had, and says so.
        wait_for(lambda: all(m.health()[1].get("zk_stale") == 1 for m in members), 30)
        assert all(m.health()[0] == 503 for m in members)
        stale = time.time_ns()
        wait_for(lambda: all_polled_since(members, NAMES, stale), 30)
        zk.start()
        wait_for(lambda: all(m.health()[0] == 200 for m in members), 30)
        back = time.time_ns()
        wait_for(lambda: all_polled_since(members, NAMES, back), 30)
        assert double_polls(members) == []
        print(f"zookeeper down {(back - down) / 1e9:.1f}s")
    finally:
        for m in members:
            m.process.kill()


def test_a_member_back_after_its_session_expired_never_polls_beside_its_taker(
    zk: ZooKeeper, agent: SnmpSimAgent, tmp_path: Path
) -> None:
    """The case that once gave double polls after an outage: ZooKeeper comes back, one
    member reconnects at once, the other (paused here, as a slow reconnect) too late: its
    session expires and its devices move. Resumed, it must not poll on its stale shard, and
    takes its new shard only once the other has let it go (the hand-over barrier)."""
    devices = [device_line(n, agent.port) for n in NAMES]
    late, prompt = (Member(tmp_path, f"y{i}", zk.hosts, devices, root="/t5") for i in (1, 2))
    members = [late, prompt]
    try:
        for m in members:
            m.start()
        assert late.process.proc is not None
        t0 = time.time_ns()
        wait_for(lambda: all(m.health()[1].get("zk_members", 0) == 2 for m in members), 30)
        wait_for(lambda: all_polled_since(members, NAMES, t0), 30)
        zk.stop()
        wait_for(lambda: all(m.health()[1].get("zk_stale") == 1 for m in members), 30)
        late.process.proc.send_signal(signal.SIGSTOP)
        stopped = time.time_ns()
        zk.start()
        back = time.time_ns()
        # Its session expires a timeout after ZooKeeper is back; the other polls everything.
        wait_for(lambda: all_polled_since([prompt], NAMES, back, 2), 60)
        late.process.proc.send_signal(signal.SIGCONT)
        wait_for(lambda: "zookeeper session lost" in late.process.log(), 30)
        relost = time.time_ns()
        wait_for(lambda: late.health()[1].get("devices", 0) > 0, 30)
        wait_for(lambda: all_polled_since(members, NAMES, relost, 2), 30)
        assert double_polls(members) == []
        lost_line = next(x for x in late.process.log().splitlines() if "session lost" in x)
        lost_at = datetime.strptime(lost_line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        after = sorted(t for polls in late.polls().values() for t in polls if t > stopped)
        assert after and after[0] / 1e9 > lost_at, "no poll on the stale shard once resumed"
        fenced = late.health()[1].get('polls_skipped_by_reason{reason="fenced"}', 0)
        print(
            f"late member: {fenced:.0f} polls fenced, first poll of its new shard "
            f"{after[0] / 1e9 - lost_at:.2f}s after it learned its session was lost"
        )
    finally:
        if late.process.proc is not None and late.process.proc.poll() is None:
            late.process.proc.send_signal(signal.SIGCONT)
        for m in members:
            m.process.kill()


async def test_a_taker_holds_devices_until_their_giver_acknowledges(
    zk: ZooKeeper, agent: SnmpSimAgent, tmp_path: Path
) -> None:
    """The hand-over barrier in one process: member `a` (a real GroupMember on a real
    ShardedDaemon, its scheduler not started) joins a group where `x` is registered. `x` is
    a bare kazoo client standing in for a member that has not applied the new view yet: it
    acknowledges only when the test says so."""
    import asyncio
    import json

    from kazoo.client import KazooClient

    from lanpulse.cluster.zk import GroupMember, MemberDaemon
    from lanpulse.config.loader import load_config

    devices = [device_line(n, agent.port) for n in NAMES]
    cluster = f"cluster: {{zookeeper: '{zk.hosts}', name: a, root: /t6, session_timeout: 2s}}"
    config = write_config(tmp_path / "lanpulse.yaml", devices, interval="1s", extra=cluster)
    x = KazooClient(hosts=zk.hosts)
    x.start(10)
    x.create(
        "/t6/groups/default/members/x",
        json.dumps({"view": -1}).encode(),
        makepath=True,
        ephemeral=True,
    )
    settings = load_config(str(config)).settings.cluster
    assert settings is not None
    daemon = MemberDaemon(str(config), "a", [], group="default")
    member = GroupMember(settings, daemon)
    daemon.member = member

    async def until(check, timeout_s: float = 20.0) -> None:  # type: ignore[no-untyped-def]
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not check():
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)

    await member.start()
    try:
        await until(lambda: member.live == ["a", "x"])
        mine = {d.name for d in daemon.target(daemon.loaded.devices, ["a", "x"])}
        assert mine and daemon.held == mine
        await asyncio.sleep(1.0)
        assert set(daemon.scheduler.devices) == set(), "held while x has not acknowledged"
        x.set("/t6/groups/default/members/x", json.dumps({"view": member.view}).encode())
        await until(lambda: set(daemon.scheduler.devices) == mine)
        x.delete("/t6/groups/default/members/x")  # x leaves: a takes everything at once
        await until(lambda: set(daemon.scheduler.devices) == set(NAMES))
        assert member.skip_reason(daemon.loaded.devices[0]) is None  # its session is proven
    finally:
        await member.stop()
        x.stop()
        x.close()


async def test_a_registration_answered_just_before_a_session_loss_is_made_again(
    zk: ZooKeeper, agent: SnmpSimAgent, tmp_path: Path
) -> None:
    """On a starved machine a member's create was answered, then its session expired and
    kazoo reconnected with a new one before the member's loop ran again: the znode died
    with the old session. Seen once in the 20-run loop: the member believed it was
    registered and stayed out of the group for good. Here the create is followed, in
    kazoo's thread, by a real session expiry (ZooKeeper closes the session when another
    client opens it with its id and closes it); the answer reaches the loop between the
    session's loss and kazoo's reconnect."""
    import asyncio

    from kazoo.client import KazooClient, KazooState

    from lanpulse.cluster.zk import GroupMember, MemberDaemon
    from lanpulse.config.loader import load_config

    devices = [device_line(n, agent.port) for n in NAMES]
    cluster = f"cluster: {{zookeeper: '{zk.hosts}', name: r, root: /t7, session_timeout: 2s}}"
    config = write_config(tmp_path / "lanpulse.yaml", devices, interval="1s", extra=cluster)
    settings = load_config(str(config)).settings.cluster
    assert settings is not None
    daemon = MemberDaemon(str(config), "r", [], group="default")
    member = GroupMember(settings, daemon)
    daemon.member = member
    original = member.client.create
    states: list[str] = []
    member.client.add_listener(states.append)

    def create_then_lose_the_session(*args: object, **kwargs: object) -> object:
        result = original(*args, **kwargs)
        if not states.count(KazooState.LOST):
            thief = KazooClient(hosts=zk.hosts, client_id=member.client.client_id)
            thief.start(10)
            thief.stop()  # closes the session: ZooKeeper drops its ephemeral znode
            thief.close()
            deadline = time.monotonic() + 20
            while KazooState.LOST not in states:  # back on the loop before the reconnect
                assert time.monotonic() < deadline, states
                time.sleep(0.05)
        return result

    member.client.create = create_then_lose_the_session  # type: ignore[method-assign]
    await member.start()
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while not (member.registered and member.live == ["r"] and daemon.scheduler.devices):
            assert asyncio.get_running_loop().time() < deadline, (states, member.live)
            await asyncio.sleep(0.1)
        stat = member.client.exists(member.node)
        assert stat is not None and stat.ephemeralOwner == member.client.client_id[0]
        assert member.sessions_lost == 1
    finally:
        await member.stop()


def test_digest_auth_keeps_the_group_to_its_members(zk: ZooKeeper) -> None:
    from kazoo.client import KazooClient
    from kazoo.exceptions import NoAuthError

    from lanpulse.cluster.zk_client import make_client
    from lanpulse.config.cluster import ClusterSettings
    from lanpulse.core.model import Secret

    settings = ClusterSettings(
        zookeeper=zk.hosts, digest_user="lanpulse", digest_password=Secret("zk-s3cret")
    )
    member = make_client(settings)
    member.start(10)
    outsider = KazooClient(hosts=zk.hosts)
    outsider.start(10)
    try:
        member.create("/t4/groups/default/members/m1", b"x", makepath=True, ephemeral=True)
        assert member.get("/t4/groups/default/members/m1")[0] == b"x"
        with pytest.raises(NoAuthError):
            outsider.get("/t4/groups/default/members/m1")
        with pytest.raises(NoAuthError):
            outsider.create("/t4/groups/default/members/intruder")
        # The group's silences carry the same ACL (group_silences.py creates them).
        from lanpulse.cluster.group_silences import SilenceZnode
        from lanpulse.cluster.silence_set import SilenceSet

        SilenceZnode(member, "/t4/groups/default/silences").merge_in(
            SilenceSet(), 0, lambda _e: None
        )
        with pytest.raises(NoAuthError):
            outsider.get("/t4/groups/default/silences")
    finally:
        member.stop()
        outsider.stop()


# -- silences and acknowledgements shared by the group (cluster/group_silences.py) -------

TOKEN = "t0ken-of-alice"
SLOW_DOWN_RULES = """\
rules:
  - {name: device_down, measurement: device, field: up, below: 1, for: 3s, severity: critical,
     summary: "{device} does not answer"}
"""


def api(port: int, method: str, path: str, body: object | None = None) -> Any:
    """One call to a member's /api/v1 as the token `alice` (blocking: run it in a thread)."""
    import json
    import urllib.request

    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


async def test_a_silence_made_on_one_member_mutes_the_group_across_a_hand_over(
    zk: ZooKeeper, tmp_path: Path
) -> None:
    """Members `a` and `b` (real GroupMembers on real daemons, in this event loop: their
    HTTP APIs, alert engines and mail are real) poll devices that never answer. A silence
    made through a's API reaches b's `/api/v1/silences` and mutes b's alerts; an
    acknowledgement made on a survives its alert's move; when a stops, b keeps a's muted
    alerts muted. Alertmanager (Debian's prometheus-alertmanager) gets the silence once."""
    import asyncio

    from lanpulse.sim.alerting import Alertmanager
    from tests._daemon import until

    quiet = [f"quiet-{i}" for i in range(4)]
    loud = [f"loud-{i}" for i in range(3)]
    # Port 9 (discard) answers no SNMP: every device is down, device_down fires after 3 s.
    devices = [device_line(n, 9) for n in [*quiet, *loud]]

    async def start(name: str, am_url: str, smtp_port: int) -> tuple[MemberDaemon, int]:
        return await alerting_member(
            tmp_path / name,
            zk,
            devices,
            tasks,
            name,
            root="/t8",
            rules=SLOW_DOWN_RULES,
            smtp_port=smtp_port,
            repeat="1h",
            am_url=am_url,
        )

    async def stop(daemon: MemberDaemon, task: asyncio.Task[int]) -> None:
        daemon.request_stop()
        assert await asyncio.wait_for(task, 30) == 0
        assert daemon.member is not None
        await daemon.member.stop()

    async def call(port: int, method: str, path: str, body: object | None = None) -> Any:
        return await asyncio.to_thread(api, port, method, path, body)

    async def alerts(port: int) -> dict[str, dict[str, Any]]:
        return {a["labels"]["device"]: a for a in await call(port, "GET", "/api/v1/alerts")}

    def am_silences(am: Alertmanager) -> list[dict[str, Any]]:
        import json
        import urllib.request

        with urllib.request.urlopen(f"{am.url}/api/v2/silences", timeout=5) as resp:
            return [s for s in json.load(resp) if s["status"]["state"] == "active"]

    tasks: list[asyncio.Task[int]] = []
    with SmtpSink() as smtp, Alertmanager(tmp_path / "am") as am:
        t0 = time.monotonic()
        (a, a_port), (b, b_port) = [await start(n, am.url, smtp.port) for n in ("a", "b")]
        try:
            # The silence is made at once through a's API, well before anything fires.
            await until(lambda: a.member is not None and a.member.registered, 20)
            made = await call(
                a_port,
                "POST",
                "/api/v1/silences",
                {"matchers": "device=~quiet-.*", "duration": "1h", "comment": "planned"},
            )
            everything = {*quiet, *loud}

            def both_polling() -> bool:
                owned = set(a.scheduler.devices) | set(b.scheduler.devices)
                return owned == everything and bool(a.scheduler.devices and b.scheduler.devices)

            await until(both_polling, 20)
            # b lists it (from the group's znode), and it mutes b's own quiet alerts.
            deadline = time.monotonic() + 10
            while [s["id"] for s in await call(b_port, "GET", "/api/v1/silences")] != [made["id"]]:
                assert time.monotonic() < deadline, (
                    a.member.silences.stats(),
                    b.member.silences.stats(),
                )
                await asyncio.sleep(0.1)
            print(f"b lists a's silence {time.monotonic() - t0:.1f}s after the start")
            b_quiet = [d for d in quiet if d in b.scheduler.devices]
            a_quiet = [d for d in quiet if d in a.scheduler.devices]
            a_loud = [d for d in loud if d in a.scheduler.devices]
            assert b_quiet and a_quiet and a_loud, (a.scheduler.devices, b.scheduler.devices)

            async def firing(port: int, names: list[str]) -> bool:
                got = await alerts(port)
                return all(got.get(n, {}).get("state") == "firing" for n in names)

            deadline = time.monotonic() + 20
            while not (await firing(b_port, b_quiet) and await firing(a_port, [*a_quiet, *a_loud])):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.2)
            assert all(
                v["mutedBy"] == made["id"]
                for k, v in (await alerts(b_port)).items()
                if k in b_quiet
            )
            # An acknowledgement on a (a person is on it) for one of a's paged alerts.
            await until(lambda: len(pages(smtp, a_loud[0])) == 1, 20)
            acked = await call(
                a_port,
                "POST",
                "/api/v1/acks",
                {"alert": f"device_down/{a_loud[0]}", "comment": "on it"},
            )
            assert len(acked) == 1
            # Alertmanager got the silence from one member (a, the first by name), and b
            # learned its Alertmanager id through the znode.
            await until(lambda: len(am_silences(am)) == 1, 20)

            async def b_knows_the_mirror() -> bool:
                (s,) = await call(b_port, "GET", "/api/v1/silences")
                return bool(s["alertmanagerId"])

            deadline = time.monotonic() + 20
            while not await b_knows_the_mirror():
                assert time.monotonic() < deadline
                await asyncio.sleep(0.2)
            # a stops: its devices move to b with their alerts, and stay muted / acked. The
            # ack is usually still waiting for a's next quarter-second sync here: a writes
            # it on its way out (GroupSilences.flush), before its session closes.
            await stop(a, tasks[0])
            await until(lambda: set(b.scheduler.devices) == everything, 20)
            moved = time.monotonic()
            deadline = moved + 20
            while not await firing(b_port, [*a_quiet, *a_loud]):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.2)
            await asyncio.sleep(3)  # b polls them 3 times: a lost silence would page now
            now = await alerts(b_port)
            assert {d: now[d]["mutedBy"] for d in quiet} == {d: made["id"] for d in quiet}
            assert now[a_loud[0]]["ackedBy"] == "alice"
            assert not any(pages(smtp, d) for d in quiet)
            assert all(len(pages(smtp, d)) == 1 for d in loud)
            assert len(am_silences(am)) == 1  # b, the mirror now, posts no second copy
            print(f"silences across a hand-over: {time.monotonic() - t0:.1f}s in all")
        finally:
            for daemon, task in zip((a, b), tasks, strict=True):
                if not task.done():
                    await stop(daemon, task)


async def test_group_silences_merge_concurrent_changes_and_outlive_a_zookeeper_outage(
    zk: ZooKeeper, caplog: pytest.LogCaptureFixture
) -> None:
    """Two members' silence syncers (GroupSilences, each on its own kazoo session and book,
    as a member runs it) change the group's set at the same moment, then one changes its
    book while ZooKeeper is stopped: the change holds locally and reaches the other once
    ZooKeeper is back, with one log line for the outage."""
    import asyncio

    from kazoo.client import KazooClient

    from lanpulse.alerts.silences import SilenceBook, parse_matchers
    from lanpulse.cluster.group_silences import GroupSilences, SilenceZnode
    from lanpulse.core.model import now_ns
    from tests._daemon import until

    clients = [KazooClient(hosts=zk.hosts, timeout=10) for _ in range(2)]
    for client in clients:
        client.start(10)
    books = [SilenceBook(), SilenceBook()]
    adopted = [0, 0]

    def counter(i: int) -> Callable[[], None]:
        def count() -> None:
            adopted[i] += 1

        return count

    syncers = [
        GroupSilences(
            SilenceZnode(clients[i], "/t9/groups/default/silences"),
            lambda i=i: books[i],
            counter(i),
            lambda i=i: clients[i].connected,
        )
        for i in range(2)
    ]
    # Compare-and-set under contention: two sessions merge 10 silences each, in threads.
    from lanpulse.cluster.silence_set import SilenceSet, decode

    racing = [SilenceZnode(c, "/t9/race") for c in clients]

    def add_ten(znode: SilenceZnode, name: str) -> None:
        for k in range(10):
            book = SilenceBook()
            book.add_from_now(parse_matchers([f"device={name}{k}"]), now_ns(), 60, name, "")
            znode.merge_in(SilenceSet(book.silences), now_ns(), lambda _e: None)

    await asyncio.gather(
        *(asyncio.to_thread(add_ten, z, n) for z, n in zip(racing, "xy", strict=True))
    )
    assert len(decode(clients[0].get("/t9/race")[0]).silences) == 20
    tasks = [asyncio.create_task(s.run()) for s in syncers]
    try:
        await until(lambda: all(s.synced.is_set() for s in syncers))
        now = now_ns()
        made = [
            book.add_from_now(parse_matchers([f"device=d{i}"]), now, 3600, "alice", "")
            for i, book in enumerate(books)
        ]
        ids = {s.id for s in made}
        await until(lambda: set(books[0].silences) == set(books[1].silences) == ids)
        # An acknowledgement made on one member, released where its alert resolved.
        books[0].ack("alert-1", "alice", now)
        await until(lambda: "alert-1" in books[1].acks)
        books[1].release("alert-1")
        await until(lambda: "alert-1" not in books[0].acks)
        # ZooKeeper stops: member 0 expires a silence in its own book, which goes on.
        zk.stop()
        try:
            await until(lambda: not clients[0].connected, 10)
            books[0].expire(made[1].id, now_ns())
            await until(lambda: syncers[0].stats()["zk_silences_pending"] == 1)
            await asyncio.sleep(0.6)
            assert not books[0].silences[made[1].id].active(now_ns())
            assert books[1].silences[made[1].id].active(now_ns())
        finally:
            zk.start()
        await until(lambda: not books[1].silences[made[1].id].active(now_ns()), 30)
        assert syncers[0].stats()["zk_silences_pending"] == 0
        outage = [r for r in caplog.records if "not synced with zookeeper" in r.getMessage()]
        assert len(outage) == 1, [r.getMessage() for r in outage]
        assert "written when it is back" in outage[0].getMessage()
        print(f"race: {sum(z.conflicts for z in racing)} conflicts retried; adoptions {adopted}")
    finally:
        for task in tasks:
            task.cancel()
        for client in clients:
            client.stop()
            client.close()


FAST_DOWN_RULES = """\
rules:
  - {name: device_down, measurement: device, field: up, below: 1, severity: critical,
     summary: "{device} does not answer"}
"""


async def test_an_ack_made_through_any_member_reaches_the_member_that_polls_the_alert(
    zk: ZooKeeper, tmp_path: Path
) -> None:
    """On-call staff do not know which member polls a device: `POST /api/v1/acks` (what
    `lanpulse ack` sends) through member `a` for an alert firing on `b` is resolved against
    the alert state b publishes, goes into the group's set, and b adopts it: its alert is
    acked (in its API and its `alert` measurement) and pages no more, while an alert nobody
    acknowledged repeats (repeat_interval 1s). A reference nothing in the group names gets
    the same 404 as a single daemon's."""
    import asyncio
    import urllib.error

    from tests._daemon import until

    names = [f"down-{i}" for i in range(6)]
    devices = [device_line(n, 9) for n in names]  # port 9 answers no SNMP: all are down
    tasks: list[asyncio.Task[int]] = []

    async def start(name: str, smtp_port: int) -> tuple[MemberDaemon, int]:
        return await alerting_member(
            tmp_path / name,
            zk,
            devices,
            tasks,
            name,
            root="/t9",
            rules=FAST_DOWN_RULES,
            smtp_port=smtp_port,
            repeat="1s",
        )

    async def call(port: int, method: str, path: str, body: object | None = None) -> Any:
        return await asyncio.to_thread(api, port, method, path, body)

    async def alerts_on(port: int) -> list[dict[str, Any]]:
        return list(await call(port, "GET", "/api/v1/alerts"))

    with SmtpSink() as smtp:
        t0 = time.monotonic()
        (a, a_port), (b, b_port) = [await start(n, smtp.port) for n in ("a", "b")]
        try:
            # Two of the devices b polls once both have joined (rendezvous: known now).
            b_down = sorted(d.name for d in b.target(b.loaded.devices, ["a", "b"]))
            on_b, control = b_down[0], b_down[-1]
            assert on_b != control, b_down

            async def firing_on_b() -> bool:
                if not {on_b, control} <= set(b.scheduler.devices):
                    return False  # (b's API is up by then too)
                alerts = await alerts_on(b_port)
                return {on_b, control} <= {
                    x["labels"]["device"] for x in alerts if x["state"] == "firing"
                }

            deadline = time.monotonic() + 20
            while not (await firing_on_b() and pages(smtp, on_b) and pages(smtp, control)):
                assert time.monotonic() < deadline, (a.scheduler.devices, b.scheduler.devices)
                await asyncio.sleep(0.1)
            print(f"b paged {time.monotonic() - t0:.1f}s after the start")
            (mine,) = [x for x in await alerts_on(b_port) if x["labels"]["device"] == on_b]
            assert not [x for x in await alerts_on(a_port) if x["labels"]["device"] == on_b]

            acked = await call(
                a_port, "POST", "/api/v1/acks", {"alert": f"device_down/{on_b}", "comment": "on it"}
            )
            assert acked == {"acked": [mine["id"]]}
            acked_at = time.monotonic()
            with pytest.raises(urllib.error.HTTPError) as missing:
                await call(a_port, "POST", "/api/v1/acks", {"alert": "device_down/nowhere"})
            assert missing.value.code == 404

            def b_acked() -> bool:
                sample = b.alerting.service.written.get(mine["id"])
                return sample is not None and sample.fields["acked"] == 1

            await until(b_acked, 10)  # b's `alert` measurement says acked
            print(f"b marked the alert acked {time.monotonic() - acked_at:.2f}s after the ack")
            (now,) = [x for x in await alerts_on(b_port) if x["labels"]["device"] == on_b]
            assert now["ackedBy"] == "alice"
            # Repeats go on for the alert nobody acknowledged, not for the acked one (a
            # mail already on its way when b adopted the ack is let arrive first).
            await asyncio.sleep(0.3)
            paged = len(pages(smtp, on_b))
            repeats = len(pages(smtp, control))
            await until(lambda: len(pages(smtp, control)) >= repeats + 2, 10)
            assert len(pages(smtp, on_b)) == paged
            print(f"acks through another member: {time.monotonic() - t0:.1f}s in all")
        finally:
            for daemon, task in zip((a, b), tasks, strict=True):
                daemon.request_stop()
                assert await asyncio.wait_for(task, 30) == 0
                assert daemon.member is not None
                await daemon.member.stop()


async def alerting_member(
    folder: Path,
    zk: ZooKeeper,
    devices: list[str],
    tasks: list[asyncio.Task[int]],
    name: str,
    *,
    root: str,
    rules: str,
    smtp_port: int,
    repeat: str,
    am_url: str | None = None,
) -> tuple[MemberDaemon, int]:
    """A started group member that pages by e-mail (and Alertmanager when `am_url` is given),
    with an API token for alice; its run task goes into `tasks`. (daemon, HTTP port)."""
    import asyncio

    from lanpulse.cluster.zk import GroupMember, MemberDaemon
    from lanpulse.config.loader import load_config
    from lanpulse.sim.servers import free_tcp_port

    folder.mkdir()
    (folder / "rules.yaml").write_text(rules)
    (folder / "alice.token").write_text(TOKEN + "\n")
    port = free_tcp_port()
    am = f'    - {{name: am, alertmanager: {{url: "{am_url}"}}}}\n' if am_url else ""
    extra = f"""\
cluster: {{zookeeper: '{zk.hosts}', name: {name}, root: {root}, session_timeout: 2s}}
alerting:
  rules_files: [rules.yaml]
  disabled_packs: [desktop, device, interface, printer, sensor, storage]
  state_file: state.json
  receivers:
{am}    - name: mail
      email: {{host: 127.0.0.1, port: {smtp_port}, from: lanpulse@example.org,
               to: [oncall@example.org]}}
  route: {{receiver: mail, group_by: [alertname, device], group_wait: 0s,
           group_interval: 1s, repeat_interval: {repeat}}}
web:
  tokens: [{{name: alice, token_file: alice.token}}]
"""
    config = write_config(
        folder / "lanpulse.yaml",
        devices,
        interval="1s",
        http_listen=f"127.0.0.1:{port}",
        extra=extra,
    )
    settings = load_config(str(config)).settings.cluster
    assert settings is not None
    daemon = MemberDaemon(str(config), name, [], group="default")
    daemon.member = GroupMember(settings, daemon)
    await daemon.member.start()
    tasks.append(asyncio.create_task(daemon.run(install_signals=False)))
    return daemon, port
