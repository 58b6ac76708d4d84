"""Source-precedence merge of SNMP and CLI samples (pure)."""

from __future__ import annotations

import pytest

from lanpulse.core.model import Sample
from lanpulse.core.schema import validate_samples
from lanpulse.parsers.merge import merge_samples

T_SNMP = 1_000
T_CLI = 2_000
BASE = {"device": "sw1", "class": "switch"}


def _if(name: str, index: str, t: int, **fields: int) -> Sample:
    return Sample("interface", {**BASE, "if_index": index, "if_name": name}, fields, t)


def test_interface_joins_on_canonical_name_and_keeps_snmp_identity() -> None:
    snmp = [_if("Gi1/0/1", "10101", T_SNMP, in_errors=5, in_octets=900)]
    cli_sample = Sample(
        "interface",
        {
            **BASE,
            "if_index": "GigabitEthernet1/0/1",
            "if_name": "GigabitEthernet1/0/1",
            "if_alias": "AP",
        },
        {"in_errors": 7, "in_crc_errors": 3},
        T_CLI,
    )
    [merged] = merge_samples(snmp, [cli_sample], {})
    assert merged.tags == {**BASE, "if_index": "10101", "if_name": "Gi1/0/1", "if_alias": "AP"}
    assert merged.fields == {"in_errors": 5, "in_octets": 900, "in_crc_errors": 3}
    assert merged.time_ns == T_SNMP
    assert validate_samples([merged]) == []


@pytest.mark.parametrize(
    ("prefer", "expected"),
    [
        ({}, 5),
        ({"*": "cli"}, 7),
        ({"interface": "cli"}, 7),
        ({"interface": "cli", "interface.in_errors": "snmp"}, 5),
        ({"host": "cli"}, 5),
    ],
)
def test_preference_order_field_then_measurement_then_default(
    prefer: dict[str, str], expected: int
) -> None:
    snmp = [_if("Ethernet1", "1", T_SNMP, in_errors=5)]
    cli = [_if("Et1", "Ethernet1", T_CLI, in_errors=7)]
    [merged] = merge_samples(snmp, cli, prefer)
    assert merged.fields["in_errors"] == expected


def test_cli_only_series_pass_through_and_order_is_stable() -> None:
    host_snmp = Sample("host", BASE, {"cpu_pct": 10.0}, T_SNMP)
    host_cli = Sample("host", BASE, {"cpu_pct": 12.0, "load1": 0.5}, T_CLI)
    poe = Sample("poe", {**BASE, "port": "Gi1/0/1"}, {"power_w": 6.5}, T_CLI)
    device_snmp = Sample("device", {**BASE, "vendor": "cisco"}, {"up": 1}, T_SNMP)
    device_cli = Sample(
        "device", {**BASE, "model": "C9300-48P"}, {"up": 1, "uptime_seconds": 9}, T_CLI
    )
    out = merge_samples(
        [device_snmp, host_snmp], [host_cli, poe, device_cli], {"host.cpu_pct": "cli"}
    )
    assert [s.measurement for s in out] == ["device", "host", "poe"]
    assert out[0].tags == {**BASE, "vendor": "cisco", "model": "C9300-48P"}
    assert out[0].fields == {"up": 1, "uptime_seconds": 9}
    assert out[1].fields == {"cpu_pct": 12.0, "load1": 0.5}
    assert out[2] is poe


def test_distinct_series_do_not_merge() -> None:
    snmp = [_if("Gi1/0/1", "1", T_SNMP, in_errors=1), _if("Gi1/0/2", "2", T_SNMP, in_errors=2)]
    cli = [_if("GigabitEthernet1/0/2", "GigabitEthernet1/0/2", T_CLI, in_crc_errors=9)]
    out = merge_samples(snmp, cli, {})
    assert out[0].fields == {"in_errors": 1}
    assert out[1].fields == {"in_errors": 2, "in_crc_errors": 9}


def test_unknown_source_is_one_clear_error() -> None:
    with pytest.raises(
        ValueError,
        match=r"source preference 'interface': expected one of \('snmp', 'cli'\), got 'ssh'",
    ):
        merge_samples([], [], {"interface": "ssh"})


def test_merge_sources_one_device_sample_up_when_either_source_answered() -> None:
    from lanpulse.parsers.merge import merge_sources

    tags = {"device": "sw1", "class": "switch"}
    snmp = [Sample("device", tags, {"up": 0, "poll_seconds": 2.0, "poll_errors": 1}, 10)]
    cli = [
        Sample(
            "device",
            {**tags, "error": "timeout"},
            {"up": 1, "poll_seconds": 3.5, "poll_errors": 0, "uptime_seconds": 99.0},
            11,
        ),
        Sample("host", tags, {"cpu_pct": 12.0}, 11),
    ]
    merged = merge_sources(snmp, cli, {})
    device = merged[0]
    assert device.measurement == "device" and device.time_ns == 10  # the SNMP poll's time
    assert device.fields == {"up": 1, "poll_seconds": 3.5, "poll_errors": 1, "uptime_seconds": 99.0}
    assert "error" not in device.tags
    assert [s.measurement for s in merged] == ["device", "host"]
