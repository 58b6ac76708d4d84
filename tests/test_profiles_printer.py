"""Printer-MIB rules on synthetic agents: sentinels, caps, colours, error bits, covers, alerts.

No recording has prtAlertTable, prtCoverTable, prtMarkerColorantTable or hrPrinterStatus,
so these build the RawSnmp such an agent returns.
"""

from __future__ import annotations

import pytest

from lanpulse.config.profiles import builtin_profiles
from lanpulse.core.model import Device, RawSnmp, Sample, SnmpValue
from lanpulse.core.schema import PRINTER_CONDITIONS, validate_samples
from lanpulse.parsers.quirks.hp_jetdirect import reassemble
from lanpulse.parsers.quirks.printer import decode_error_state
from lanpulse.parsers.snmp_profile import parse_snmp

SUP = "1.3.6.1.2.1.43.11.1.1."
TRAY = "1.3.6.1.2.1.43.8.2.1."
DEV = Device(name="p1", address="127.0.0.1")


def _parse(columns: dict[str, dict[str, SnmpValue]], profile: str = "printer") -> list[Sample]:
    raw = RawSnmp(device="p1", started_ns=0, scalars={}, columns=columns)
    result = parse_snmp(raw, builtin_profiles().get(profile), DEV)
    assert result.errors == []
    assert validate_samples(result.samples) == []
    return result.samples


def _supply(level: int, max_capacity: int, **extra: dict[str, SnmpValue]) -> list[Sample]:
    cols: dict[str, dict[str, SnmpValue]] = {
        SUP + "6": {"1.1": b"Black Toner"},
        SUP + "5": {"1.1": 3},
        SUP + "8": {"1.1": max_capacity},
        SUP + "9": {"1.1": level},
        **extra,
    }
    return [s for s in _parse(cols) if s.measurement == "printer_supply"]


@pytest.mark.parametrize(
    ("level", "max_capacity", "fields"),
    [
        (40, 100, {"level": 40, "max_capacity": 100, "level_pct": 40.0, "level_state": 0}),
        (1060, 5300, {"level": 1060, "max_capacity": 5300, "level_pct": 20.0, "level_state": 0}),
        (120, 100, {"level": 120, "max_capacity": 100, "level_pct": 100.0, "level_state": 0}),
        (-3, 100, {"max_capacity": 100, "some_remaining": 1, "level_state": 1}),
        (-3, -2, {"some_remaining": 1, "level_state": 1}),
        (-2, 100, {"max_capacity": 100, "level_state": 2}),  # unknown level: no level, no pct
        (-1, 100, {"max_capacity": 100, "level_state": 3}),  # "other": no level, no pct
        (-2, -2, {"level_state": 2}),  # nothing known: still written, with its state
        (-7, -2, {"level_state": 2}),  # a negative value the MIB does not define: unknown
        (50, -2, {"level": 50, "level_state": 0}),  # unknown capacity: never a percentage
        (50, -1, {"level": 50, "level_state": 0}),
        (0, 0, {"level": 0, "max_capacity": 0, "level_state": 0}),  # no division by zero
    ],
)
def test_supply_sentinels(level: int, max_capacity: int, fields: dict[str, object]) -> None:
    """SCHEMA.md's sentinel rules, one case each."""
    (sample,) = _supply(level, max_capacity)
    assert dict(sample.fields) == fields
    assert sample.tags["supply_type"] == "toner"
    assert sample.tags["supply_index"] == "1.1"


def test_supply_colour_from_colorant_table_wins() -> None:
    """prtMarkerSuppliesColorantIndex -> prtMarkerColorantValue, before description words."""
    colorant = {SUP + "3": {"1.1": 2}, "1.3.6.1.2.1.43.12.1.1.4": {"1.2": b"cyan"}}
    (sample,) = _supply(10, 100, **colorant)
    assert sample.tags["color"] == "cyan"  # the description says black; the agent says cyan


def test_supply_colour_from_description_and_type_inference() -> None:
    """Without type column and colorant table: kind and colour come from the description."""
    cols: dict[str, dict[str, SnmpValue]] = {
        SUP + "6": {"1.1": b"Magenta Toner", "1.2": b"Waste Toner Container", "1.3": b"Fuser"},
        SUP + "8": {"1.1": 100, "1.2": 100, "1.3": 100},
        SUP + "9": {"1.1": 5, "1.2": 6, "1.3": 7},
    }
    got = {
        s.tags["supply"]: (s.tags["supply_type"], s.tags.get("color"))
        for s in _parse(cols)
        if s.measurement == "printer_supply"
    }
    assert got == {
        "Magenta Toner": ("toner", "magenta"),
        "Waste Toner Container": ("waste_toner", None),
        "Fuser": ("fuser", None),
    }


def test_tray_sentinels_and_names() -> None:
    """Trays follow the same rules; an unnamed tray is named by its index."""
    cols: dict[str, dict[str, SnmpValue]] = {
        TRAY + "13": {"1.1": b"Tray 1"},
        TRAY + "9": {"1.1": 500, "1.2": 250, "1.3": -2},
        TRAY + "10": {"1.1": 200, "1.2": -3, "1.3": -2},
    }
    samples = _parse(cols)
    trays = {s.tags["tray"]: dict(s.fields) for s in samples if s.measurement == "printer_tray"}
    assert trays == {
        "Tray 1": {"level": 200, "max_capacity": 500, "level_pct": 40.0, "level_state": 0},
        "Tray 2": {"max_capacity": 250, "level_state": 1},
        "Tray 3": {"level_state": 2},  # nothing known: still reported, with its state
    }


