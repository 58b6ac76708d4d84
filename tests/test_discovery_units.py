"""The pure parts of discovery: scope, pace, MAC codec, LLDP/CDP rows, edge ports, folding
duplicates, and merging into an inventory file. No agent: nothing here sends anything."""

from __future__ import annotations

import asyncio
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanpulse.config.inventory import AgentFacts
from lanpulse.core.errors import ConfigError
from lanpulse.core.schema import validate_samples
from lanpulse.discovery.attachments import Attachment, Attachments, Identity
from lanpulse.discovery.endpoints import (
    Endpoint,
    EndpointTable,
    PortSighting,
    locate,
    mac_text,
)
from lanpulse.discovery.identify import fold_duplicates
from lanpulse.discovery.inventory_file import merge, render
from lanpulse.discovery.records import FoundDevice, device_name
from lanpulse.discovery.scope import Scope
from lanpulse.discovery.sweep import Pacer
from lanpulse.discovery.topology import neighbours, tables

LLDP = tables()["lldp_remote"]
LLDP_ADDR = tables()["lldp_address"]["if_subtype"]
CDP = tables()["cdp_cache"]


def test_scope_allows_only_its_networks() -> None:
    scope = Scope.parse(["10.20.0.0/22", "2001:db8::/126"])
    assert scope.allows("10.20.3.254") and scope.allows("2001:db8::2")
    assert not scope.allows("10.20.4.1") and not scope.allows("example.com")
    assert len(list(Scope.parse(["10.20.0.0/22"]).hosts())) == 1022
    assert list(Scope.parse(["10.0.0.7/32"]).hosts()) == ["10.0.0.7"]
    with pytest.raises(ConfigError, match="expected at most"):
        next(Scope.parse(["10.0.0.0/8"]).hosts())
    with pytest.raises(ConfigError, match="bad subnet 'ten'"):
        Scope.parse(["ten"])


def test_pacer_never_exceeds_its_rate() -> None:
    async def spend() -> float:
        pacer = Pacer(rate=1000.0)
        started = time.monotonic()
        await asyncio.gather(*(pacer.take(2) for _ in range(250)))  # 500 datagrams
        return time.monotonic() - started

    # 500 tokens at 1000/s with one token banked: at least 0.499 s, whatever the tasks do.
    assert asyncio.run(spend()) >= 0.49


@given(st.lists(st.integers(0, 255), min_size=6, max_size=6))
def test_mac_notations_agree(octets: list[int]) -> None:
    expected = mac_text(bytes(octets))
    if octets in ([0] * 6, [255] * 6):
        assert expected is None
        return
    assert expected == ":".join(f"{o:02x}" for o in octets)
    assert mac_text(expected.replace(":", "-").upper()) == expected
    assert mac_text(":".join(f"{o:x}" for o in octets)) == expected  # net-snmp's 2:3:4e:...
    assert mac_text(o for o in octets) == expected  # index arcs


def test_lldp_and_cdp_rows() -> None:
    walk = {
        LLDP["sys_name"]: {"0.5.1": b"sw2.example.net", "0.6.2": b"phone"},
        LLDP["port_id"]: {"0.5.1": b"Gi0/1"},
        LLDP["capabilities"]: {"0.5.1": b"\x28\x00", "0.6.2": b"\x00\x00"},
        LLDP_ADDR: {"0.5.1.1.4.10.0.0.2": 2},
        CDP["device_id"]: {"7.1": b"wlc"},
        CDP["address_type"]: {"7.1": 1},
        CDP["address"]: {"7.1": bytes([10, 0, 0, 9])},
        CDP["capabilities"]: {"7.1": b"\x00\x00\x00\x28"},
    }
    found = {n.sys_name: n for n in neighbours(walk)}
    assert found["sw2.example.net"].address == "10.0.0.2" and found["sw2.example.net"].is_bridge
    assert found["sw2.example.net"].local_port == 5
    assert found["phone"].address is None and not found["phone"].is_bridge
    assert found["wlc"].protocol == "cdp" and found["wlc"].address == "10.0.0.9"
    assert found["wlc"].is_bridge and found["wlc"].local_port == 7


