"""The shipped default packs: each rule fires on a representative unhealthy sample, and
only that rule; healthy samples fire nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanpulse.alerts.engine import AlertEngine, EngineOptions
from lanpulse.alerts.packs import load_rule_set
from lanpulse.alerts.records import active_alerts
from lanpulse.core.model import Sample
from lanpulse.core.schema import validate_sample

S = 1_000_000_000
T0 = 1_800_000_000 * S
SW = {"device": "sw1", "class": "switch"}
PR = {"device": "p1", "class": "printer"}
PC = {"device": "pc1", "class": "desktop"}
NAS = {"device": "nas1", "class": "storage"}
IF = {**SW, "if_index": "7", "if_name": "Gi1/0/7"}
TONER = {**PR, "supply": "Black Toner", "supply_index": "1", "supply_type": "toner"}
VOL = {**NAS, "volume": "/data", "storage_type": "fixed_disk"}
IF_OK = {
    "oper_status": 1,
    "admin_status": 1,
    "in_errors_ps": 0.0,
    "out_errors_ps": 0.0,
    "in_discards_ps": 0.0,
    "out_discards_ps": 0.0,
    "in_util_pct": 10.0,
    "out_util_pct": 10.0,
    "duplex": 3,
    "fcs_errors_ps": 0.0,
}
WLC = {"device": "wlc1", "class": "other"}
RADIO = {**WLC, "ap": "hq-ap-1", "ap_group": "hq", "radio": "1", "band": "5ghz"}
RADIO_OK = {"up": 1, "clients": 12, "util_pct": 20.0}
PRINTER_OK = {"no_paper": 0, "jammed": 0, "door_open": 0, "offline": 0, "service_requested": 0}

HEALTHY = [
    Sample("device", SW, {"up": 1}, 0),
    Sample("interface", IF, IF_OK, 0),
    Sample("printer", PR, PRINTER_OK, 0),
    Sample("printer_supply", TONER, {"level_pct": 80.0}, 0),
    Sample("storage", VOL, {"used_pct": 50.0}, 0),
    Sample("disk", {**NAS, "disk": "d1"}, {"health": 0}, 0),
    Sample("raid", {**NAS, "array": "md0"}, {"health": 0}, 0),
    Sample("sensor", {**SW, "sensor": "psu1", "sensor_type": "power_supply"}, {"health": 0}, 0),
    Sample("host", PC, {"cpu_pct": 20.0, "mem_used_pct": 40.0}, 0),
    Sample("wireless_ap", RADIO, RADIO_OK, 0),
]

CASES = [
    ("device_down", Sample("device", SW, {"up": 0}, 0)),
    ("interface_down", Sample("interface", IF, {**IF_OK, "oper_status": 2}, 0)),
    ("interface_in_errors", Sample("interface", IF, {**IF_OK, "in_errors_ps": 5.0}, 0)),
    ("interface_out_errors", Sample("interface", IF, {**IF_OK, "out_errors_ps": 5.0}, 0)),
    ("interface_in_discards", Sample("interface", IF, {**IF_OK, "in_discards_ps": 90.0}, 0)),
    ("interface_out_discards", Sample("interface", IF, {**IF_OK, "out_discards_ps": 90.0}, 0)),
    ("link_in_utilisation_high", Sample("interface", IF, {**IF_OK, "in_util_pct": 95.0}, 0)),
    ("link_out_utilisation_high", Sample("interface", IF, {**IF_OK, "out_util_pct": 95.0}, 0)),
    ("interface_duplex_mismatch", Sample("interface", IF, {**IF_OK, "duplex": 2}, 0)),
    ("interface_fcs_errors", Sample("interface", IF, {**IF_OK, "fcs_errors_ps": 3.0}, 0)),
    ("toner_low", Sample("printer_supply", TONER, {"level_pct": 5.0}, 0)),
    ("paper_empty", Sample("printer", PR, {**PRINTER_OK, "no_paper": 1}, 0)),
    ("paper_jam", Sample("printer", PR, {**PRINTER_OK, "jammed": 1}, 0)),
    ("printer_door_open", Sample("printer", PR, {**PRINTER_OK, "door_open": 1}, 0)),
    ("printer_offline", Sample("printer", PR, {**PRINTER_OK, "offline": 1}, 0)),
    ("printer_service_requested", Sample("printer", PR, {**PRINTER_OK, "service_requested": 1}, 0)),
    # Issue 16: a supply with no percentage is invisible to toner_low; the printer's own
    # flags page instead.
    ("printer_toner_low", Sample("printer", PR, {**PRINTER_OK, "low_toner": 1}, 0)),
    ("printer_toner_empty", Sample("printer", PR, {**PRINTER_OK, "no_toner": 1}, 0)),
    ("volume_nearly_full", Sample("storage", VOL, {"used_pct": 93.0}, 0)),
    ("disk_failed", Sample("disk", {**NAS, "disk": "d1"}, {"health": 2}, 0)),
    ("raid_degraded", Sample("raid", {**NAS, "array": "md0"}, {"health": 1}, 0)),
    ("raid_failed", Sample("raid", {**NAS, "array": "md0"}, {"health": 2}, 0)),
    (
        "sensor_critical",
        Sample("sensor", {**SW, "sensor": "psu1", "sensor_type": "power_supply"}, {"health": 2}, 0),
    ),
    ("desktop_cpu_saturated", Sample("host", PC, {"cpu_pct": 99.0, "mem_used_pct": 40.0}, 0)),
    ("desktop_memory_saturated", Sample("host", PC, {"cpu_pct": 20.0, "mem_used_pct": 97.0}, 0)),
    ("wireless_ap_down", Sample("wireless_ap", RADIO, {**RADIO_OK, "up": 0}, 0)),
    ("wireless_ap_overloaded", Sample("wireless_ap", RADIO, {**RADIO_OK, "clients": 70}, 0)),
    (
        "wireless_channel_utilisation_high",
        Sample("wireless_ap", RADIO, {**RADIO_OK, "util_pct": 91.0}, 0),
    ),
]


def engine() -> AlertEngine:
    rules = load_rule_set([], base_dir=Path(".")).rules
    return AlertEngine(rules, options=EngineOptions(dependency_wait_s=0))


def test_representative_samples_follow_the_schema() -> None:
    for s in HEALTHY + [c[1] for c in CASES]:
        assert validate_sample(s) == [], s


def test_healthy_estate_fires_nothing() -> None:
    e = engine()
    for k in range(5):
        e.observe(HEALTHY, T0 + k * 600 * S)
        e.tick(T0 + k * 600 * S)
    assert active_alerts(e) == []


@pytest.mark.parametrize(("rule", "sample"), CASES, ids=[c[0] for c in CASES])
def test_each_pack_rule_fires_on_its_condition(rule: str, sample: Sample) -> None:
    e = engine()
    e.observe(HEALTHY, T0)
    for k in range(1, 8):  # 35 minutes of 5-minute polls: longer than every `for`
        t = T0 + k * 300 * S
        e.observe([sample], t)
        e.tick(t)
    firing = {a.rule for a in active_alerts(e) if a.state == "firing"}
    assert firing == {rule}  # toner at 5 % is low, not empty


def test_toner_empty_and_volume_full() -> None:
    e = engine()
    e.observe([Sample("printer_supply", TONER, {"level_pct": 0.0}, 0)], T0)
    e.observe([Sample("storage", VOL, {"used_pct": 99.0}, 0)], T0)
    e.tick(T0 + 900 * S)
    e.observe([Sample("storage", VOL, {"used_pct": 99.0}, 0)], T0 + 900 * S)
    firing = {a.rule for a in active_alerts(e) if a.state == "firing"}
    assert firing == {"toner_low", "toner_empty", "volume_nearly_full", "volume_full"}


def test_interface_never_up_or_admin_down_stays_quiet() -> None:
    e = engine()
    e.observe([Sample("interface", IF, {**IF_OK, "oper_status": 2}, 0)], T0)  # never seen up
    e.observe(
        [
            Sample(
                "interface",
                {**IF, "if_index": "8"},
                {**IF_OK, "admin_status": 2, "oper_status": 2},
                0,
            )
        ],
        T0,
    )
    e.tick(T0 + 3600 * S)
    assert active_alerts(e) == []
