"""The status page's state and rendering without a daemon: the one-hour ring, the devices
table's filters and sort, codes in words, and escaping of what devices report (served by
aiohttp on 127.0.0.1, read over a real socket)."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from lanpulse.config.web import WebSettings
from lanpulse.core.codes import in_words
from lanpulse.core.model import Device, Sample
from lanpulse.discovery.endpoints import Endpoint, EndpointTable
from lanpulse.web.charts import sparkline
from lanpulse.web.endpoints_view import PortEndpoints
from lanpulse.web.estate import SLOTS, EstateView
from lanpulse.web.server import Endpoints, WebServer
from lanpulse.web.status import LocalStatus


def poll(name: str, up: int, model: str = "C2960", bps: float = 1e6) -> list[Sample]:
    tags = {"device": name, "class": "switch", "model": model}
    return [
        Sample("device", tags, {"up": up, "poll_seconds": 0.5, "poll_errors": 0}, 0),
        Sample(
            "interface",
            {"device": name, "class": "switch", "if_index": "1", "if_name": "Gi0/1"},
            {"in_bps": bps, "out_bps": bps / 2, "oper_status": 2},
            0,
        ),
    ]


def estate() -> tuple[EstateView, list[float]]:
    clock = [0.0]
    view = EstateView(clock=lambda: clock[0], facts=lambda n: ("cisco_ios", ()))
    view.set_devices(
        [
            Device("sw-a", "127.0.0.1", device_class="switch", labels={"site": "hq"}),
            Device("sw-b", "127.0.0.2", device_class="switch", labels={"site": "north"}),
            Device("prn", "127.0.0.3", device_class="printer", labels={"site": "hq"}),
        ]
    )
    return view, clock


def test_the_ring_keeps_one_value_a_minute_for_an_hour() -> None:
    view, clock = estate()
    device = view.views["sw-a"].device
    for minute in range(90):
        clock[0] = minute * 60.0 + 5
        view.observe(device, poll("sw-a", 1, bps=minute))
    series = view.views["sw-a"].ring.series("in_bps", clock[0])
    assert len(series) == SLOTS
    assert series[-1] == (0, 89.0) and series[0] == (59, 30.0)
    assert "polyline" in sparkline(series, "in_bps")
    assert view.views["sw-a"].ring.series("cpu_pct", clock[0]) == []


def test_filters_sort_and_summary() -> None:
    view, _ = estate()
    view.observe(view.views["sw-a"].device, poll("sw-a", 1))
    view.observe(view.views["sw-b"].device, poll("sw-b", 0))
    assert [r["name"] for r in view.rows({"status": "down"})] == ["sw-b"]
    assert [r["name"] for r in view.rows({"site": "hq", "class": "switch"})] == ["sw-a"]
    assert [r["name"] for r in view.rows({"q": "127.0.0.3"})] == ["prn"]
    assert [r["name"] for r in view.rows(sort="-name")] == ["sw-b", "sw-a", "prn"]
    assert view.rows({"name": "sw-a"})[0]["profile"] == "cisco_ios"
    summary = view.summary()
    assert summary["devices"] == {"up": 1, "down": 1, "unknown": 1}
    view.set_devices([view.views["prn"].device])  # a reload removed the switches
    assert list(view.views) == ["prn"]


def test_codes_in_words() -> None:
    assert in_words("interface", "oper_status", 2) == "down"
    assert in_words("printer", "device_status", 3) == "warning"
    assert in_words("disk", "health", 2) == "critical"
    assert in_words("interface", "in_bps", 2) is None
    assert in_words("interface", "oper_status", 99) is None


async def test_pages_escape_what_devices_report(tmp_path: Path) -> None:
    view, _ = estate()
    view.observe(view.views["sw-a"].device, poll("sw-a", 1, model="<script>alert(1)</script>"))
    table = tmp_path / "endpoints.json"
    EndpointTable(
        {"aa:bb:cc:00:00:01": Endpoint("aa:bb:cc:00:00:01", "10.0.0.7", "sw-a", "Gi0/1", 20, 0, 1)}
    ).save(table)
    status = LocalStatus(view, lambda: {}, lambda: True, None, ports=PortEndpoints(table))
    endpoints = Endpoints(
        stats=lambda: {}, healthy=lambda: True, metrics_text=lambda: "", status=status
    )
    server = WebServer("127.0.0.1:0", endpoints, WebSettings(), tmp_path)
    async with TestServer(server.app, host="127.0.0.1") as ts, aiohttp.ClientSession() as http:
        for path in ("/devices", "/devices/sw-a", "/"):
            async with http.get(ts.make_url(path)) as r:
                page = await r.text()
                assert r.status == 200
                assert "<script>" not in page
        async with http.get(ts.make_url("/devices/sw-a")) as r:
            page = await r.text()
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
            assert "down (2)" in page  # oper_status in words
            assert "aa:bb:cc:00:00:01" in page and "10.0.0.7" in page  # endpoints per port
        async with http.get(ts.make_url("/api/v1/devices?class=printer")) as r:
            assert [d["name"] for d in await r.json()] == ["prn"]
        async with http.get(ts.make_url("/devices/nope")) as r:
            assert r.status == 404
        # a page form without a session goes to the sign-in page, not to the handler
        async with http.post(ts.make_url("/alerts/silence"), allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"].startswith("/login")
