"""NativeSnmpClient returns exactly what PysnmpClient returns, from real agents on 127.0.0.1.

Two real agents: snmpsim serving every corpus recording (community = recording name), and
net-snmp's snmpd serving this host's live MIB-2. For each recording the profile is chosen
as the poller does (sysObjectID, sysDescr, probes) and its whole plan is fetched through
both clients: GET of the scalars, walks of the table columns (10 per walk, as the
collector groups them).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.client import (
    NativeSnmpClient,
    PysnmpClient,
    UnifiedSnmpClient,
    make_snmp_client,
)
from lanpulse.config.profiles import builtin_profiles
from lanpulse.core.model import Oid, Secret, SnmpCredentials
from lanpulse.parsers.values import as_text
from lanpulse.sim.snmpd import SnmpdAgent, SnmpdUser
from lanpulse.sim.snmpsim import SnmpSimAgent
from tests.conftest import all_recordings
from tests.test_snmp_client import (
    IF_COLUMNS,
    expected_columns,
    read_snmprec,
    recording_path,
    warm_up,
)

SYS = ("1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0")
COMMUNITY = "fast-test"
USER = SnmpdUser("lp_fast_v3", "sha", "auth-pass-fast", "aes", "priv-pass-fast")
# Subtrees of this host's MIB-2 whose values do not move while a test runs (no counters,
# no uptime, no process or socket tables).
STABLE_SUBTREES = [
    "1.3.6.1.2.1.1.1",
    "1.3.6.1.2.1.1.2",
    "1.3.6.1.2.1.1.9.1",  # sysORTable: OIDs, strings, TimeTicks
    *(f"1.3.6.1.2.1.2.2.1.{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9)),
    "1.3.6.1.2.1.4.20",  # ipAddrTable: IpAddress values and indexes
    "1.3.6.1.2.1.31.1.1.1.1",
    "1.3.6.1.2.1.31.1.1.1.15",  # ifHighSpeed: Gauge32
    "1.3.6.1.2.1.25.2.3.1.2",  # hrStorageType: OIDs
]


@pytest.fixture(scope="module")
def agent(snmpsim_agent: SnmpSimAgent) -> Iterator[SnmpSimAgent]:
    warm_up(snmpsim_agent, "ios_nac")
    yield snmpsim_agent


@pytest.fixture(scope="module")
def snmpd() -> Iterator[SnmpdAgent]:
    with SnmpdAgent(community=COMMUNITY, users=(USER,)) as agent:
        yield agent


@pytest.fixture
async def clients() -> AsyncIterator[tuple[NativeSnmpClient, PysnmpClient]]:
    fast, slow = NativeSnmpClient(), PysnmpClient()
    yield fast, slow
    fast.close()
    slow.close()


def target(port: int, community: str, version: str = "2c", **kw: object) -> SnmpTarget:
    """A v1/v2c target on 127.0.0.1:`port`."""
    creds = SnmpCredentials(
        version=version,  # type: ignore[arg-type]
        community=Secret(community),
        timeout_s=3.0,
        retries=1,
        **kw,  # type: ignore[arg-type]
    )
    return SnmpTarget(community, "127.0.0.1", port, creds)


# Every recording goes through the native client against its golden file in
# test_profiles_snmpsim.py; the differential against pysnmp (slow: ~1 s of CPU per
# recording) takes every third one, which still spans every device class of the corpus.
@pytest.mark.parametrize("path", all_recordings()[::3], ids=lambda p: p.stem)
async def test_profile_plan_matches_pysnmp(
    clients: tuple[NativeSnmpClient, PysnmpClient], agent: SnmpSimAgent, path: Path
) -> None:
    fast, slow = clients
    tgt = target(agent.port, path.stem)
    profiles = builtin_profiles()
    ident_oids = [*SYS, *profiles.probe_oids()]
    ident = await fast.get(tgt, ident_oids)
    assert ident == await slow.get(tgt, ident_oids)
    descr = ident.get(SYS[0], b"")
    selection = profiles.select(
        str(ident.get(SYS[1], "")),
        as_text(descr) if isinstance(descr, bytes) else str(descr),
        list(ident),
    )
    scalars, columns = selection.profile.plan_oids()
    got = await fast.get(tgt, list(scalars))
    want = await slow.get(tgt, list(scalars))
    assert got == want and got.errors == want.errors
    rows = 0
    for start in range(0, len(columns), 10):
        group = list(columns[start : start + 10])
        walked = await fast.walk(tgt, group)
        expected = await slow.walk(tgt, group)
        assert walked == expected and walked.errors == expected.errors
        rows += sum(len(v) for v in walked.values())
    assert got or rows  # the plan fetched something from every recording
    assert fast.stats.dropped == fast.stats.ignored == 0


@pytest.mark.parametrize("name", ["ios_nac", "procurve_e2910", "linux_icecast"])
async def test_v1_getnext_walk_matches_recording_and_pysnmp(
    clients: tuple[NativeSnmpClient, PysnmpClient], agent: SnmpSimAgent, name: str
) -> None:
    fast, slow = clients
    columns = [*IF_COLUMNS[:4], "1.3.6.1.2.1.4.20.1.1", "1.3.6.1.2.1.4.20.1.3"]
    tgt = target(agent.port, name, version="1")
    got = await fast.walk(tgt, columns)
    (path,) = (p for p in all_recordings() if p.stem == name)
    assert got == expected_columns(read_snmprec(path), columns)
    assert got == await slow.walk(tgt, columns)


async def test_v1_get_drops_missing_oids_like_pysnmp(
    clients: tuple[NativeSnmpClient, PysnmpClient], agent: SnmpSimAgent
) -> None:
    fast, slow = clients
    oids = ["1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.99.0", ".1.3.6.1.2.1.1.2.0"]
    tgt = target(agent.port, "ios_nac", version="1")
    got = await fast.get(tgt, oids)
    assert got == {"1.3.6.1.2.1.1.3.0": 10048136, "1.3.6.1.2.1.1.2.0": "1.3.6.1.4.1.9.1.1006"}
    assert isinstance(got["1.3.6.1.2.1.1.2.0"], Oid)
    assert got == await slow.get(tgt, oids) and got.errors == []


async def test_snmpd_stable_subtrees_match_pysnmp(
    clients: tuple[NativeSnmpClient, PysnmpClient], snmpd: SnmpdAgent
) -> None:
    fast, slow = clients
    for version in ("2c", "1"):
        tgt = target(snmpd.port, COMMUNITY, version=version, max_repetitions=10)
        got = await fast.walk(tgt, STABLE_SUBTREES)
        assert got == await slow.walk(tgt, STABLE_SUBTREES)
        assert got.errors == []
        assert all(got[c] for c in STABLE_SUBTREES[:4])


async def test_snmpd_mib2_walk_has_pysnmp_shape(
    clients: tuple[NativeSnmpClient, PysnmpClient], snmpd: SnmpdAgent
) -> None:
    # The whole of mib-2 holds counters, uptimes and this host's process and socket tables,
    # which move between two walks: compare rows and value types, not values.
    fast, slow = clients
    tgt = target(snmpd.port, COMMUNITY)
    got = (await fast.walk(tgt, ["1.3.6.1.2.1"]))["1.3.6.1.2.1"]
    want = (await slow.walk(tgt, ["1.3.6.1.2.1"]))["1.3.6.1.2.1"]
    # Rows of the process, connection and listener tables come and go with whatever else runs
    # on the machine (hrSWRun/hrSWRunPerf, TCP-MIB and UDP-MIB tables): the row count
    # compares everything else.
    volatile = ("25.4.", "25.5.", "6.13.", "6.19.", "6.20.", "7.5.", "7.7.")
    steady = {k for k in got.keys() | want.keys() if not k.startswith(volatile)}
    common = got.keys() & want.keys()
    assert len(steady & common) > 0.95 * len(steady) and len(common) > 1000
    assert {k: type(got[k]) for k in common} == {k: type(want[k]) for k in common}
    kinds = {type(v) for v in got.values()}
    assert {int, bytes, str, Oid} <= kinds


async def test_snmpd_get_matches_pysnmp(
    clients: tuple[NativeSnmpClient, PysnmpClient], snmpd: SnmpdAgent
) -> None:
    fast, slow = clients
    oids = [f"1.3.6.1.2.1.1.{n}.0" for n in (1, 2, 4, 5, 6, 7)] + ["1.3.6.1.2.1.2.1.0"]
    oids += ["1.3.6.1.2.1.1.99.0", "1.3.6.1.2.1.4.20.1.1.127.0.0.1"]
    for version in ("2c", "1"):
        tgt = target(snmpd.port, COMMUNITY, version=version)
        got = await fast.get(tgt, oids)
        assert got == await slow.get(tgt, oids)
        assert got["1.3.6.1.2.1.4.20.1.1.127.0.0.1"] == "127.0.0.1"


class PduSizes:
    """Wraps the community step's request to record each PDU's varbind count (it still sends)."""

    def __init__(self, client: NativeSnmpClient, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sizes: list[int] = []
        step = client.community
        real = step.request

        async def counting(*args: Any, **kwargs: Any) -> Any:
            self.sizes.append(len(args[2]))
            return await real(*args, **kwargs)

        monkeypatch.setattr(step, "request", counting)


async def test_requests_are_sized_like_pysnmp(
    clients: tuple[NativeSnmpClient, PysnmpClient],
    agent: SnmpSimAgent,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast, _ = clients
    sizes = PduSizes(fast, monkeypatch)
    recording = read_snmprec(recording_path("procurve_e2910"))
    oids = sorted(recording)[:45]
    got = await fast.get(target(agent.port, "procurve_e2910"), [*oids, "1.3.6.1.2.1.1.99.0"])
    assert sizes.sizes == [20, 20, 6] and got == {o: recording[o] for o in oids}
    sizes.sizes.clear()
    columns = [IF_COLUMNS[0], IF_COLUMNS[5], IF_COLUMNS[4]]
    await fast.walk(target(agent.port, "ios_nac", version="1"), columns)
    assert sizes.sizes[0] == 3 and len(sizes.sizes) == 12 + 1  # a row per GETNEXT + the end
    for repetitions, max_requests in [(1, 40), (5, 10), (50, 2)]:
        sizes.sizes.clear()
        cols = [IF_COLUMNS[0], IF_COLUMNS[11]]
        tgt = target(agent.port, "procurve_e2910", max_repetitions=repetitions)
        got_rows = await fast.walk(tgt, cols)
        assert got_rows == expected_columns(recording, cols)
        assert len(sizes.sizes) <= max_requests


async def test_concurrent_walks_share_one_socket(agent: SnmpSimAgent) -> None:
    # Every recording walked at once through one client: answers are told apart by
    # request-id alone, and each must be the same as when walked on its own.
    client = NativeSnmpClient()
    try:
        # Half the corpus (~36 walks in flight) is concurrency enough; all of it took 18 s.
        targets = [target(agent.port, p.stem) for p in all_recordings()[::2]]
        alone = [await client.walk(t, IF_COLUMNS) for t in targets]
        together = await asyncio.gather(*(client.walk(t, IF_COLUMNS) for t in targets))
        assert together == alone
        assert sum(len(c) for r in alone for c in r.values()) > 1500
    finally:
        client.close()


async def test_one_client_serves_v2c_and_v3_without_pysnmp(snmpd: SnmpdAgent) -> None:
    client = make_snmp_client()
    assert isinstance(client, UnifiedSnmpClient)
    v3 = SnmpTarget(
        "v3-box",
        "127.0.0.1",
        snmpd.port,
        SnmpCredentials(
            version="3",
            user=USER.name,
            auth_protocol="sha",
            auth_password=Secret(USER.auth_password or ""),
            priv_protocol="aes",
            priv_password=Secret(USER.priv_password or ""),
            timeout_s=3.0,
        ),
    )
    try:
        v2 = await client.get(target(snmpd.port, COMMUNITY), ["1.3.6.1.2.1.1.2.0"])
        via_v3 = await client.get(v3, ["1.3.6.1.2.1.1.2.0"])
        assert via_v3 == v2
        walked = await client.walk(v3, ["1.3.6.1.2.1.2.2.1.2"])
        assert walked == await client.walk(target(snmpd.port, COMMUNITY), ["1.3.6.1.2.1.2.2.1.2"])
        assert client._pysnmp is None  # neither version sets pysnmp up
        # snmp.engine: pysnmp sends that device through the reference engine instead
        by_pysnmp = replace(v3, credentials=replace(v3.credentials, engine="pysnmp"))
        assert await client.get(by_pysnmp, ["1.3.6.1.2.1.1.2.0"]) == v2
        assert client._pysnmp is not None
    finally:
        client.close()
