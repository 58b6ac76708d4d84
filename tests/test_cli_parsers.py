"""CLI parsing (pure): recorded outputs of each platform -> canonical samples.

The outputs in tests/fixtures/cli/<platform>/ follow real devices' layouts; each platform's
samples must validate against the schema and equal the reviewed golden file
`expected.json` (regenerate with LANPULSE_REGEN_GOLDEN=1 and review the diff).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lanpulse.core.errors import ConfigError
from lanpulse.core.model import Device, RawCli, SshCredentials
from lanpulse.core.schema import validate_samples
from lanpulse.parsers.cli import cli_platforms, load_cli_profile, parse_cli
from lanpulse.parsers.cli.convert import to_duration, to_junos_duration, to_rate_bps
from lanpulse.parsers.cli.ifname import canonical_if_name
from lanpulse.parsers.cli.profile import load_cli_profile_file
from lanpulse.sim.fakenos_devices import load_fixture_outputs

FIXTURES = Path(__file__).parent / "fixtures" / "cli"
T0 = 1_700_000_000_000_000_000
PLATFORMS = ["cisco_ios", "cisco_nxos", "arista_eos", "juniper_junos", "hp_procurve", "linux"]


def _device(platform: str, **kw: object) -> Device:
    return Device(name=f"{platform}-1", address="127.0.0.1", ssh=SshCredentials(platform), **kw)  # type: ignore[arg-type]


def _parse(platform: str, outputs: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    outs = outputs if outputs is not None else load_fixture_outputs(FIXTURES / platform)
    raw = RawCli(f"{platform}-1", platform, T0, outs)
    return parse_cli(raw, load_cli_profile(platform), _device(platform, labels={"site": "hq"}))


def test_every_platform_has_a_profile_and_fixtures() -> None:
    assert sorted(cli_platforms()) == sorted(PLATFORMS)
    for platform in PLATFORMS:
        profile = load_cli_profile(platform)
        recorded = load_fixture_outputs(FIXTURES / platform)
        assert set(profile.command_lines) == set(recorded), platform


@pytest.mark.parametrize("platform", PLATFORMS)
def test_platform_outputs_parse_into_valid_golden_samples(platform: str) -> None:
    result = _parse(platform)
    assert result.skipped == 0, result.problems
    assert validate_samples(list(result.samples)) == []
    for s in result.samples:
        assert s.tags["device"] == f"{platform}-1" and s.tags["site"] == "hq"
        assert s.time_ns == T0
    got = [s.to_json() for s in result.samples]
    golden = FIXTURES / platform / "expected.json"
    if os.environ.get("LANPULSE_REGEN_GOLDEN"):
        golden.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    assert got == json.loads(golden.read_text())


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_declared_field_is_produced(platform: str) -> None:
    """Like Datadog's profile test: a field a profile maps must come out of its recording."""
    produced = {(s.measurement, f) for s in _parse(platform).samples for f in s.fields}
    for cmd in load_cli_profile(platform).commands:
        for smap in cmd.samples:
            for fmap in smap.fields:
                assert (smap.measurement, fmap.name) in produced, (cmd.command, fmap.name)


def test_cisco_ios_semantics() -> None:
    by = {
        (
            s.measurement,
            s.tags.get("if_name")
            or s.tags.get("port")
            or s.tags.get("module")
            or s.tags.get("sensor"),
        ): s
        for s in _parse("cisco_ios").samples
    }
    gi1 = by[("interface", "GigabitEthernet1/0/1")]
    assert gi1.fields["in_crc_errors"] == 15 and gi1.fields["in_errors"] == 17
    assert gi1.fields["out_discards"] == 1204 and gi1.fields["speed_bps"] == 1_000_000_000
    assert gi1.tags["if_index"] == "GigabitEthernet1/0/1"  # no ifIndex on the IOS CLI
    assert by[("interface", "Vlan1")].fields["admin_status"] == 2
    assert by[("poe", "GigabitEthernet1/0/3")].fields == {
        "power_w": 6.5,
        "max_power_w": 30.0,
        "poe_class": 2,
        "status": 3,
    }
    assert "poe_class" not in by[("poe", "GigabitEthernet1/0/2")].fields  # "n/a" is left out
    assert by[("poe", "1")].fields == {"budget_w": 715.0, "used_w": 53.4, "remaining_w": 661.6}
    dev = by[("device", None)]
    assert dev.tags["model"] == "C9300-48P"
    assert dev.fields["uptime_seconds"] == ((12 * 7 + 3) * 24 + 4) * 3600 + 25 * 60


