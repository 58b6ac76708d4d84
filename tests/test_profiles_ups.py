"""UPS profiles and class inference beyond the corpus.

The UPS values here are SYNTHETIC recordings written from the MIB texts (PowerNet-MIB for
APC, RFC 1628 UPS-MIB, MGE-MIB), not device captures: other models than the corpus ones
(an older APC card with only the "advanced" group, on battery, battery to replace, failed
self-test; a plain RFC 1628 agent; an Eaton 5PX under XUPS's sysObjectID). The inference
cases are corpus recordings with their sysObjectID and sysDescr replaced by unknown ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _recordings import RECORDINGS, replay_values

from lanpulse.config.profiles import load_profiles
from lanpulse.core.errors import ConfigErrors
from lanpulse.core.model import Oid, SnmpValue
from lanpulse.core.schema import validate_samples
from lanpulse.sim.snmprec import read_snmprec

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OID = "1.3.6.1.2.1.1.2.0"
APC = "1.3.6.1.4.1.318.1.1.1."
UPS = "1.3.6.1.2.1.33.1."


def _rec(name: str) -> dict[str, SnmpValue]:
    return read_snmprec(next(RECORDINGS.glob(f"*/{name}.snmprec")))


def _ups(values: dict[str, SnmpValue], name: str) -> tuple[str, str, dict[str, float]]:
    rep = replay_values(name, values)
    assert rep.result.errors == []
    assert validate_samples(rep.result.samples) == []
    ups = [dict(s.fields) for s in rep.result.samples if s.measurement == "ups"]
    assert len(ups) == 1
    return rep.selection.profile.name, rep.selection.profile.device_class or "", ups[0]


def test_apc_advanced_group_on_battery_replace_and_failed_test() -> None:
    """Synthetic (PowerNet-MIB): a Smart-UPS SRT 3000 on a card without the high-precision
    group: whole-unit "advanced" values, on battery, battery to replace, self-test failed."""
    values: dict[str, SnmpValue] = {
        SYS_DESCR: b"APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.9.6 MN:AP9630)",
        SYS_OID: Oid("1.3.6.1.4.1.318.1.3.27"),
        "1.3.6.1.2.1.1.6.0": b"Custody suite comms room",
        APC + "1.1.1.0": b"Smart-UPS SRT 3000",
        APC + "1.2.3.0": b"AS2001123456",
        APC + "2.1.1.0": 3,  # batteryLow
        APC + "2.1.2.0": 18000,  # 180 s on battery (TimeTicks)
        APC + "2.2.1.0": 35,  # upsAdvBatteryCapacity %
        APC + "2.2.2.0": 31,  # upsAdvBatteryTemperature C
        APC + "2.2.3.0": 42000,  # 7 minutes left (TimeTicks)
        APC + "2.2.4.0": 2,  # batteryNeedsReplacing
        APC + "2.2.8.0": 94,  # upsAdvBatteryActualVoltage V
        APC + "3.2.1.0": 0,  # no input
        APC + "4.1.1.0": 3,  # onBattery
        APC + "4.2.1.0": 230,
        APC + "4.2.3.0": 47,
        APC + "7.2.3.0": 2,  # failed
    }
    profile, cls, ups = _ups(values, "apc_srt")
    assert (profile, cls) == ("apc", "ups")
    assert ups == {
        "status": 3,
        "on_battery": 1,
        "battery_status": 3,
        "battery_health": 1,
        "on_battery_seconds": 180,
        "battery_charge_pct": 35,
        "battery_temperature_c": 31,
        "battery_voltage_v": 94,
        "runtime_seconds": 420,
        "battery_replace": 1,
        "input_voltage_v": 0,
        "output_voltage_v": 230,
        "load_pct": 47,
        "self_test_result": 2,
        "self_test_failed": 1,
    }


def test_plain_rfc1628_agent_alarm_says_replace_battery() -> None:
    """Synthetic (UPS-MIB): a Generex CS141 (sysObjectID in the UPS-MIB tree) on battery,
    with upsAlarmBatteryBad and upsAlarmOnBattery in the alarm table, three output phases."""
    values: dict[str, SnmpValue] = {
        SYS_DESCR: b"CS141 SNMP Agent",
        SYS_OID: Oid("1.3.6.1.2.1.33"),
        UPS + "1.2.0": b"Multi Sentry 10kVA",
        UPS + "2.1.0": 3,  # batteryLow
        UPS + "2.2.0": 300,
        UPS + "2.3.0": 4,  # minutes
        UPS + "2.4.0": 22,
        UPS + "4.1.0": 5,  # battery
        UPS + "6.1.0": 2,
        UPS + "6.2.1.2.1": Oid("1.3.6.1.2.1.33.1.6.3.1"),  # upsAlarmBatteryBad
        UPS + "6.2.1.2.2": Oid("1.3.6.1.2.1.33.1.6.3.2"),  # upsAlarmOnBattery
        UPS + "7.3.0": 3,  # doneError
    }
    for phase, load in ((1, 30), (2, 55), (3, 41)):
        values[f"{UPS}4.4.1.2.{phase}"] = 229 + phase
        values[f"{UPS}4.4.1.4.{phase}"] = 1000 * phase
        values[f"{UPS}4.4.1.5.{phase}"] = load
    profile, cls, ups = _ups(values, "cs141")
    assert (profile, cls) == ("ups", "ups")
    assert ups["on_battery"] == 1 and ups["battery_health"] == 1
    assert ups["runtime_seconds"] == 240
    assert ups["battery_replace"] == 1 and ups["alarms"] == 2
    assert ups["self_test_failed"] == 1
    assert (ups["load_pct"], ups["output_power_w"], ups["output_voltage_v"]) == (55, 6000, 230)


def test_eaton_5px_under_the_xups_tree() -> None:
    """Another Eaton model (5PX, sysObjectID under 534) from the corpus 9PX's UPS-MIB
    values; without MGE-MIB the runtime is UPS-MIB's minutes."""
    values = {k: v for k, v in _rec("eaton-mgeups_9pxle").items() if ".705." not in k}
    values[SYS_OID] = Oid("1.3.6.1.4.1.534.1")
    values[SYS_DESCR] = b"Eaton 5PX 1500"
    values[UPS + "1.2.0"] = b"Eaton 5PX 1500"
    profile, _, ups = _ups(values, "eaton_5px")
    assert profile == "eaton_ups"
    assert ups["runtime_seconds"] == 18 * 60
    assert ups["battery_replace"] == 0  # no alarm rows, upsAlarmsPresent 0


