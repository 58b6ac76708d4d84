"""The desktop's own port, end to end: a desktop that pushes is attached to the switch port
its MAC was learnt on, and that port's link runs slower than both ends can do.

Real components: snmpsim serving two switches (rewritten LibreNMS ios_c3560 recordings with
forwarding and ARP tables, tests/_discovery_estate.py; the access switch carries the
synthetic MAU-MIB rows of fixtures/mau/, see its NOTICE.md), `lanpulse discover
--endpoints` walking them, the daemon in-process, a Telegraf line pushed over a TCP socket
whose source address is the desktop's, InfluxDB 1.6 where the data is read back, the status
page over HTTP, and aiosmtpd for the pages.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanpulse.cli import main
from lanpulse.dashboards.catalog import render_all
from lanpulse.dashboards.query import MacroValues, expand_macros, queries_of
from lanpulse.sim.alerting import SmtpSink
from lanpulse.sim.servers import InfluxDB16, free_tcp_port
from lanpulse.sim.snmpsim_estate import SimAgent, SnmpSimEstate, sorted_recording
from tests._cluster import email_alerting
from tests._daemon import influx_rows, running, until, v1_section, write_config
from tests._discovery_estate import DESKTOP_MAC, estate

BASE = "127.0.7"
DESKTOP_IP = f"{BASE}.11"  # the desktop's address in the core's ARP table
MAU_ROWS = Path(__file__).parent / "fixtures" / "mau" / "c3560_mau_rows.snmprec"
RULES = """\
rules:
  - {name: device_down, measurement: device, field: up, below: 1, for: 1s, severity: critical,
     summary: "{device} does not answer"}
  - {name: interface_slower_than_capable, measurement: interface, field: slower_than_capable,
     equal: 1, when: {oper_status: 1}, for: 0s, severity: warning,
     summary: "{device} {if_name} runs below what both ends can do"}
"""


def with_mau(agent: SimAgent) -> SimAgent:
    """sw1 with the synthetic MAU rows laid over it, and the desktop moved to Gi0/2 (bridge
    port 2): the gigabit port of the fixture's downshift story."""
    mac = ".".join(str(o) for o in DESKTOP_MAC)
    fdb = f"1.3.6.1.2.1.17.7.1.2.2.1.2.20.{mac}|"
    extra = MAU_ROWS.read_text().splitlines()
    replaced = {line.split("|")[0] for line in extra} | {fdb[:-1]}
    kept = [ln for ln in agent.recording.splitlines() if ln.split("|")[0] not in replaced]
    text = sorted_recording([*kept, *extra, f"{fdb}2|2"])
    return SimAgent(agent.addresses, text, agent.engine_id)


@pytest.fixture(scope="module")
def switches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SnmpSimEstate]]:
    agents = estate(BASE)
    sims = {
        "core": SnmpSimEstate([agents["core"]], workdir=tmp_path_factory.mktemp("core")),
        "sw1": SnmpSimEstate([with_mau(agents["sw1"])], workdir=tmp_path_factory.mktemp("sw1")),
    }
    for sim in sims.values():
        sim.start()
    yield sims
    for sim in sims.values():
        sim.cleanup()


def push_from(address: str, port: int, host: str) -> int:
    """One Telegraf line over a socket bound to `address` (the desktop's own IP)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(address, 0))
    try:
        body = f"cpu,cpu=cpu-total,host={host} usage_idle=90\n"
        conn.request("POST", "/write?db=telegraf&p=t0ken", body=body.encode())
        return conn.getresponse().status
    finally:
        conn.close()


def pages(smtp: SmtpSink, text: str) -> list[str]:
    return [m.subject for m in smtp.mails() if text in m.subject]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


async def test_desktop_is_attached_to_its_port_and_the_port_is_slower_than_capable(
    switches: dict[str, SnmpSimEstate], influxd: InfluxDB16, tmp_path: Path
) -> None:
    agents_port, web_port = free_tcp_port(), free_tcp_port()
    core, sw1 = switches["core"], switches["sw1"]
    with SmtpSink() as smtp:
        extra = f"""\
credentials:
  office: {{version: 2c, community: lanpulse-sim, timeout: 1s, retries: 0}}
discovery:
  subnets: [{BASE}.0/24]
  credentials: [office]
  timeout: 0.5s
  retries: 0
agents:
  listen: 127.0.0.1:{agents_port}
  tokens: [{{name: all, token: t0ken}}]
  interval: 1s
  stale_after: 3
