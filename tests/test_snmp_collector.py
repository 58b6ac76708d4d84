"""SnmpCollector: one device's poll under its deadline, against real agents on 127.0.0.1.

snmpsim serves the recordings; its `delay` variation makes one table row slow (a real agent
answering late), and its `error` variation answers genErr for one scalar.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from lanpulse.collectors.base import SnmpPlan
from lanpulse.collectors.snmp import SnmpCollector, deadline_for, table_groups
from lanpulse.collectors.snmp.client import PysnmpClient
from lanpulse.core.errors import CollectTimeout, ConfigError
from lanpulse.core.model import Device, RawSnmp, Secret, SnmpCredentials
from lanpulse.sim.snmpsim import SnmpSimAgent, free_udp_port
from tests.test_snmp_client import (
    IF_COLUMNS,
    expected_columns,
    read_snmprec,
    recording_path,
    warm_up,
)

SCALARS = ("1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.5.0")
SLOW_RECORDING = (
    """\
1.3.6.1.2.1.1.3.0|67|777
1.3.6.1.2.1.1.5.0|4:error|op=get,status=genError
1.3.6.1.2.1.2.2.1.2.1|4|fast-if
"""
    + "".join(f"1.3.6.1.2.1.2.2.1.3.{n}|2|6\n" for n in range(1, 41))
    + """\