def test_junos_uses_the_snmp_ifindex_it_prints() -> None:
    ifs = {
        s.tags["if_name"]: s
        for s in _parse("juniper_junos").samples
        if s.measurement == "interface"
    }
    assert ifs["ge-0/0/0"].tags["if_index"] == "515"
    assert "speed_bps" not in ifs["ge-0/0/1"].fields  # "Speed: Auto" is not a speed


def test_garbage_lines_are_dropped_and_counted_rows_around_them_kept() -> None:
    outs = load_fixture_outputs(FIXTURES / "cisco_ios")
    lines = outs["show power inline"].splitlines()
    lines.insert(9, "@@#!! \x1b[7mgarbled line from a flaky vty")
    lines.insert(12, "Gi1/0/x   auto   ??         nan")
    outs["show power inline"] = "\n".join(lines)
    result = _parse("cisco_ios", outs)
    ports = sorted(
        s.tags["port"] for s in result.samples if s.measurement == "poe" and "port" in s.tags
    )
    assert len(ports) == 6  # every real row survived
    assert result.skipped == 2
    assert any("2 line(s) not understood" in p for p in result.problems)
    assert validate_samples(list(result.samples)) == []


def test_output_that_is_all_garbage_counts_and_keeps_the_rest() -> None:
    outs = load_fixture_outputs(FIXTURES / "linux")
    outs["cat /proc/loadavg"] = "\x00\x01 binary junk\nmore junk"
    result = _parse("linux", outs)
    assert result.skipped >= 1
    assert any("cat /proc/loadavg" in p for p in result.problems)
    host = next(s for s in result.samples if s.measurement == "host")
    assert "mem_total_bytes" in host.fields and "load1" not in host.fields


def test_missing_outputs_are_skipped_quietly() -> None:
    result = _parse(
        "cisco_ios", {"show version": load_fixture_outputs(FIXTURES / "cisco_ios")["show version"]}
    )
    assert [s.measurement for s in result.samples] == ["device"]
    assert result.skipped == 0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1 year, 2 weeks, 3 days, 4 hours, 5 minutes", 365 * 86400 + 17 * 86400 + 4 * 3600 + 300),
        ("13 day(s), 4 hour(s), 20 minute(s), 30 second(s)", 13 * 86400 + 4 * 3600 + 1230),
        ("2 weeks, 1 day, 3 hours and 17 minutes", 15 * 86400 + 3 * 3600 + 17 * 60),
        ("41 days", 41 * 86400),
        ("98 days, 3:18", 98 * 86400 + 3 * 3600 + 18 * 60),
    ],
)
def test_durations(text: str, seconds: int) -> None:
    assert to_duration(text) == seconds


def test_junos_duration_and_rates() -> None:
    assert to_junos_duration("14w0d 03:18") == 98 * 86400 + 3 * 3600 + 18 * 60
    assert to_rate_bps("1000000 Kbit") == 1_000_000_000
    assert to_rate_bps("10Gbps") == 10_000_000_000
    assert to_rate_bps("1000mbps") == 1_000_000_000


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("Gi1/0/1", "GigabitEthernet1/0/1"),
        ("Te1/1/1", "TenGigabitEthernet1/1/1"),
        ("Et1", "Ethernet1"),
        ("Ma1", "Management1"),
        ("Po10", "Port-channel10"),
        ("ge-0/0/0", "ge-0/0/0"),
        ("A1", "A1"),
        ("1", "1"),
    ],
)
def test_interface_names_are_canonical(short: str, full: str) -> None:
    assert canonical_if_name(short) == full


def test_profile_errors_name_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "platform: x\ncommands:\n  - command: show x\n    template: ntc:x.textfsm\n"
        "    samples:\n      - measurement: interface\n        fields: {bogus: COL}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_cli_profile_file(bad)
    assert (
        str(err.value) == f"{bad}: commands[0].samples[0].fields.bogus: not a field of 'interface'"
    )
    bad.write_text("platform: [unclosed\n")
    with pytest.raises(ConfigError) as err:
        load_cli_profile_file(bad)
    assert err.value.line is not None and "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="no CLI profile for platform 'vax_vms'"):
        load_cli_profile("vax_vms")