"""
        extra += email_alerting(tmp_path, smtp.port, "  dependency_wait: 2s\n", RULES)
        devices = [
            f"  - {{name: core-sw1, address: {BASE}.1, port: {core.port}, class: switch, "
            "credentials: office}",
            f"  - {{name: sw1, address: {BASE}.2, port: {sw1.port}, class: switch, "
            "credentials: office}",
        ]
        config = write_config(
            tmp_path / "lanpulse.yaml",
            devices,
            influx=v1_section(influxd, "attach"),
            interval="5s",
            http_listen=f"127.0.0.1:{web_port}",
            extra=extra,
        )
        # The endpoint table, as `lanpulse discover --endpoints` (or the daemon's cycle) makes it.
        assert await asyncio.to_thread(main, ["discover", "-c", str(config), "--endpoints"]) == 0
        pushing = True

        async def desktop() -> None:
            while pushing:
                assert await asyncio.to_thread(push_from, DESKTOP_IP, agents_port, "pc-0417") == 204
                await asyncio.sleep(0.3)

        async with running(config) as run:
            await until(lambda: run.daemon.agents is not None and run.daemon.agents.receiver.port)
            task = asyncio.create_task(desktop())
            try:
                daemon = run.daemon
                await until(lambda: daemon.attachments.of("pc-0417") is not None, 20)
                attached = daemon.attachments.of("pc-0417")
                assert attached is not None
                assert (attached.switch, attached.port, attached.vlan) == ("sw1", "Gi0/2", 20)
                assert attached.ip == DESKTOP_IP  # the push's source address, found in ARP
                # The alert topology: the switch is the desktop's parent, without config.
                assert "pc-0417" in daemon.alerting.service.engine.behind("sw1")

                # (a) the desktop's own data says where it is plugged in...
                def rows(query: str) -> list[dict]:
                    return influx_rows(influxd, "attach", query)

                await until(lambda: rows("SELECT * FROM device_port"), 20)
                (port_row,) = rows("SELECT * FROM device_port")
                assert {k: port_row[k] for k in ("device", "class", "switch", "port", "vlan")} == {
                    "device": "pc-0417",
                    "class": "desktop",
                    "switch": "sw1",
                    "port": "Gi0/2",
                    "vlan": "20",
                }
                # ...which the switches dashboard's "Desktops by switch port" table shows
                (panel,) = [
                    q
                    for d in render_all()
                    for q in queries_of(d.model)
                    if q.where == "Desktops by switch port"
                ]
                sql = expand_macros(panel.query, MacroValues("15m", "1s", {"device": "sw1"}))
                (series,) = influxd.query(sql, "attach")["results"][0]["series"]
                assert series["tags"] == {
                    "switch": "sw1",
                    "port": "Gi0/2",
                    "device": "pc-0417",
                    "vlan": "20",
                }
                # ...and so does its status page, as data and as HTML
                web = f"http://127.0.0.1:{web_port}"
                await until(lambda: "pc-0417" in daemon.estate.views, 10)  # type: ignore[union-attr]
                detail = await asyncio.to_thread(get_json, f"{web}/api/v1/devices/pc-0417")
                assert detail["port"]["switch"] == "sw1" and detail["port"]["port"] == "Gi0/2"
                page = await asyncio.to_thread(get_text, f"{web}/devices/pc-0417")
                assert 'On switch <a href="/devices/sw1">sw1</a> port Gi0/2, VLAN 20' in page
                # (b) the switch's page names the desktop on its port
                page = await asyncio.to_thread(get_text, f"{web}/devices/sw1")
                assert '<a href="/devices/pc-0417">pc-0417</a>' in page

                # The port's MAU-MIB: a gigabit NIC on a gigabit port, up at 100 Mb/s.
                await until(lambda: rows("SELECT * FROM alert"), 20)
                gi = rows("SELECT * FROM interface WHERE device = 'sw1' AND if_name = 'Gi0/2'")
                newest = gi[-1]
                assert newest["speed_bps"] == 100_000_000
                assert newest["port_capable_bps"] == newest["partner_capable_bps"] == 10**9
                assert newest["capable_bps"] == 10**9 and newest["slower_than_capable"] == 1
                fa = rows("SELECT * FROM interface WHERE device = 'sw1' AND if_name = 'Fa0/2'")
                assert fa[-1]["capable_bps"] == 100_000_000 and fa[-1]["slower_than_capable"] == 0
                firing = rows("SELECT * FROM alert WHERE state = 2")
                assert {(r["rule"], r["device"], r["if_name"]) for r in firing} == {
                    ("interface_slower_than_capable", "sw1", "Gi0/2")
                }

                # The switch goes down with the desktop behind it: the switch pages, the
                # desktop does not (its parent came from the port, not from the config).
                sw1.stop()
                pushing = False
                await until(lambda: pages(smtp, "device_down sw1"), 25)
                await asyncio.sleep(6)  # past the desktop's staleness, `for`, dependency wait
                assert pages(smtp, "pc-0417") == []
                engine = daemon.alerting.service.engine
                assert [a for a in engine.alerts.values() if a.tags.get("device") == "pc-0417"]
            finally:
                pushing = False
                await asyncio.gather(task, return_exceptions=True)
                sw1.start()
