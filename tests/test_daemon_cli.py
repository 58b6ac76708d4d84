"""The daemon polls SSH-CLI devices too, and merges a device's SNMP and CLI samples.

Real components: fakenos (a Cisco IOS CLI over real SSH, with outputs that follow real
devices, tests/fixtures/cli/) and snmpsim serving a real switch recording; the daemon runs
in-process with its spool-only writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lanpulse.core.schema import validate_samples
from lanpulse.sim.fakenos_devices import FakeDevice, FakeNosDevices, load_fixture_outputs
from lanpulse.sim.snmpsim import SnmpSimAgent
from tests._daemon import running, until, write_config

FIXTURES = Path(__file__).parent / "fixtures" / "cli"
RECORDINGS = Path(__file__).parent / "fixtures" / "librenms" / "recordings"
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


@pytest.fixture(scope="module")
def ios() -> Iterator[FakeNosDevices]:
    outputs = load_fixture_outputs(FIXTURES / "cisco_ios")
    with FakeNosDevices([FakeDevice("sw", "cisco_ios", outputs)]) as net:
        yield net


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    with SnmpSimAgent(workdir=tmp_path_factory.mktemp("snmpsim")) as sim:
        sim.add(RECORDINGS / "switch" / "ios_nac.snmprec", "both-sw")
        sim.stop()
        sim.start()
        yield sim


async def test_ssh_only_and_snmp_plus_ssh_devices(
    ios: FakeNosDevices, agent: SnmpSimAgent, tmp_path: Path
) -> None:
    ssh = (
        f"{{port: {ios.ports['sw']}, platform: cisco_ios, user: admin, "
        "password: lanpulse-test, host_key_check: false, timeout: 10s}"
    )
    devices = [
        f"  - {{name: cli-sw, address: 127.0.0.1, class: switch, ssh: {ssh}}}",
        f"  - {{name: both-sw, address: 127.0.0.1, port: {agent.port}, class: switch,"
        f" snmp: {{community: both-sw}}, ssh: {ssh}, prefer: {{host: cli}}}}",
    ]
    config = write_config(tmp_path / "lanpulse.yaml", devices, interval="3s")
    async with running(config) as run:
        await until(lambda: run.all_answered(2), timeout_s=40)
    by_device: dict[str, list] = {}
    for s in run.samples:
        by_device.setdefault(s.tags["device"], []).append(s)
    assert validate_samples(run.samples) == []
    cli_only = {s.measurement for s in by_device["cli-sw"]}
    assert {"device", "interface", "host"} <= cli_only
    both = by_device["both-sw"]
    # One device sample per poll, not one per source; it answered.
    polls = run.polled["both-sw"]
    assert sum(1 for s in both if s.measurement == "device") == polls
    assert all(s.fields["up"] == 1 for s in both if s.measurement == "device")
    # SNMP gave the interfaces' counters, the CLI added what only it has (CPU and memory
    # from `show processes`), merged into the same series.
    host = [s for s in both if s.measurement == "host"]
    assert host and all("cpu_pct" in s.fields for s in host)
    snmp_ifs = [s for s in both if s.measurement == "interface" and "in_octets" in s.fields]
    assert snmp_ifs
