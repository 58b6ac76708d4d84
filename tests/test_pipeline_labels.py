"""Two-speed polling against snmpsim serving real recordings.

A poller that caches label columns must produce exactly the samples of a poller that walks
everything every time; it must not walk the label columns on ordinary polls; and it must walk
them again at once when the device rebooted or its row index set changed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Sequence

import pytest
from _recordings import RECORDINGS as CORPUS

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.client import PysnmpClient
from lanpulse.config.profiles import builtin_profiles
from lanpulse.core.model import Device, Sample, Secret, SnmpCredentials
from lanpulse.demo.estate import RECORDINGS
from lanpulse.parsers.snmp_profile import parse_snmp
from lanpulse.pipeline.labels import label_columns, two_speed_plan
from lanpulse.pipeline.poll import IDENTITY_OIDS, DeviceState, SnmpPoller
from lanpulse.sim.snmprec import raw_from_recording, read_snmprec
from lanpulse.sim.snmpsim import SnmpSimAgent
from tests.test_snmp_client import warm_up

IF_NAME, IF_DESCR, IF_ALIAS = (
    "1.3.6.1.2.1.31.1.1.1.1",
    "1.3.6.1.2.1.2.2.1.2",
    "1.3.6.1.2.1.31.1.1.1.18",
)
IF_HC_IN, IF_DISC = "1.3.6.1.2.1.31.1.1.1.6", "1.3.6.1.2.1.31.1.1.1.19"
# One recording per kind of label table: interfaces (Cisco, MikroTik), printer supplies and
# trays, NAS volumes/disks/RAID, Windows volumes and interfaces.
DEMO = [
    "ios_nac",
    "swos_css326-24g-2s+",
    "jetdirect_m252dw",
    "dsm_ds214se-dsm7",
    "windows_svr_2019_1809",
]
SWITCH = "swos_css326-24g-2s+"


class CountingClient(PysnmpClient):
    """The real pysnmp client, remembering which columns were walked."""

    def __init__(self) -> None:
        super().__init__()
        self.walked: list[str] = []

    async def walk(self, target: SnmpTarget, columns: Sequence[str]):  # type: ignore[no-untyped-def]
        self.walked.extend(columns)
        return await super().walk(target, columns)


def variant(
    text: str, *, drop_index: str | None = None, uptime: int | None = None, alias: str | None = None
) -> str:
    """The recording with one interface removed, another sysUpTime or another ifAlias of if 1."""
    out = []
    for line in text.splitlines():
        oid = line.partition("|")[0]
        if drop_index and re.match(
            r"1\.3\.6\.1\.2\.1\.(2\.2|31\.1\.1)\.1\.\d+\." + drop_index + "$", oid
        ):
            continue
        if uptime is not None and oid == "1.3.6.1.2.1.1.3.0":
            line = f"{oid}|67|{uptime}"
        if alias is not None and oid == f"{IF_ALIAS}.1":
            line = f"{oid}|4|{alias}"
        out.append(line)
    if uptime is not None and not any(x.startswith("1.3.6.1.2.1.1.3.0|") for x in out):
        # The recording has no sysUpTime: insert one in OID order (snmpsim needs it sorted).
        key = (1, 3, 6, 1, 2, 1, 1, 3, 0)
        at = next(
            (i for i, x in enumerate(out) if tuple(map(int, x.split("|")[0].split("."))) > key),
            len(out),
        )
        out.insert(at, f"1.3.6.1.2.1.1.3.0|67|{uptime}")
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    agent = SnmpSimAgent(workdir=tmp_path_factory.mktemp("labels"))
    for name in DEMO:
        agent.add(RECORDINGS / f"{name}.snmprec")
    text = (RECORDINGS / f"{SWITCH}.snmprec").read_text()
    agent.add_text("sw-lost-if", variant(text, drop_index="2"))
    agent.add_text("sw-rebooted", variant(text, uptime=100, alias="renamed-after-reboot"))
    agent.add_text("sw-up-long", variant(text, uptime=10**8))
    agent.add_text("sw-new-alias", variant(text, alias="renamed-live"))
    agent.start()
    warm_up(agent, DEMO[0])
    yield agent
    agent.cleanup()


@pytest.fixture
async def client() -> AsyncIterator[CountingClient]:
    c = CountingClient()
    yield c
    c.close()


def device(port: int, community: str) -> Device:
    creds = SnmpCredentials(community=Secret(community), timeout_s=2.0, retries=1)
    return Device(name="dut", address="127.0.0.1", port=port, snmp=creds, interval_s=60)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000_000_000_000

    def __call__(self) -> int:
        return self.now


def poller(client: PysnmpClient, clock: Clock, refresh: int) -> SnmpPoller:
    return SnmpPoller(
        client,
        builtin_profiles(),
        clock_ns=clock,
        monotonic=lambda: 0.0,
        label_refresh_polls=refresh,
    )


INVENTORY = ("device_info", "neighbor")


def _polled(samples: Sequence[Sample]) -> list[Sample]:
    return [s for s in samples if s.measurement not in INVENTORY]


def alias_of(samples: Sequence[Sample], if_index: str) -> str | None:
    for s in samples:
        if s.measurement == "interface" and s.tags.get("if_index") == if_index:
            return s.tags.get("if_alias")
    return None


def test_label_columns_come_from_the_profile_tags() -> None:
    profile = builtin_profiles().get("generic")
    labels = label_columns(profile)
    assert {IF_NAME, IF_DESCR, IF_ALIAS} <= set(labels)
    assert IF_HC_IN not in labels and IF_DISC not in labels
    plan = two_speed_plan(profile, IDENTITY_OIDS)
    # Inventory metrics (device_info, LLDP neighbours) are walked on full polls only.
    inventory = {
        oid
        for m in profile.metrics
        if m.inventory
        for oid in (*m.fetch, *(s.oid for srcs in m.sources().values() for s in srcs))
        if oid
    }
    inventory &= set(plan.full.columns)
    assert set(plan.fast.columns) | set(plan.labels) | inventory == set(plan.full.columns)
    assert not set(plan.fast.columns) & set(plan.labels)
    assert not set(plan.fast.columns) & inventory
    assert "1.3.6.1.2.1.1.6.0" in plan.full.scalars  # sysLocation: full polls only
    assert "1.3.6.1.2.1.1.6.0" not in plan.fast.scalars


@pytest.mark.parametrize("recording", DEMO)
async def test_cached_labels_give_the_samples_of_a_full_poll(
    agent: SnmpSimAgent, client: CountingClient, recording: str
) -> None:
    clock = Clock()
    cached, full = poller(client, clock, refresh=10), poller(client, clock, refresh=1)
    dev = device(agent.port, recording)
    s_cached, s_full = DeviceState(), DeviceState()
    for _ in range(2):  # the first poll walks everything, the second uses the cache
        a = await cached.poll(dev, s_cached)
        b = await full.poll(dev, s_full)
        assert a.outcome.up and b.outcome.up
        # device_info and neighbours come with the label walks only (inventory metrics)
        assert _polled(a.outcome.samples) == _polled(b.outcome.samples)
        clock.now += 60 * 10**9
    assert s_cached.plan is not None and s_cached.labels.columns is not None


async def test_fast_polls_do_not_walk_labels_until_refresh_is_due(
    agent: SnmpSimAgent, client: CountingClient
) -> None:
    clock = Clock()
    p = poller(client, clock, refresh=3)
    dev, state = device(agent.port, SWITCH), DeviceState()
    walked_per_poll = []
    for _ in range(4):
        client.walked.clear()
        await p.poll(dev, state)
        walked_per_poll.append(IF_ALIAS in client.walked)
        assert IF_HC_IN in client.walked  # counters every poll
        clock.now += 60 * 10**9
    assert walked_per_poll == [True, False, False, True]


async def test_labels_walked_at_once_when_an_interface_goes_away(
    agent: SnmpSimAgent, client: CountingClient
) -> None:
    clock = Clock()
    p = poller(client, clock, refresh=100)
    state = DeviceState()
    await p.poll(device(agent.port, SWITCH), state)
    await p.poll(device(agent.port, SWITCH), state)
    client.walked.clear()
    report = await p.poll(device(agent.port, "sw-lost-if"), state)
    assert IF_ALIAS in client.walked
    reference = await poller(client, clock, 1).poll(device(agent.port, "sw-lost-if"), DeviceState())
    ifaces = [s for s in report.outcome.samples if s.measurement == "interface"]
    assert [s.tags for s in ifaces] == [
        s.tags for s in reference.outcome.samples if s.measurement == "interface"
    ]
    assert "2" not in {s.tags["if_index"] for s in ifaces}


async def test_labels_walked_at_once_after_a_reboot_but_kept_while_fresh(
    agent: SnmpSimAgent, client: CountingClient
) -> None:
    clock = Clock()
    p = poller(client, clock, refresh=3)
    state = DeviceState()
    first = await p.poll(device(agent.port, "sw-up-long"), state)
    original = alias_of(first.outcome.samples, "1")
    # Same uptime, same rows: an alias edited on the device shows at the next refresh.
    live = [
        alias_of((await p.poll(device(agent.port, "sw-new-alias"), state)).outcome.samples, "1")
        for _ in range(3)
    ]
    assert live == [original, original, "renamed-live"]
    # sysUpTime went backwards: walked in the same poll.
    rebooted = await p.poll(device(agent.port, "sw-rebooted"), state)
    assert alias_of(rebooted.outcome.samples, "1") == "renamed-after-reboot"


def test_inventory_rows_only_on_full_polls_even_with_entity_labels_cached() -> None:
    """Comware reads entPhysicalClass as a label (cached, merged into fast polls): the
    fast poll still makes no device_info row (it is the label walks' record only)."""
    values = read_snmprec(next(CORPUS.glob("*/comware_a5500.snmprec")))
    profile = builtin_profiles().get("hpe_comware")
    plan = two_speed_plan(profile, IDENTITY_OIDS)
    dev = Device(name="sw", address="127.0.0.1")
    full = raw_from_recording(values, plan.full.scalars, plan.full.columns)
    fast = raw_from_recording(values, plan.fast.scalars, (*plan.fast.columns, *plan.labels))
    assert "1.3.6.1.2.1.47.1.1.1.1.5" in fast.columns  # the cached label column
    kinds = [{s.measurement for s in parse_snmp(raw, profile, dev).samples} for raw in (full, fast)]
    assert "device_info" in kinds[0] and "device_info" not in kinds[1]