1.3.6.1.2.1.25.4.2.1.2.1|4|init
1.3.6.1.2.1.25.4.2.1.2.2|4:delay|value=slow,wait=6000
"""
)
# The 40 ifType rows keep the ifDescr GETBULK (25 repetitions run past the end of its
# column) from reaching the slow row.


def device(name: str, port: int, *, community: str | None = None, **kw: object) -> Device:
    """A v2c device on 127.0.0.1:`port` (community defaults to its name)."""
    creds = SnmpCredentials(community=Secret(community or name), timeout_s=1.0, retries=0)
    return Device(name=name, address="127.0.0.1", port=port, snmp=creds, **kw)  # type: ignore[arg-type]


@pytest.fixture
async def collector() -> AsyncIterator[SnmpCollector]:
    client = PysnmpClient()
    yield SnmpCollector(client, clock=lambda: 1_700_000_000_000_000_000)
    client.close()


@pytest.fixture(scope="module")
def agent(snmpsim_agent: SnmpSimAgent) -> Iterator[SnmpSimAgent]:
    warm_up(snmpsim_agent, "ios_nac")
    yield snmpsim_agent


@pytest.fixture
def slow_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    agent = SnmpSimAgent(workdir=tmp_path_factory.mktemp("snmpsim-slow"))
    agent.add_text("slow", SLOW_RECORDING)
    with agent:
        warm_up(agent, "slow")
        yield agent


async def test_collect_returns_recording_values_stamped_with_poll_start(
    collector: SnmpCollector, agent: SnmpSimAgent
) -> None:
    recording = read_snmprec(recording_path("ios_nac"))
    raw = await collector.collect(
        device("ios_nac", agent.port), SnmpPlan(scalars=SCALARS, columns=tuple(IF_COLUMNS))
    )
    assert isinstance(raw, RawSnmp)
    assert raw.device == "ios_nac" and raw.started_ns == 1_700_000_000_000_000_000
    assert raw.scalars == {oid: recording[oid] for oid in SCALARS}
    assert raw.columns == expected_columns(recording, IF_COLUMNS)
    assert raw.errors == ()


async def test_one_dead_device_does_not_hold_up_the_others(
    collector: SnmpCollector, agent: SnmpSimAgent
) -> None:
    finished: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    plan = SnmpPlan(scalars=SCALARS, columns=tuple(IF_COLUMNS))

    async def poll(dev: Device) -> RawSnmp:
        try:
            return await collector.collect(dev, plan)
        finally:
            finished[dev.name] = loop.time()

    names = ["ios_nac", "ios_c3560", "tplink_sg2008", "procurve_e2910"]
    devices = [device(n, agent.port) for n in names]
    devices.insert(2, device("dead", free_udp_port(), community="public"))
    results = await asyncio.gather(*(poll(d) for d in devices), return_exceptions=True)

    dead = results.pop(2)
    assert isinstance(dead, CollectTimeout) and dead.device == "dead"
    for name, raw in zip(names, results, strict=True):
        assert isinstance(raw, RawSnmp) and raw.errors == ()
        assert raw.columns == expected_columns(read_snmprec(recording_path(name)), IF_COLUMNS)
        assert finished[name] < finished["dead"]  # nobody waited for the dead one


async def test_deadline_keeps_what_was_fetched(
    collector: SnmpCollector, slow_agent: SnmpSimAgent
) -> None:
    plan = SnmpPlan(
        scalars=("1.3.6.1.2.1.1.3.0",),
        columns=("1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.25.4.2.1.2"),
    )
    # Seconds, not fractions: the fast part must be fetched in time on a loaded machine.
    creds = SnmpCredentials(community=Secret("slow"), timeout_s=5.0, retries=0)
    dev = Device(name="slow", address="127.0.0.1", port=slow_agent.port, snmp=creds, deadline_s=3.0)
    raw = await collector.collect(dev, plan)
    assert raw.scalars == {"1.3.6.1.2.1.1.3.0": 777}
    assert raw.columns == {"1.3.6.1.2.1.2.2.1.2": {"1": b"fast-if"}}  # the slow table is lost
    assert tuple(map(str, raw.errors)) == ("poll deadline of 3s passed; kept what was fetched",)


async def test_agent_error_on_one_part_keeps_the_rest(
    collector: SnmpCollector, slow_agent: SnmpSimAgent
) -> None:
    plan = SnmpPlan(scalars=("1.3.6.1.2.1.1.5.0",), columns=("1.3.6.1.2.1.2.2.1.2",))
    raw = await collector.collect(device("slow", slow_agent.port), plan)
    assert raw.scalars == {}
    assert raw.columns == {"1.3.6.1.2.1.2.2.1.2": {"1": b"fast-if"}}
    assert len(raw.errors) == 1 and "genErr at varbind 1" in str(raw.errors[0])

    plan = SnmpPlan(scalars=("1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.5.0"))
    raw = await collector.collect(device("slow", slow_agent.port), plan)
    assert raw.scalars == {"1.3.6.1.2.1.1.3.0": 777}
    assert len(raw.errors) == 1 and "genErr at varbind 2 (1.3.6.1.2.1.1.5.0)" in str(raw.errors[0])


async def test_deadline_with_no_answer_at_all_raises(collector: SnmpCollector) -> None:
    dev = Device(
        name="silent",
        address="127.0.0.1",
        port=free_udp_port(),
        snmp=SnmpCredentials(community=Secret("public"), timeout_s=5.0, retries=0),
        deadline_s=0.3,
    )
    with pytest.raises(CollectTimeout) as err:
        await collector.collect(dev, SnmpPlan(scalars=("1.3.6.1.2.1.1.3.0",)))
    assert str(err.value).startswith("silent: poll deadline of 0.3s passed before")


async def test_device_without_snmp_settings_is_a_config_error(
    collector: SnmpCollector,
) -> None:
    with pytest.raises(ConfigError, match="no SNMP settings"):
        await collector.collect(Device(name="x", address="127.0.0.1"), SnmpPlan())


def test_deadline_defaults_to_most_of_the_interval() -> None:
    assert deadline_for(Device(name="a", address="h", interval_s=60)) == pytest.approx(54)
    assert deadline_for(Device(name="a", address="h", interval_s=60, deadline_s=10)) == 10


def test_table_groups_split_by_table_and_width() -> None:
    columns = [".1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.31.1.1.1.6", "1.3.6.1.2.1.2.2.1.10"]
    assert list(table_groups(columns, 10)) == [
        ("1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.10"),
        ("1.3.6.1.2.1.31.1.1.1.6",),
    ]
    assert list(table_groups(columns, 1)) == [
        ("1.3.6.1.2.1.2.2.1.2",),
        ("1.3.6.1.2.1.2.2.1.10",),
        ("1.3.6.1.2.1.31.1.1.1.6",),
    ]
