"""Interface roles from LLDP/CDP neighbours and ifType, polled from real recordings.

snmpsim serves LibreNMS corpus recordings (switches whose LLDP tables hold switches,
routers, IP phones and access points); the daemon polls them and writes to a real InfluxDB
1.6; the roles are read back from InfluxDB. What is checked, by the order of
docs/capacity.md: a configured rule beats the neighbour rule; a neighbour in the inventory
is what its class says (configured, or learnt from its own polls), whatever it advertises;
an unknown one is what it advertises (bridge/router: uplink; phone, access point: not);
virtual interface types are virtual; an aggregate is virtual unless it carries the
neighbour itself (FortiSwitch reports LLDP on its MLAG trunk).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lanpulse.parsers.quirks.inventory import cdp_capabilities, lldp_capabilities
from lanpulse.sim.servers import InfluxDB16
from lanpulse.sim.snmpsim import SnmpSimAgent
from tests._daemon import device_line, influx_rows, running, until, v1_section, write_config
from tests.conftest import RECORDINGS

DB = "roles"
RECORDED = {
    "aos": "switch/aos",
    "cx": "switch/arubaos-cx_10.07",
    "forti": "switch/fortiswitch_148f-fpoe",
    "procurve": "switch/procurve_e2910",
}


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    sim = SnmpSimAgent(workdir=tmp_path_factory.mktemp("snmpsim"))
    for community, recording in RECORDED.items():
        sim.add(RECORDINGS / f"{recording}.snmprec", community)
    sim.start()
    yield sim
    sim.cleanup()


def _latest_roles(influx: InfluxDB16, device: str) -> dict[str, str]:
    """if_name -> the role of its latest point in InfluxDB (a role can change between polls
    while a neighbour's class is being learnt)."""
    rows = influx_rows(
        influx,
        DB,
        f'SELECT last("oper_status") FROM "interface" WHERE "device" = \'{device}\' '
        'GROUP BY "if_name", "role"',
    )
    latest: dict[str, tuple[int, str]] = {}
    for row in rows:
        name, role, t = row["if_name"], row["role"], row["time"]
        if name not in latest or t > latest[name][0]:
            latest[name] = (t, role)
    return {name: role for name, (_, role) in latest.items()}


async def test_roles_follow_neighbours_types_and_rules(
    agent: SnmpSimAgent, influxd: InfluxDB16, tmp_path: Path
) -> None:
    slow = "timeout: 5s, retries: 2"  # snmpsim on a shared machine
    devices = [device_line(name, agent.port, community=name, snmp=slow) for name in RECORDED]
    # Inventory devices the recorded neighbours name: "ar1-nexus6go2e" (an access point by
    # its LLDP, a switch by its own polls: the procurve recording) and "v44-i1i2" (a
    # router by its LLDP, a server by configuration).
    devices.append(device_line("ar1-nexus6go2e", agent.port, community="procurve", snmp=slow))
    server = {"class": "server"}
    devices.append(device_line("v44-i1i2", agent.port, community="procurve", snmp=slow, **server))
    roles_section = "roles:\n  rules:\n    - {role: access, name: '^1/1/51$', devices: [cx]}"
    config = write_config(
        tmp_path / "lanpulse.yaml",
        devices,
        influx=v1_section(influxd, DB),
        interval="20s",
        extra=roles_section,
        # Every poll walks the neighbour tables (a poll cut short by the deadline on a busy
        # machine would otherwise leave them to the next label refresh).
        daemon="max_concurrent_polls: 3\n  label_refresh_polls: 1",
    )
    async with running(config) as run:
        # Two complete polls each: by the second, every neighbour's own class is known.
        await until(lambda: run.all_clean(2), timeout_s=240)

    aos, cx, forti, procurve = (_latest_roles(influxd, d) for d in RECORDED)

    assert aos["g2"] == "access"  # says bridge, router; the inventory's server of that name
    assert aos["e1"] == "access"  # an IP phone
    assert aos["e23"] == "access"  # an access point
    assert aos["e9"] == "access"  # "other"
    assert aos["e22"] == "uplink"  # says access point; the inventory's switch of that name

    assert cx["1/1/41"] == cx["1/1/48"] == "uplink"  # bridge
    assert cx["1/1/52"] == "uplink"  # bridge, router
    assert cx["1/1/51"] == "access"  # bridge, router; but a configured rule says access
    assert cx["1/1/1"] == "access"  # an access point
    assert cx["1/1/38"] == "access"  # a neighbour that says nothing of itself
    assert cx["vlanx"] == "virtual"  # propVirtual without a neighbour
    assert cx["lag47"] == "virtual"  # ieee8023adLag

    assert forti["_FlInK1_MLAG0_"] == "uplink"  # propMultiplexor carrying the neighbour
    assert forti["port22"] == "access"  # bridge, telephone: a phone's own switch

    assert procurve["23"] == procurve["24"] == "uplink"
    assert procurve["1"] == "access"
    assert procurve["DEFAULT_VLAN"] == "virtual"

    # ifType is a tag of every interface, by its IANAifType name.
    types = influx_rows(
        influxd, DB, 'SHOW TAG VALUES FROM "interface" WITH KEY = "if_type" WHERE "device" = \'cx\''
    )
    assert {r["value"] for r in types} == {"ethernetCsmacd", "ieee8023adLag", "propVirtual"}
    caps = influx_rows(
        influxd,
        DB,
        'SHOW TAG VALUES FROM "neighbor" WITH KEY = "remote_caps" WHERE "device" = \'aos\'',
    )
    assert {r["value"] for r in caps} == {"bridge,router", "other", "telephone", "wlan_ap"}


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (b"\x28", "bridge,router"),  # the octet an agent sends
        (b"\x20\x00", "bridge"),
        (b"\x00\x20", "tpmr"),  # LLDP-V2's bit 10
        (b"28 2 4", "bridge,router"),  # snmpwalk's rendering, as the recordings hold it
        (b"24 2 5", "bridge,telephone"),
        (b"00", None),
        (b"", None),
        (b"\x28\x00\x00", None),  # longer than the MIB's BITS
    ],
)
def test_lldp_capabilities(value: bytes, names: str | None) -> None:
    assert lldp_capabilities(value) == names


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (bytes.fromhex("00000028"), "bridge"),  # switch, IGMP
        (bytes.fromhex("00000029"), "bridge,router"),
        (bytes.fromhex("29000000"), "bridge,router"),  # the CBW recording's little-endian
        (bytes.fromhex("00000090"), "station,telephone"),  # host, phone
        (bytes.fromhex("00000020"), None),  # IGMP only
        (b"\x01", None),
    ],
)
def test_cdp_capabilities(value: bytes, names: str | None) -> None:
    assert cdp_capabilities(value) == names