def _unknown(values: dict[str, SnmpValue]) -> dict[str, SnmpValue]:
    values[SYS_OID] = Oid("1.3.6.1.4.1.99999.1")
    values[SYS_DESCR] = b"Embedded agent"
    return values


@pytest.mark.parametrize(
    ("recording", "profile", "device_class", "evidence"),
    [
        ("eaton-mgeups_9pxle", "ups", "ups", "UPS-MIB upsBatteryStatus"),
        ("utax", "printer", "printer", "Printer-MIB prtMarkerSuppliesLevel"),
        ("dell-powervault_me4024", "storage", "storage", "FC-MGMT connUnitType"),
        ("junos_ex4600mp", "switch", "switch", "LLDP-MIB lldpLocPortTable"),
        ("dlink_dgs-1510-28", "switch", "switch", "LLDP-MIB lldpLocPortTable"),
        ("linux_icecast", "server", "server", "HOST-RESOURCES hrStorageTable"),
        ("tplink_sg2008", "generic", "other", None),
    ],
)
def test_class_inference_for_unknown_vendors(
    recording: str, profile: str, device_class: str, evidence: str | None
) -> None:
    """A device no rule matches gets its class from what it answers; --explain says why."""
    rep = replay_values(recording, _unknown(_rec(recording)))
    got = rep.selection.profile
    assert (got.name, got.device_class) == (profile, device_class), rep.selection.reason
    assert rep.result.errors == []
    assert validate_samples(rep.result.samples) == []
    if evidence:
        assert f"class {device_class} inferred: the device answers {evidence}" in (
            rep.selection.reason
        )
    else:
        assert "answers none of the class evidence: fallback" in rep.selection.reason


def test_bad_evidence_in_a_user_profile_is_one_line(tmp_path: Path) -> None:
    """match.answers with both get and walk names the file and the key."""
    (tmp_path / "acme_ups.yaml").write_text(
        "extends: [_ups]\nmatch:\n  answers:\n"
        "    - {what: x, get: 1.3.6.1.2.1.33.1.1.2.0, walk: 1.3.6.1.2.1.33.1.6.2.1.2}\n"
    )
    with pytest.raises(ConfigErrors) as err:
        load_profiles([tmp_path])
    line = err.value.errors[0].one_line()
    assert "acme_ups.yaml" in line and "match.answers.0" in line
    assert "exactly one of 'get' and 'walk'" in line and "\n" not in line


def test_apc_pdu_is_not_a_ups() -> None:
    """An APC Rack PDU shares the card and sysObjectID tree: without upsBasicIdentModel it
    is no UPS (class inference finds nothing either: `generic`)."""
    values = {k: v for k, v in _rec("apc_sua1500rmi2u").items() if ".318.1.1.1." not in k}
    values[SYS_OID] = Oid("1.3.6.1.4.1.318.1.3.4.5")
    rep = replay_values("apc_pdu", values)
    assert (rep.selection.profile.name, rep.selection.profile.device_class) == ("generic", "other")
    ups = replay_values("apc_ups", _rec("apc_sua1500rmi2u")).selection
    assert ups.profile.name == "apc" and "answers 1.3.6.1.4.1.318.1.1.1.1.1.1.0" in ups.reason