def test_edge_port_wins_over_uplinks() -> None:
    mac = "00:26:ab:11:22:33"
    seen = [
        PortSighting(mac, "core", 1, "Gi0/1", None),  # uplink to sw1
        PortSighting(mac, "sw1", 2, "Fa0/2", 20),
        PortSighting(mac, "sw9", 3, "Fa0/3", 20),  # an edge port with more MACs behind it
        PortSighting("52:54:00:00:00:01", "sw9", 3, "Fa0/3", 20),
    ]
    located = locate(seen, {"core": {1}})
    assert (located[mac].switch, located[mac].port) == ("sw1", "Fa0/2")
    assert locate(seen[:1], {"core": {1}}) == {}  # only seen on an uplink: not placed


def found(name: str, address: str, **facts: str) -> FoundDevice:
    agent = AgentFacts(**facts)
    return FoundDevice(
        name=name, address=address, source="sweep", addresses=(address,), agent=agent
    )


def test_duplicates_fold_by_engine_or_name_and_serial() -> None:
    devices = [
        found("a", "10.0.0.1", engine_id="80aa"),
        found("a", "10.0.0.9", engine_id="80aa"),
        found("b", "10.0.0.2", sys_name="b", serial="S1"),
        found("b", "10.0.0.3", sys_name="b", serial="S1"),
        found("c", "10.0.0.4", sys_name="c"),
        found("c", "10.0.0.5", sys_name="c"),  # no serial, no engine: two devices
    ]
    folded = fold_duplicates(devices)
    assert [(d.name, d.addresses) for d in folded] == [
        ("a", ("10.0.0.1", "10.0.0.9")),
        ("b", ("10.0.0.2", "10.0.0.3")),
        ("c", ("10.0.0.4",)),
        ("c", ("10.0.0.5",)),
    ]


def test_names_from_sysname() -> None:
    assert device_name("floor3-sw2.corp.example", "10.0.0.1") == "floor3-sw2"
    assert device_name("<private>", "10.0.0.1") == "dev-10.0.0.1"
    assert device_name("Printer Room 3", "10.0.0.1") == "Printer"
    assert device_name(None, "2001:db8::1") == "dev-2001-db8-1"


def test_merge_keeps_other_files_devices_and_names_unique() -> None:
    result = merge(
        [{"name": "sw", "address": "10.0.0.5"}],
        [
            found("core", "10.0.0.1"),  # written in another file: known, not added
            found("core-sw1", "10.0.0.7", engine_id="e1"),  # its name is taken elsewhere
            found("sw", "10.0.0.6"),  # the same name: this entry, at another address
        ],
        now="2026-12-07T12:00:00Z",
        elsewhere=[("core-sw1", "10.0.0.1")],
    )
    assert [e["name"] for e in result.entries] == ["sw", "core-sw1-10.0.0.7"]
    assert [c.line() for c in result.changes] == [
        "+ core-sw1-10.0.0.7        10.0.0.7",
        "~ sw                       10.0.0.5         address 10.0.0.5 -> 10.0.0.6",
    ]
    assert result.entries[0]["address"] == "10.0.0.5"  # reported, not overwritten
    text = render(result.entries)
    assert text.startswith("# Written by `lanpulse discover`") and "engine_id: e1" in text


def test_discovery_columns_have_one_source_the_profiles_first() -> None:
    """tables.yaml names columns by MIB object: those a profile reads take the profile's
    OID (written once, next to its name), `objects:` holds only what no profile reads."""
    import yaml

    from lanpulse.config.profiles import builtin_profiles
    from lanpulse.discovery.topology import TABLES_FILE

    profiles = builtin_profiles()
    read_by_profiles = {
        src.oid
        for profile in profiles.profiles.values()
        for metric in profile.metrics
        for sources in metric.sources().values()
        for src in sources
        if src.oid
    }
    objects = yaml.safe_load(TABLES_FILE.read_text())["objects"]
    assert not read_by_profiles & {str(oid) for oid in objects.values()}
    assert not profiles.mib_columns().keys() & objects.keys()
    lldp, cdp = tables()["lldp_remote"], tables()["cdp_cache"]
    assert lldp["sys_name"] == "1.0.8802.1.1.2.1.4.1.1.9"  # from _lldp.yaml
    assert cdp["device_id"] == "1.3.6.1.4.1.9.9.23.1.2.1.1.6"  # from _cdp.yaml
    assert lldp["capabilities"] == "1.0.8802.1.1.2.1.4.1.1.12"  # from _lldp.yaml