@pytest.mark.parametrize(
    ("octets", "set_bits"),
    [
        (b"", set()),
        (b"\x00", set()),
        (b"\x80", {"low_paper"}),  # bit 0 = MSB of the first octet
        (b"\x01", {"service_requested"}),  # bit 7
        (b"\x08", {"door_open"}),  # bit 4
        (b"\x04", {"jammed"}),  # bit 5
        (b"\x00\x80", {"input_tray_missing"}),  # bit 8 = MSB of the second octet
        (b"\x00\x02", {"overdue_prevent_maint"}),  # bit 14
        (b"\xff\xfe", set(PRINTER_CONDITIONS)),
        (b"\x81\x00\x00", {"low_paper", "service_requested"}),  # a third octet is ignored
    ],
)
def test_error_state_bits(octets: bytes, set_bits: set[str]) -> None:
    """One or two octets, MSB first; an empty value reports no condition at all."""
    decoded = decode_error_state(octets)
    if not octets:
        assert decoded == {}
        return
    assert {k for k, v in decoded.items() if v} == set_bits
    assert set(decoded) == set(PRINTER_CONDITIONS)


def test_printer_status_alerts_and_covers() -> None:
    """hrPrinterStatus, device status, page count over markers, covers, alert counts."""
    cols: dict[str, dict[str, SnmpValue]] = {
        "1.3.6.1.2.1.25.3.5.1.1": {"1": 4},  # hrPrinterStatus printing
        "1.3.6.1.2.1.25.3.5.1.2": {"1": b"\x00"},
        "1.3.6.1.2.1.25.3.2.1.5": {"1": 3, "2": 2},  # device 2 is a NIC: ignored
        "1.3.6.1.2.1.43.10.2.1.4": {"1.1": 1000, "1.2": 234, "2.1": 99},
        "1.3.6.1.2.1.43.6.1.1.3": {"1.1": 4, "1.2": 3},  # closed, doorOpen
        "1.3.6.1.2.1.43.18.1.1.2": {"1.1": 3, "1.2": 4, "1.3": 5, "1.4": 1, "2.1": 3},
    }
    (printer,) = [s for s in _parse(cols) if s.measurement == "printer"]
    assert printer.fields["status"] == 4
    assert printer.fields["device_status"] == 3
    assert printer.fields["page_count"] == 1234
    assert printer.fields["door_open"] == 1
    assert printer.fields["alerts_critical"] == 1
    assert printer.fields["alerts_warning"] == 2
    assert printer.fields["jammed"] == 0


def test_closed_covers_and_no_alert_table() -> None:
    """Closed covers report door_open 0; without alert rows no alert counts are invented."""
    cols: dict[str, dict[str, SnmpValue]] = {
        "1.3.6.1.2.1.25.3.5.1.2": {"1": b""},
        "1.3.6.1.2.1.25.3.2.1.5": {"1": 2},
        "1.3.6.1.2.1.43.6.1.1.3": {"1.1": 4},
    }
    (printer,) = [s for s in _parse(cols) if s.measurement == "printer"]
    assert dict(printer.fields) == {"device_status": 2, "door_open": 0}


def test_vendor_description_quirks() -> None:
    """Xerox part/serial, Samsung CRUM serial and OKI maker name are cut; HP reassembled."""
    assert reassemble("Black Cartridge \n38 32 37 41 20 48 50 00 ") == "Black Cartridge 827A HP"
    assert reassemble("Plain text") == "Plain text"
    cases = {
        "xerox": (b"Black Toner, PN 006R01509;SN48178080E0000481", "Black Toner"),
        "samsung": (b"Black Toner Cartridge S/N:CRUM-12345", "Black Toner Cartridge"),
        "oki": (b"Cyan Toner Cartridge OKI DATA CORP", "Cyan Toner Cartridge"),
    }
    for profile, (raw, clean) in cases.items():
        cols: dict[str, dict[str, SnmpValue]] = {
            SUP + "6": {"1.1": raw},
            SUP + "8": {"1.1": 100},
            SUP + "9": {"1.1": 50},
        }
        (sample,) = [s for s in _parse(cols, profile) if s.measurement == "printer_supply"]
        assert sample.tags["supply"] == clean, profile


def test_ricoh_near_end_is_some_remaining() -> None:
    """Ricoh's -100 "near end" is reported like -3, never as a percentage."""
    cols: dict[str, dict[str, SnmpValue]] = {
        SUP + "6": {"1.1": b"Black Toner"},
        SUP + "8": {"1.1": 100},
        SUP + "9": {"1.1": -100},
    }
    (sample,) = [s for s in _parse(cols, "ricoh") if s.measurement == "printer_supply"]
    assert dict(sample.fields) == {"max_capacity": 100, "some_remaining": 1, "level_state": 1}
