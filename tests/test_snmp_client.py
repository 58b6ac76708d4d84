"""PysnmpClient against snmpsim serving real device recordings on 127.0.0.1.

Every expected value is read from the recording itself (`OID|TYPE|VALUE`), so the tests
check the transport end to end: request batching, table walks, value conversion.
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.client import PysnmpClient
from lanpulse.core.model import Oid, Secret, SnmpCredentials, SnmpValue
from lanpulse.sim.snmpsim import SnmpSimAgent
from tests.conftest import RECORDINGS

IF_TABLE = "1.3.6.1.2.1.2.2.1"
IF_X_TABLE = "1.3.6.1.2.1.31.1.1.1"
IF_COLUMNS = [f"{IF_TABLE}.{n}" for n in (2, 3, 5, 6, 7, 8, 10, 14, 16, 20)] + [
    f"{IF_X_TABLE}.{n}" for n in (1, 6, 10, 15, 18)
]


def read_snmprec(path: Path) -> dict[str, SnmpValue]:
    """The recording as OID -> the Python value the client must return for it."""
    values: dict[str, SnmpValue] = {}
    for line in path.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
        parts = line.split("|", 2)
        if len(parts) != 3 or not parts[1]:
            continue
        oid, tag, text = parts
        if tag in ("2", "65", "66", "67", "70"):
            values[oid] = int(text)
        elif tag == "4":
            values[oid] = text.encode("utf-8", errors="surrogateescape")
        elif tag in ("4x", "68x"):
            values[oid] = bytes.fromhex(text)
        elif tag == "6":
            values[oid] = Oid(text)
        elif tag == "64":
            values[oid] = text
    return values


def expected_columns(
    recording: dict[str, SnmpValue], columns: list[str]
) -> dict[str, dict[str, SnmpValue]]:
    """What walking `columns` must return, computed from the recording."""
    out: dict[str, dict[str, SnmpValue]] = {c: {} for c in columns}
    for oid, value in recording.items():
        for column in columns:
            if oid.startswith(column + "."):
                out[column][oid[len(column) + 1 :]] = value
    return out


def warm_up(agent: SnmpSimAgent, community: str) -> None:
    """Wait until snmpsim answers (net-snmp's snmpget, retrying every 0.2 s).

    SnmpSimAgent.start returns when snmpsim logs "Listening at", a moment before its socket
    is bound: a test's first request can be lost, which must not count against its timeouts.
    """
    subprocess.run(
        [
            *("snmpget", "-v2c", "-c", community, "-t", "0.2", "-r", "50", "-On"),
            *(f"127.0.0.1:{agent.port}", "1.3.6.1.2.1.1.3.0"),
        ],
        capture_output=True,
        check=False,
        timeout=30,
    )


def recording_path(name: str) -> Path:
    """The one recording called `name` in the corpus."""
    (path,) = RECORDINGS.glob(f"*/{name}.snmprec")
    return path


def target_for(agent: SnmpSimAgent, community: str, version: str = "2c", **kw: Any) -> SnmpTarget:
    """An SnmpTarget for the snmpsim agent and one recording."""
    creds = SnmpCredentials(version=version, community=Secret(community), **kw)  # type: ignore[arg-type]
    return SnmpTarget(community, "127.0.0.1", agent.port, creds)


class PduCounter:
    """Wraps the pysnmp step's request method to record each PDU's size (it still sends)."""

    def __init__(self, client: PysnmpClient, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sizes: list[int] = []
        step = client.pysnmp
        real = step.request

        async def counting(*args: Any, **kwargs: Any) -> Any:
            self.sizes.append(len(args[2]))
            return await real(*args, **kwargs)

        monkeypatch.setattr(step, "request", counting)


@pytest.fixture
async def client() -> AsyncIterator[PysnmpClient]:
    c = PysnmpClient(get_batch_size=20)
    yield c
    c.close()


@pytest.fixture(scope="module")
def agent(snmpsim_agent: SnmpSimAgent) -> Iterator[SnmpSimAgent]:
    warm_up(snmpsim_agent, "ios_nac")
    yield snmpsim_agent


async def test_get_batches_oids_into_pdus(
    client: PysnmpClient, agent: SnmpSimAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = read_snmprec(recording_path("procurve_e2910"))
    oids = sorted(recording)[:45]
    counter = PduCounter(client, monkeypatch)
    got = await client.get(target_for(agent, "procurve_e2910"), [*oids, "1.3.6.1.2.1.1.99.0"])
    assert counter.sizes == [20, 20, 6]
    assert got == {oid: recording[oid] for oid in oids}  # the missing OID is left out


async def test_get_accepts_leading_dot_and_returns_typed_values(
    client: PysnmpClient, agent: SnmpSimAgent
) -> None:
    got = await client.get(
        target_for(agent, "ios_nac"), [".1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.3.0"]
    )
    assert got == {"1.3.6.1.2.1.1.2.0": "1.3.6.1.4.1.9.1.1006", "1.3.6.1.2.1.1.3.0": 10048136}
    assert isinstance(got["1.3.6.1.2.1.1.2.0"], Oid)


@pytest.mark.parametrize("name", ["ios_nac", "procurve_e2910"])
async def test_bulk_walk_of_if_tables_equals_recording(
    client: PysnmpClient, agent: SnmpSimAgent, name: str
) -> None:
    recording = read_snmprec(recording_path(name))
    got = await client.walk(target_for(agent, name), IF_COLUMNS)
    assert got == expected_columns(recording, IF_COLUMNS)
    assert got.errors == []
    assert sum(len(v) for v in got.values()) > 50


async def test_walk_converts_ip_addresses_and_counters(
    client: PysnmpClient, agent: SnmpSimAgent
) -> None:
    columns = ["1.3.6.1.2.1.4.20.1.1", "1.3.6.1.2.1.4.20.1.3", "1.3.6.1.2.1.2.2.1.10"]
    got = await client.walk(target_for(agent, "linux_icecast"), columns)
    assert got["1.3.6.1.2.1.4.20.1.3"]["127.0.0.1"] == "255.0.0.0"
    assert got == expected_columns(read_snmprec(recording_path("linux_icecast")), columns)


async def test_v1_walk_uses_getnext_and_matches_recording(
    client: PysnmpClient, agent: SnmpSimAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    columns = [f"{IF_TABLE}.2", f"{IF_TABLE}.10", f"{IF_TABLE}.8"]
    counter = PduCounter(client, monkeypatch)
    got = await client.walk(target_for(agent, "ios_nac", version="1"), columns)
    assert got == expected_columns(read_snmprec(recording_path("ios_nac")), columns)
    # GETNEXT: one row of three columns per request, plus the request that finds the ends.
    assert counter.sizes[0] == 3 and len(counter.sizes) == 12 + 1


async def test_v1_get_drops_missing_oids(client: PysnmpClient, agent: SnmpSimAgent) -> None:
    got = await client.get(
        target_for(agent, "ios_nac", version="1"),
        ["1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.99.0", "1.3.6.1.2.1.1.2.0"],
    )
    assert got == {"1.3.6.1.2.1.1.3.0": 10048136, "1.3.6.1.2.1.1.2.0": "1.3.6.1.4.1.9.1.1006"}


@pytest.mark.parametrize(("repetitions", "max_requests"), [(1, 40), (5, 10), (50, 2)])
async def test_max_repetitions_changes_requests_not_results(
    client: PysnmpClient,
    agent: SnmpSimAgent,
    monkeypatch: pytest.MonkeyPatch,
    repetitions: int,
    max_requests: int,
) -> None:
    columns = [f"{IF_TABLE}.2", f"{IF_X_TABLE}.6"]
    counter = PduCounter(client, monkeypatch)
    target = target_for(agent, "procurve_e2910", max_repetitions=repetitions)
    got = await client.walk(target, columns)
    assert got == expected_columns(read_snmprec(recording_path("procurve_e2910")), columns)
    assert len(counter.sizes) <= max_requests


async def test_walk_of_absent_column_is_empty(client: PysnmpClient, agent: SnmpSimAgent) -> None:
    got = await client.walk(target_for(agent, "ios_nac"), ["1.3.6.1.4.1.99999.1.1"])
    assert got == {"1.3.6.1.4.1.99999.1.1": {}}
    assert got.errors == []


async def test_many_devices_share_one_engine(client: PysnmpClient, agent: SnmpSimAgent) -> None:
    names = ["ios_nac", "ios_c3560", "tplink_sg2008", "epson", "qnap"]
    for name in names:
        got = await client.get(target_for(agent, name), ["1.3.6.1.2.1.1.2.0"])
        assert got["1.3.6.1.2.1.1.2.0"] == read_snmprec(recording_path(name))["1.3.6.1.2.1.1.2.0"]
    assert client.engines.engine_count == 1
