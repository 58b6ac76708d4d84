"""Quirk processors on the unusual values their short paths hand to the general code."""

from __future__ import annotations

from typing import Any

from lanpulse.core.model import Device, Oid, RawSnmp
from lanpulse.core.profile import Metric
from lanpulse.parsers.quirks import hr_storage, interface, windows
from lanpulse.parsers.rows import Row, RowContext

T = "1.3.6.1.2.1.25.2.1."
CTX = RowContext(
    raw=RawSnmp(device="d", started_ns=0, scalars={}, columns={}, errors=()),
    device=Device(name="d", address="127.0.0.1"),
    metric=Metric.model_validate({"name": "m", "measurement": "storage"}),
)


def _storage(index: str, volume: str, type_oid: Any, alloc: Any, size: Any, used: Any) -> Row:
    extra = {"type_oid": type_oid, "alloc_units": alloc, "size_units": size, "used_units": used}
    return Row(index=index, measurement="storage", tags={"volume": volume}, extra=extra)


def test_hr_storage_kinds_from_any_type_value_and_reclaimable_in_any_case() -> None:
    rows = [
        _storage("1", "Physical memory", Oid("." + T + "2"), 1024, 1000, 900),
        _storage("2", "MEMORY BUFFERS", T + "1", 1024, 100, 100),
        _storage("3", "Cached Memory", T + "1", 1024, 200, 200),
        _storage("4", "/proc", T + "4", 4096, 10, 10),
        _storage("5", "/data", T + "4", 4096, -1, True),  # wrapped size; a bool is no count
        _storage("6", "odd", (T + "4").encode(), 4096, 10, 5),  # bytes: not a type OID
        _storage("7", "ramdisk", T + "8", 4096, 10, 5),
        _storage("8", "Swap space", T + "3", 1024, 50, 10),
        _storage("9", "Virtual memory", T + "3", 1024, 1050, 910),
    ]
    out = hr_storage.route(rows, CTX)
    assert [(r.index, r.measurement) for r in out] == [
        ("8", "host"),  # swap first, so net-snmp's "Virtual memory" loses
        ("1", "host"),
        ("5", "storage"),
        ("7", "storage"),
    ]
    assert out[0].fields == {"swap_total_bytes": 50 * 1024, "swap_used_bytes": 10 * 1024}
    assert out[1].fields == {"mem_total_bytes": 1000 * 1024, "mem_used_bytes": 600 * 1024}
    assert out[2].fields == {"size_bytes": (2**32 - 1) * 4096}
    assert out[3].tags == {"volume": "ramdisk", "storage_type": "other"}
    assert all(not r.extra for r in rows)


def test_interface_speed_cases() -> None:
    cases: list[tuple[Any, Any, Any]] = [
        (None, 1000, 1_000_000_000),
        (None, True, 1_000_000),  # a bool is a number to isinstance, as before
        (None, 0.5, 500_000),
        (None, 0, None),
        (0, 0, None),
        (0, 100, 100_000_000),
        (4_294_967_295, 10_000, 10_000_000_000),
        (4_294_967_295, None, 4_294_967_295),
        (100_000_000, 40_000, 100_000_000),
        (-5, 1000, -5),
        (None, None, None),
        (0.0, None, None),
    ]
    for current, high, expected in cases:
        row = Row(index="1", measurement="interface", extra={"high_speed_mbps": high})
        if current is not None:
            row.fields["speed_bps"] = current
        interface.speed([row], CTX)
        got = row.fields.get("speed_bps")
        assert got == expected and type(got) is type(expected), (current, high, got)


def test_windows_volume_label_trimmed_only_when_present() -> None:
    rows = [
        Row(index="1", measurement="storage", tags={"volume": "C:\\ Label:Data  Serial 1"}),
        Row(index="2", measurement="storage", tags={"volume": "D:\\"}),
        Row(index="3", measurement="storage", tags={"volume": " Label:x"}),
        Row(index="4", measurement="host", tags={"volume": "E:\\ Label:y"}),
    ]
    windows.volume_name(rows, CTX)
    assert [r.tags["volume"] for r in rows] == ["C:\\", "D:\\", " Label:x", "E:\\ Label:y"]
