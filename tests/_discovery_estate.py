"""A small simulated estate for the discovery tests: rewritten copies of real recordings.

    core (ios_c3560)  127.0.1.1   LLDP: sw1 on Fa0/1, sw2 on Fa0/2, a phone without a
                                  management address, a router outside the subnets
    sw1  (ios_c3560)  127.0.1.2   LLDP: core on its uplink; FDB: printer, desktop on edge ports
    sw2  (ios_c3560)  127.0.1.3   LLDP: core on its uplink; CDP: wlc
    wlc  (ciscowlc)   127.0.1.4   CDP: sw2
    printer (epson)   127.0.1.10 and 127.0.1.12 (one device on two addresses)
    desktop (linux)   127.0.1.11

The core's bridge table also holds the printer and desktop MACs, learnt on its uplink to
sw1 (an uplink: its LLDP neighbour is a known switch), and its ARP table their IPs.
See fixtures/discovery/NOTICE.md for the origin of the recordings and what is rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lanpulse.sim.snmpsim_estate import SimAgent, sorted_recording

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
# Rows replaced in every copy: identity, neighbours, forwarding and ARP tables.
REPLACED = (
    "1.3.6.1.2.1.1.5.0|",
    "1.3.6.1.2.1.1.6.0|",
    "1.3.6.1.6.3.10.2.1.1.",
    "1.3.6.1.2.1.47.1.1.1.1.11.1|",
    "1.0.8802.1.1.2.1.4.",
    "1.3.6.1.4.1.9.9.23.1.2.1.1.",
    "1.3.6.1.2.1.17.4.3.1.",
    "1.3.6.1.2.1.17.7.1.2.2.1.",
    "1.3.6.1.2.1.4.22.1.",
    "1.3.6.1.2.1.4.35.1.",
)
LLDP_REM = "1.0.8802.1.1.2.1.4.1.1"
LLDP_MAN = "1.0.8802.1.1.2.1.4.2.1.3"
CDP = "1.3.6.1.4.1.9.9.23.1.2.1.1"
PRINTER_MAC = (0x00, 0x26, 0xAB, 0x11, 0x22, 0x33)
DESKTOP_MAC = (0x52, 0x54, 0x00, 0xAA, 0xBB, 0x01)
CORE_MAC = (0x00, 0x1B, 0x54, 0x00, 0x00, 0x01)


@dataclass
class Rewrite:
    """How one copy of a recording is rewritten."""

    base: str
    sys_name: str
    location: str
    engine: str
    serial: str
    rows: list[str] = field(default_factory=list)

    def lldp(self, port: int, rem: int, name: str, address: str | None, bridge: bool) -> None:
        index = f"0.{port}.{rem}"
        self.rows += [
            f"{LLDP_REM}.5.{index}|4x|001b54{rem:06x}",
            f"{LLDP_REM}.7.{index}|4|Gi0/{rem}",
            f"{LLDP_REM}.9.{index}|4|{name}",
            f"{LLDP_REM}.12.{index}|4x|{'28' if bridge else '00'}00",
        ]
        if address is not None:
            arcs = address.replace(".", ".")
            self.rows.append(f"{LLDP_MAN}.{index}.1.4.{arcs}|2|2")

    def cdp(self, if_index: int, name: str, address: str) -> None:
        octets = "".join(f"{int(o):02x}" for o in address.split("."))
        self.rows += [
            f"{CDP}.3.{if_index}.1|2|1",
            f"{CDP}.4.{if_index}.1|4x|{octets}",
            f"{CDP}.6.{if_index}.1|4|{name}",
            f"{CDP}.7.{if_index}.1|4|GigabitEthernet0/1",
            f"{CDP}.9.{if_index}.1|4x|00000028",
        ]

    def fdb(self, mac: tuple[int, ...], bridge_port: int, vlan: int | None = None) -> None:
        arcs = ".".join(str(o) for o in mac)
        if vlan is None:
            self.rows += [
                f"1.3.6.1.2.1.17.4.3.1.2.{arcs}|2|{bridge_port}",
                f"1.3.6.1.2.1.17.4.3.1.3.{arcs}|2|3",
            ]
        else:
            self.rows += [
                f"1.3.6.1.2.1.17.7.1.2.2.1.2.{vlan}.{arcs}|2|{bridge_port}",
                f"1.3.6.1.2.1.17.7.1.2.2.1.3.{vlan}.{arcs}|2|3",
            ]

    def arp(self, if_index: int, address: str, mac: tuple[int, ...]) -> None:
        raw = "".join(f"{o:02x}" for o in mac)
        self.rows.append(f"1.3.6.1.2.1.4.22.1.2.{if_index}.{address}|4x|{raw}")

    def text(self) -> str:
        lines = (FIXTURES / self.base).read_text().splitlines()
        kept = [ln for ln in lines if not ln.startswith(REPLACED)]
        kept += [
            f"1.3.6.1.2.1.1.5.0|4|{self.sys_name}",
            f"1.3.6.1.2.1.1.6.0|4|{self.location}",
            f"1.3.6.1.6.3.10.2.1.1.0|4x|{self.engine}",
            f"1.3.6.1.2.1.47.1.1.1.1.11.1|4|{self.serial}",
            *self.rows,
        ]
        return sorted_recording(kept)


# ios_c3560: bridge port 1 -> ifIndex 10101 (Fa0/1), 2 -> 10102, 4 -> 10002, 6 -> 10004 ...
UPLINK_IF = 10101


def estate(
    base: str = "127.0.1", outside: str = "127.0.9.1", sw2_name: str = "sw2.example.net"
) -> dict[str, SimAgent]:
    """The agents by name; addresses under `base` (a /24 prefix such as 127.0.1).

    `outside` is the core's LLDP neighbour that lies outside the tests' subnets (a test
    listens there to prove nothing is sent); `sw2_name` lets a test rename a device.
    """
    a = {n: f"{base}.{i}" for n, i in (("core", 1), ("sw1", 2), ("sw2", 3), ("wlc", 4))}
    a |= {"printer": f"{base}.10", "desktop": f"{base}.11", "printer2": f"{base}.12"}
    core = Rewrite(
        "ios_c3560.snmprec", "core-sw1.example.net", "HQ core room", "800000090301", "FOC001"
    )
    core.lldp(10101, 1, "sw1.example.net", a["sw1"], bridge=True)
    core.lldp(10102, 2, sw2_name, a["sw2"], bridge=True)
    core.lldp(10004, 3, "SEP001122334455", None, bridge=False)  # a phone: no address
    core.lldp(10005, 4, "wan-router", outside, bridge=True)  # outside the subnets
    core.fdb(PRINTER_MAC, 1)
    core.fdb(DESKTOP_MAC, 1)
    core.arp(1, a["printer"], PRINTER_MAC)
    core.arp(1, a["desktop"], DESKTOP_MAC)
    sw1 = Rewrite(
        "ios_c3560.snmprec", "sw1.example.net", "Floor 3 comms room", "800000090302", "FOC002"
    )
    sw1.lldp(10101, 1, "core-sw1.example.net", a["core"], bridge=True)
    sw1.fdb(CORE_MAC, 1, vlan=1)
    sw1.fdb(PRINTER_MAC, 4, vlan=20)  # bridge port 4 -> ifIndex 10002
    sw1.fdb(DESKTOP_MAC, 6, vlan=20)  # bridge port 6 -> ifIndex 10004
    sw2 = Rewrite("ios_c3560.snmprec", sw2_name, "Floor 4 comms room", "800000090303", "FOC003")
    sw2.lldp(10101, 1, "core-sw1.example.net", a["core"], bridge=True)
    sw2.cdp(10002, "wlc.example.net", a["wlc"])
    wlc = Rewrite(
        "ciscowlc_cbw240ac.snmprec", "wlc.example.net", "Floor 4", "800000090304", "FCW004"
    )
    wlc.cdp(1, sw2_name, a["sw2"])
    printer = Rewrite(
        "epson.snmprec", "floor3-printer", "Floor 3 print room", "800000090310", "X5E1"
    )
    desktop = Rewrite("linux_icecast.snmprec", "pc-0417", "Floor 3 desk 17", "800000090311", "PC17")
    return {
        "core": SimAgent((a["core"],), core.text(), "800000090301"),
        "sw1": SimAgent((a["sw1"],), sw1.text(), "800000090302"),
        "sw2": SimAgent((a["sw2"],), sw2.text(), "800000090303"),
        "wlc": SimAgent((a["wlc"],), wlc.text(), "800000090304"),
        "printer": SimAgent((a["printer"], a["printer2"]), printer.text(), "800000090310"),
        "desktop": SimAgent((a["desktop"],), desktop.text(), "800000090311"),
    }
