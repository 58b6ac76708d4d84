"""Trap maps (data) and the `event` parser (pure), and the `traps:` configuration section."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanpulse.config.loader import load_config_text
from lanpulse.config.trapmaps import load_trap_maps
from lanpulse.core.errors import ConfigErrors
from lanpulse.core.model import RawTrap, SnmpValue
from lanpulse.core.schema import validate_sample
from lanpulse.parsers.traps import MESSAGE_MAX, TrapParser

BASE = {"device": "sw1", "class": "switch", "site": "hq"}
PARSER = TrapParser(load_trap_maps())


def raw(trap_oid: str, *varbinds: tuple[str, SnmpValue]) -> RawTrap:
    return RawTrap("10.0.0.1", "2c", trap_oid, tuple(varbinds), 1_700_000_000_000_000_000)


def test_every_shipped_map_loads_and_names_schema_tags_and_fields() -> None:
    maps = load_trap_maps()
    events = {m.event for m in maps.by_oid.values()}
    for wanted in (
        "coldStart",
        "warmStart",
        "linkDown",
        "linkUp",
        "authenticationFailure",
        "printerV2Alert",
        "upsTrapOnBattery",
        "apcUpsOnBattery",
        "ciscoEnvMonTempStatusChange",
        "entSensorThresholdNotification",
        "hpicfSensorTrap",
        "entConfigChange",
    ):
        assert wanted in events


def test_link_down_with_ifdescr_only_and_index_from_the_instance() -> None:
    sample = PARSER.parse(
        raw(
            "1.3.6.1.6.3.1.1.5.3",
            ("1.3.6.1.2.1.2.2.1.7.10101", 1),
            ("1.3.6.1.2.1.2.2.1.8.10101", 2),
            ("1.3.6.1.2.1.2.2.1.2.10101", b"GigabitEthernet1/0/1"),
        ),
        BASE,
    )
    assert sample.measurement == "event"
    assert dict(sample.tags) == {
        **BASE,
        "event": "linkDown",
        "severity": "warning",
        "if_index": "10101",
        "if_name": "GigabitEthernet1/0/1",
    }
    assert sample.fields["message"] == "link down on GigabitEthernet1/0/1 (ifIndex 10101)"
    assert (sample.fields["admin_status"], sample.fields["oper_status"]) == (1, 2)
    assert sample.time_ns == 1_700_000_000_000_000_000
    assert validate_sample(sample) == []


def test_ifname_wins_over_ifdescr() -> None:
    sample = PARSER.parse(
        raw(
            "1.3.6.1.6.3.1.1.5.4",
            ("1.3.6.1.2.1.2.2.1.1.3", 3),
            ("1.3.6.1.2.1.2.2.1.2.3", b"GigabitEthernet0/3"),
            ("1.3.6.1.2.1.31.1.1.1.1.3", b"Gi0/3"),
        ),
        BASE,
    )
    assert (sample.tags["event"], sample.tags["if_name"], sample.tags["severity"]) == (
        "linkUp",
        "Gi0/3",
        "info",
    )


@pytest.mark.parametrize(("level", "severity"), [(3, "critical"), (4, "warning"), (1, "info")])
def test_printer_alert_severity_from_its_varbind(level: int, severity: str) -> None:
    entry = "1.3.6.1.2.1.43.18.1.1"
    sample = PARSER.parse(
        raw(
            "1.3.6.1.2.1.43.18.2.0.1",
            (f"{entry}.2.1.12", level),
            (f"{entry}.4.1.12", 11),
            (f"{entry}.7.1.12", 1101),
            (f"{entry}.8.1.12", b"Black toner empty"),
        ),
        BASE,
    )
    assert sample.tags["severity"] == severity
    assert sample.tags["alert_index"] == "1.12"
    assert sample.fields["alert_code"] == 1101
    assert sample.fields["message"] == (
        f"printer alert 1101 (group 11, severity level {level}) Black toner empty"
    )
    assert validate_sample(sample) == []


def test_ups_on_battery_fields_are_numbers() -> None:
    sample = PARSER.parse(
        raw(
            "1.3.6.1.2.1.33.2.1",
            ("1.3.6.1.2.1.33.1.2.3.0", 42),
            ("1.3.6.1.2.1.33.1.2.2.0", 17),
        ),
        BASE,
    )
    assert sample.fields["battery_minutes_remaining"] == 42.0
    assert isinstance(sample.fields["battery_minutes_remaining"], float)
    assert sample.fields["message"] == "UPS on battery for 17 s, 42 min remaining"
    assert validate_sample(sample) == []


def test_a_field_of_the_wrong_type_is_left_out() -> None:
    sample = PARSER.parse(
        raw("1.3.6.1.6.3.1.1.5.3", ("1.3.6.1.2.1.2.2.1.8.3", b"down")),
        BASE,
    )
    assert "oper_status" not in sample.fields
    assert validate_sample(sample) == []


def test_unknown_trap_is_kept_with_its_oid_and_varbinds() -> None:
    sample = PARSER.parse(
        raw("1.3.6.1.4.1.99999.0.3", ("1.3.6.1.4.1.99999.1.0", b"x" * 5000)), BASE
    )
    assert (sample.tags["event"], sample.tags["severity"]) == ("unknown", "info")
    assert sample.fields["trap_oid"] == "1.3.6.1.4.1.99999.0.3"
    message = sample.fields["message"]
    assert isinstance(message, str) and len(message) == MESSAGE_MAX
    assert message.startswith("unmapped trap 1.3.6.1.4.1.99999.0.3: 1.3.6.1.4.1.99999.1.0=xxx")


values = st.one_of(st.integers(-(2**63), 2**64), st.binary(max_size=80), st.text(max_size=20))


@given(
    st.sampled_from(sorted(load_trap_maps().by_oid)),
    st.lists(
        st.tuples(
            st.sampled_from(["1.3.6.1.2.1.2.2.1.8.3", "1.3.6.1.2.1.43.18.1.1.2.1.1"]), values
        ),
        max_size=5,
    ),
)
def test_any_varbinds_give_a_valid_event(
    trap_oid: str, varbinds: list[tuple[str, SnmpValue]]
) -> None:
    sample = PARSER.parse(raw(trap_oid, *varbinds), BASE)
    assert validate_sample(sample) == [] or all(
        "field" in p and ("above" in p or "below" in p or "not one of" in p)
        for p in validate_sample(sample)
    )


def test_map_mistakes_are_one_line_each(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text(
        "traps:\n"
        "  ok: {oid: 1.3.6.1.4.1.5.0.1, severity: info}\n"
        "  bad:\n"
        "    oid: 1.3.6.1.4.1.5.0.2\n"
        "    tags: {interface: 1.3.6.1.2.1.2.2.1.1}\n"
        "  dup: {oid: 1.3.6.1.4.1.5.0.1}\n"
    )
    with pytest.raises(ConfigErrors) as caught:
        load_trap_maps([tmp_path])
    lines = [e.one_line() for e in caught.value.errors]
    assert any(
        "site.yaml:5: traps.bad.tags: unknown event tag 'interface'" in line for line in lines
    )
    assert any(
        "OID 1.3.6.1.4.1.5.0.1 is already mapped by site.yaml (ok)" in line for line in lines
    )


def test_a_site_map_replaces_a_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text(
        "traps:\n  coldStart: {oid: 1.3.6.1.6.3.1.1.5.1, severity: critical, message: boom}\n"
    )
    sample = TrapParser(load_trap_maps([tmp_path])).parse(raw("1.3.6.1.6.3.1.1.5.1"), BASE)
    assert (sample.tags["severity"], sample.fields["message"]) == ("critical", "boom")


def test_traps_section_secrets_stay_secret(tmp_path: Path) -> None:
    (tmp_path / "community").write_text("file-community\n")
    loaded = load_config_text(
        "traps:\n"
        "  listen: '[::1]:1162'\n"
        "  communities: ['${TRAP_C}', {community_file: community}]\n"
        "  v3_users: [{user: nms, auth_protocol: SHA-256, auth_password: auth-pass-1,"
        " engine_id: '0x80001F8880AABBCCDD'}]\n",
        environ={"TRAP_C": "env-community"},
        base_dir=tmp_path,
    )
    traps = loaded.settings.traps
    assert traps is not None
    assert [c.reveal() for c in traps.community_secrets()] == ["env-community", "file-community"]
    assert traps.address == ("::1", 1162)
    assert traps.v3_users[0].auth_protocol == "sha256"
    assert traps.v3_users[0].engine_id == "80001f8880aabbccdd"
    text = repr(loaded.settings) + repr(traps)
    for secret in ("env-community", "file-community", "auth-pass-1"):
        assert secret not in text


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("{listen: '127.0.0.1:162'}", "no communities and no v3_users"),
        ("{listen: 'localhost:162', communities: [a]}", "'localhost' is not an IP address"),
        ("{communities: [a], repoll_min_interval: soon}", "bad duration 'soon'"),
        ("{communities: [a], v3_users: [{user: u}, {user: u}]}", "v3 user 'u' is listed twice"),
        ("{communities: [a], port: 162}", "unknown key 'port'"),
    ],
)
def test_traps_section_errors(section: str, message: str) -> None:
    with pytest.raises(ConfigErrors) as caught:
        load_config_text(f"traps: {section}\n", "cfg.yaml")
    (error,) = caught.value.errors
    assert error.one_line().startswith("cfg.yaml:1: traps")
    assert message in error.one_line()


def test_pure_storage_critical_alert() -> None:
    """PURESTORAGE-MIB pureCriticalTrap: the Purity alert's code, subject and body."""
    storage = {"device": "pure1", "class": "storage", "site": "hq"}
    sample = PARSER.parse(
        raw(
            "1.3.6.1.4.1.40482.2.52",
            ("1.3.6.1.4.1.40482.3.1.0", b"FlashArray"),
            ("1.3.6.1.4.1.40482.3.4.0", 17),
            ("1.3.6.1.4.1.40482.3.5.0", b"Drive failure"),
            ("1.3.6.1.4.1.40482.3.6.0", b"CH0.BAY7 failed"),
        ),
        storage,
    )
    assert (sample.tags["event"], sample.tags["severity"]) == ("pureCriticalTrap", "critical")
    assert sample.fields["alert_code"] == 17
    assert sample.fields["message"] == "Pure Storage alert 17: Drive failure CH0.BAY7 failed"
    assert validate_sample(sample) == []


def test_netapp_eseries_storage_array_critical() -> None:
    """SYNTHETIC varbinds written from SM10-R3-MIB: storageArrayCritical with the infoTable
    columns (instance 1: deviceHostIPType ipv4), the event text and component location."""
    info = "1.3.6.1.4.1.789.1123.1.500.1.1."
    sample = PARSER.parse(
        raw(
            "1.3.6.1.4.1.789.1123.1.500.0.2",
            (info + "4.1", b"e2700-a"),
            (info + "5.1", b"0x2801"),
            (info + "7.1", b"Drive failed"),
            (info + "8.1", b"Drive"),
            (info + "9.1", b"Tray 0, Slot 5"),
        ),
        {"device": "eseries1", "class": "storage"},
    )
    assert (sample.tags["event"], sample.tags["severity"]) == ("storageArrayCritical", "critical")
    assert sample.fields["message"] == "E-Series critical event: Drive failed (Tray 0, Slot 5)"
    assert validate_sample(sample) == []