# --- attachments: the endpoint table joined with device names ---------------------------


def _table(*records: Endpoint) -> EndpointTable:
    return EndpointTable({r.mac: r for r in records})


PC_MAC, DOCK_MAC = "52:54:00:aa:bb:01", "52:54:00:aa:bb:02"


def test_attachments_name_ports_by_mac_then_address() -> None:
    table = _table(
        Endpoint(PC_MAC, "10.0.0.7", "sw1", "Gi0/2", 20, 0, 100),
        Endpoint("00:26:ab:11:22:33", "10.0.0.8", "sw1", "Fa0/2", 20, 0, 100),
        Endpoint("00:1b:54:00:00:02", "10.0.0.2", "sw1", "Vl1", 1, 0, 100),
    )
    attached = Attachments.build(
        table,
        [
            Identity("pc-0417", ("10.9.9.9",), ("52-54-00-AA-BB-01",)),  # the MAC tag wins
            Identity("floor3-printer", ("10.0.0.8",)),
            Identity("sw1", ("10.0.0.2",)),  # a switch's own MAC, learnt by itself: not a port
        ],
    )
    assert attached.of("pc-0417") == Attachment(
        "pc-0417", "sw1", "Gi0/2", PC_MAC, "10.0.0.7", 20, 100
    )
    assert attached.by_port[("sw1", "Fa0/2")] == ["floor3-printer"]
    assert attached.of("sw1") is None
    assert attached.parents() == {"pc-0417": "sw1", "floor3-printer": "sw1"}
    assert attached.by_mac[PC_MAC] == "pc-0417"


def test_an_address_two_hosts_claim_attaches_neither() -> None:
    # Two agents behind one NAT push from the same address: neither is on the NAT's port.
    table = _table(Endpoint(PC_MAC, "10.0.0.1", "sw1", "Gi0/24", 1, 0, 100))
    attached = Attachments.build(
        table, [Identity("pc-1", ("10.0.0.1",)), Identity("pc-2", ("10.0.0.1",))]
    )
    assert attached.by_device == {}


def test_a_device_on_two_macs_is_where_it_was_seen_last() -> None:
    table = _table(
        Endpoint(PC_MAC, "10.0.0.7", "sw1", "Gi0/2", 20, 0, 100),
        Endpoint(DOCK_MAC, "10.0.0.7", "sw2", "Gi0/9", 20, 0, 200),  # docked on floor 4 now
    )
    attached = Attachments.build(table, [Identity("laptop-1", ("10.0.0.7",))])
    before = Attachments.build(
        _table(Endpoint(PC_MAC, "10.0.0.7", "sw1", "Gi0/2", 20, 0, 100)),
        [Identity("laptop-1", ("10.0.0.7",))],
    )
    found = attached.of("laptop-1")
    assert found is not None and (found.switch, found.port) == ("sw2", "Gi0/9")
    assert attached.changed_since(before) == {"laptop-1"}
    assert attached.changed_since(attached) == set()
    (sample,) = attached.samples({"laptop-1": ("desktop", {"site": "hq"})}, 5, only={"laptop-1"})
    assert dict(sample.tags) == {
        "site": "hq",
        "device": "laptop-1",
        "class": "desktop",
        "switch": "sw2",
        "port": "Gi0/9",
        "mac": DOCK_MAC,
        "vlan": "20",
    }
    assert validate_samples([sample]) == []
    assert attached.samples({}, 5) == []  # a name the daemon no longer knows: no sample
