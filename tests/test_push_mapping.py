"""Telegraf's documented output -> canonical samples (tests/fixtures/telegraf/NOTICE.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanpulse.config.push_maps import load_push_maps
from lanpulse.core.errors import ConfigErrors
from lanpulse.core.lineprotocol_parse import parse_body
from lanpulse.core.schema import validate_samples
from lanpulse.parsers.push import HostContext, PushMapper
from lanpulse.parsers.rates import RateState

FIXTURES = Path(__file__).parent / "fixtures" / "telegraf"


def mapped(
    name: str, host: str, cls: str = "desktop"
) -> tuple[dict[tuple[str, str], dict[str, float]], PushMapper]:
    points, errors = parse_body((FIXTURES / name).read_text(), "n", 0)
    assert errors == []
    mapper = PushMapper(load_push_maps())
    out = mapper.map_host(points, HostContext(host, cls, {"site": "hq"}), RateState())
    assert validate_samples(out.samples) == []
    by_key: dict[tuple[str, str], dict[str, float]] = {}
    for s in out.samples:
        assert s.tags["device"] == host and s.tags["class"] == cls and s.tags["site"] == "hq"
        ident = s.tags.get("volume") or s.tags.get("if_name") or ""
        by_key.setdefault((s.measurement, ident), {}).update(s.fields)
    return by_key, mapper


def test_linux_inputs() -> None:
    got, _ = mapped("linux.lp", "loaner")
    assert got[("host", "")] == {
        "cpu_pct": pytest.approx(100 - 82.3834196941197),
        "mem_total_bytes": 20913917952,
        "mem_used_bytes": 3335778304,
        "mem_used_pct": 15.95004011996231,
        "swap_total_bytes": 20855394304,
        "swap_used_bytes": 9476448256,
        "load1": 3.72,
        "load5": 2.4,
        "load15": 2.1,
        "users": 3,
        "cpu_count": 4,
        "processes": 274,
    }
    assert got[("device", "")] == {"up": 1, "uptime_seconds": 1249632.0}
    # devfs and autofs are pseudo file systems; zero-size volumes are never written.
    assert [k for k in got if k[0] == "storage"] == [("storage", "/")]
    assert got[("storage", "/")] == {
        "size_bytes": 499088621568,
        "used_bytes": 100418957312,
        "free_bytes": 398407520256,
        "used_pct": 20.131039916242397,
    }
    # First interval: counters only (a rate needs two pushes).
    assert got[("interface", "eth0")] == {
        "in_octets": 3284081640,
        "out_octets": 451838509,
        "in_errors": 0,
        "out_errors": 0,
        "in_discards": 4,
        "out_discards": 0,
    }


def test_windows_default_set() -> None:
    got, _ = mapped("windows.lp", "PC-0001")
    assert got[("host", "")] == {"cpu_pct": 4.375}
    assert got[("device", "")] == {"up": 1, "uptime_seconds": 8072.95}
    assert [k for k in got if k[0] == "storage"] == [("storage", "C:")]
    assert got[("storage", "C:")] == {"free_bytes": 81234 * 1048576, "used_pct": 66.5}
    nic = "Intel[R] Ethernet Connection I219-LM"
    assert [k for k in got if k[0] == "interface"] == [("interface", nic)]
    assert got[("interface", nic)]["in_bps"] == 15234.5 * 8
    assert got[("interface", nic)]["in_discards"] == 12


def test_rates_resets_and_pass_through() -> None:
    mapper = PushMapper(load_push_maps())
    state = RateState()
    host = HostContext("h", "server")

    def push(sent: int, t: int, uptime: int) -> dict[str, float]:
        body = (
            f"net,host=h,interface=eth0 bytes_sent={sent}i,bytes_recv=0i {t}\n"
            f"system,host=h uptime={uptime}i {t}\nnvidia_smi,host=h temperature_gpu=40i {t}\n"
        )
        out = mapper.map_host(parse_body(body, "s", 0)[0], host, state)
        assert [p.measurement for p in out.passthrough] == ["nvidia_smi"]
        (iface,) = [s for s in out.samples if s.measurement == "interface"]
        return dict(iface.fields)

    assert "out_bps" not in push(1000, 100, 50)
    assert push(1000 + 7500, 110, 60)["out_bps"] == 6000.0  # 7500 bytes in 10 s
    assert "out_bps" not in push(10, 120, 70)  # a 64-bit decrease: a reset, no rate
    assert push(1010, 130, 80)["out_bps"] == 800.0
    assert "out_bps" not in push(2010, 140, 5)  # the host restarted (uptime went down)


def test_unmapped_dropped_when_configured() -> None:
    mapper = PushMapper(load_push_maps(), pass_unmapped=False)
    points, _ = parse_body("nvidia_smi,host=h temperature_gpu=40i 1\n", "n", 0)
    out = mapper.map_host(points, HostContext("h", "desktop"), RateState())
    assert out.passthrough == [] and out.unmapped == 1


def test_bad_mapping_file_names_file_line_and_key(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        "measurements:\n  win_cpu:\n    - to: host\n      fields:\n        cpu_percent: x\n"
    )
    with pytest.raises(ConfigErrors) as info:
        load_push_maps([tmp_path])
    text = str(info.value)
    assert "mine.yaml:3:" in text and "cpu_percent" in text and "\n" not in text.strip()


def test_ethtool_gives_the_nics_own_speed_and_duplex() -> None:
    got, _ = mapped("ethtool.lp", "test01")
    assert got[("interface", "mgmt0")] == {"speed_bps": 1_000_000_000, "duplex": 3}
    # duplex codes: the kernel's 0 half, 1 full, 255 unknown; any other code is left out
    lines = "".join(
        f"ethtool,host=pc,interface=eth{code} speed=100i,duplex={code}i {code + 1}\n"
        for code in (0, 1, 255, 7)
    )
    points, errors = parse_body(lines, "s", 0)
    assert errors == []
    out = PushMapper(load_push_maps()).map_host(
        points, HostContext("pc", "desktop", {}), RateState()
    )
    assert validate_samples(out.samples) == []
    duplex = {
        s.tags["if_name"]: s.fields.get("duplex") for s in out.samples if s.tags.get("if_name")
    }
    assert duplex == {"eth0": 2, "eth1": 3, "eth255": 1, "eth7": None}
