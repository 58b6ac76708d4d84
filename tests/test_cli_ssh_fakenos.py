"""CLI collection against real SSH servers: fakenos devices on 127.0.0.1.

fakenos is a real SSH server (paramiko transport, password auth, interactive shell with
the platform's prompts); its devices answer with our recorded outputs. The hung device is
a real TCP listener that accepts and never speaks.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanpulse.collectors.cli import CliCollector, CliPlan
from lanpulse.core.errors import CollectTimeout, HostKeyError, UnreachableError
from lanpulse.core.model import Device, RawCli, Secret, SshCredentials
from lanpulse.core.schema import validate_samples
from lanpulse.parsers.cli import load_cli_profile, parse_cli
from lanpulse.parsers.cli.profile import CommandSpec
from lanpulse.pipeline.cli_poll import plan_for, poll_cli_device, poll_cli_device_async
from lanpulse.sim.fakenos_devices import (
    FakeDevice,
    FakeNosDevices,
    SilentTcpListener,
    free_tcp_port,
    load_fixture_outputs,
    write_rsa_host_key,
)

FIXTURES = Path(__file__).parent / "fixtures" / "cli"
PLATFORMS = ["cisco_ios", "cisco_nxos", "arista_eos", "juniper_junos", "hp_procurve"]
PASSWORD = "lanpulse-test"
CROWD = [f"crowd-{i}" for i in range(9)]

# fakenos's server threads raise when a client leaves mid-handshake (failed auth, rejected
# host key): expected here, and not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeNosDevices]:
    """Every platform, plus a device with garbled output, a re-keyed one and a crowd."""
    tmp = tmp_path_factory.mktemp("fakenos")
    ios = load_fixture_outputs(FIXTURES / "cisco_ios")
    garbled = dict(ios)
    cpu = ios["show processes cpu"].splitlines()
    garbled["show processes cpu"] = "\n".join([*cpu[:4], "~~ \x07garbled !!", *cpu[4:]])
    devices = [FakeDevice(p, p, load_fixture_outputs(FIXTURES / p)) for p in PLATFORMS]
    devices.append(FakeDevice("ios-garbled", "cisco_ios", garbled))
    devices.append(
        FakeDevice(
            "ios-rekeyed", "cisco_ios", ios, host_key_file=str(write_rsa_host_key(tmp / "k"))
        )
    )
    devices += [FakeDevice(n, "cisco_ios", {"show version": ios["show version"]}) for n in CROWD]
    with FakeNosDevices(devices) as running:
        yield running


def _device(net: FakeNosDevices, name: str, platform: str = "cisco_ios", **ssh: object) -> Device:
    creds = {
        "port": net.ports[name],
        "user": "admin",
        "password": Secret(PASSWORD),
        "host_key_check": False,
        "timeout_s": 5.0,
        "command_timeout_s": 10.0,
        **ssh,
    }
    return Device(name=name, address="127.0.0.1", ssh=SshCredentials(platform, **creds))  # type: ignore[arg-type]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_platform_polled_over_ssh_gives_the_recorded_samples(
    net: FakeNosDevices, platform: str
) -> None:
    device = _device(net, platform, platform)
    samples, errors = poll_cli_device(device)
    assert errors == []
    assert validate_samples(samples) == []
    dev = samples[0]
    assert dev.measurement == "device" and dev.fields["up"] == 1 and dev.fields["poll_errors"] == 0
    # What came over SSH parses exactly like the recorded files: nothing lost in transit.
    profile = load_cli_profile(platform)
    raw = RawCli(platform, platform, samples[0].time_ns, load_fixture_outputs(FIXTURES / platform))
    offline = parse_cli(raw, profile, device).samples
    assert [(s.measurement, dict(s.tags), dict(s.fields)) for s in samples[1:]] == [
        (s.measurement, dict(s.tags), dict(s.fields)) for s in offline if s.measurement != "device"
    ]


def test_wrong_password_is_an_authentication_error_naming_the_device(net: FakeNosDevices) -> None:
    device = _device(net, "cisco_ios", password=Secret("wrong-pass-123"))
    samples, errors = poll_cli_device(device)
    assert errors == [
        "cisco_ios: authentication failed (check `ssh.user`, `ssh.password` / `ssh.key_file`)"
    ]
    assert samples[0].fields["up"] == 0 and samples[0].tags["error"] == "authentication"
    assert validate_samples(samples) == []
    assert "wrong-pass-123" not in repr(samples) + repr(device) + str(errors)


def test_host_keys_are_verified(net: FakeNosDevices, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    # The re-keyed device answers with a new key where known_hosts holds fakenos's usual one.
    default_line = net.known_hosts_line("cisco_ios").split(" ", 1)[1]
    known.write_text(
        net.known_hosts_line("cisco_ios") + f"[127.0.0.1]:{net.ports['ios-rekeyed']} {default_line}"
    )
    good = _device(net, "cisco_ios", host_key_check=True, known_hosts=str(known))
    samples, errors = poll_cli_device(good)
    assert errors == [] and samples[0].fields["up"] == 1

    changed = _device(net, "ios-rekeyed", host_key_check=True, known_hosts=str(known))
    with pytest.raises(
        HostKeyError, match=r"^ios-rekeyed: host key changed: .*host_key_check: false"
    ):
        CliCollector().collect_sync(changed, CliPlan("cisco_ios", ("show version",)))
    samples, errors = poll_cli_device(changed)
    assert samples[0].tags["error"] == "host_key" and len(errors) == 1

    unknown = _device(net, "cisco_ios", host_key_check=True, known_hosts=str(tmp_path / "none"))
    with pytest.raises(HostKeyError, match=r"^cisco_ios: host key unknown"):
        CliCollector().collect_sync(unknown, CliPlan("cisco_ios", ("show version",)))

    opted_out = _device(net, "ios-rekeyed", host_key_check=False, known_hosts=str(known))
    assert poll_cli_device(opted_out)[1] == []


def test_rejected_command_is_reported_with_the_device_text(net: FakeNosDevices) -> None:
    profile = load_cli_profile("cisco_ios")
    extra = CommandSpec(
        "show inventory raw", "ntc:cisco_ios_show_version.textfsm", profile.commands[0].samples
    )
    profile = dataclasses.replace(profile, commands=(*profile.commands, extra))
    samples, errors = poll_cli_device(_device(net, "cisco_ios"), profile=profile)
    assert errors == [
        "cisco_ios: `show inventory raw`: command rejected by the device: "
        "% Invalid input detected at '^' marker."
    ]
    assert samples[0].fields["up"] == 1 and samples[0].fields["poll_errors"] == 1
    assert {s.measurement for s in samples} == {"device", "interface", "host", "sensor", "poe"}


def test_garbled_output_keeps_what_parsed_and_counts_the_rest(net: FakeNosDevices) -> None:
    samples, errors = poll_cli_device(_device(net, "ios-garbled"))
    assert errors == ["ios-garbled: `show processes cpu`: 1 line(s) not understood"]
    host = next(s for s in samples if s.measurement == "host")
    assert host.fields["cpu_pct"] == 6
    assert samples[0].fields["poll_errors"] == 1
    assert validate_samples(samples) == []


def test_hung_device_times_out_with_a_clear_error() -> None:
    with SilentTcpListener() as hung:
        device = Device(
            name="hung-sw",
            address="127.0.0.1",
            ssh=SshCredentials("cisco_ios", port=hung.port, user="admin", timeout_s=1.0),
        )
        samples, errors = poll_cli_device(device)
    assert errors == ["hung-sw: no SSH banner within `ssh.timeout`"]
    assert samples[0].fields["up"] == 0 and samples[0].tags["error"] == "timeout"


def test_unreachable_port() -> None:
    device = Device("gone", "127.0.0.1", ssh=SshCredentials("cisco_ios", port=free_tcp_port()))
    with pytest.raises(UnreachableError, match=r"^gone: cannot reach 127\.0\.0\.1:\d+"):
        CliCollector().collect_sync(device, CliPlan("cisco_ios", ("show version",)))


async def test_ten_devices_concurrently_one_hung_the_others_finish(net: FakeNosDevices) -> None:
    collector = CliCollector(max_workers=10)
    plan = CliPlan("cisco_ios", ("show version",), ("% Invalid input",))
    finished: dict[str, float] = {}
    with SilentTcpListener() as hung:
        # The hung device goes first and holds a worker; its long connect timeout is cut
        # short by its per-device deadline, which closes the socket under the thread.
        devices = [
            Device(
                "hung-sw",
                "127.0.0.1",
                ssh=SshCredentials("cisco_ios", port=hung.port, user="admin", timeout_s=60.0),
                deadline_s=8.0,
            )
        ]
        devices += [_device(net, n) for n in CROWD]
        start = time.monotonic()

        async def one(d: Device) -> RawCli | Exception:
            try:
                return await collector.collect(d, plan)
            except Exception as exc:
                return exc
            finally:
                finished[d.name] = time.monotonic() - start

        results = await asyncio.gather(*(one(d) for d in devices))
    collector.close()
    for name, result in zip(CROWD, results[1:], strict=True):
        assert isinstance(result, RawCli), (name, result)
        assert "show version" in result.outputs
    assert isinstance(results[0], CollectTimeout)
    assert str(results[0]) == "hung-sw: CLI poll did not finish within its deadline of 8s"
    # Nobody waited for the hung device.
    assert max(finished[n] for n in CROWD) < finished["hung-sw"]


async def test_persistent_session_is_reused_and_reconnects(net: FakeNosDevices) -> None:
    collector = CliCollector()
    device = _device(net, "cisco_nxos", "cisco_nxos", persistent=True)
    profile = load_cli_profile("cisco_nxos")
    try:
        for _ in range(2):
            samples, errors = await poll_cli_device_async(device, collector, profile=profile)
            assert errors == [] and samples[0].fields["up"] == 1
        assert collector.session_polls() == {"cisco_nxos": 2}
        # The device drops the session (reload, idle timeout): the next poll reconnects.
        collector.drop_session("cisco_nxos")
        samples, errors = await poll_cli_device_async(device, collector, profile=profile)
        assert errors == [] and len(samples) > 5
        assert collector.session_polls() == {"cisco_nxos": 1}
        raw = await collector.collect(device, plan_for(profile))
        assert set(raw.outputs) == set(profile.command_lines)
        assert collector.session_polls() == {"cisco_nxos": 2}
    finally:
        collector.close()


async def test_one_device_gets_one_session_at_a_time(net: FakeNosDevices) -> None:
    """Two overlapping polls of one device queue on its connection limit and share the
    persistent session instead of opening a second one."""
    collector = CliCollector(connections_per_device=1)
    device = _device(net, "crowd-0", persistent=True, enable_secret=Secret("en-secret"))
    plan = CliPlan("cisco_ios", ("show version",))
    try:
        first, second = await asyncio.gather(
            collector.collect(device, plan), collector.collect(device, plan)
        )
        assert "show version" in first.outputs and "show version" in second.outputs
        assert collector.session_polls() == {"crowd-0": 2}
    finally:
        collector.close()
