"""Which device is on which switch port: the endpoint table joined with who has which address.

The endpoint table (`endpoints.py`) knows MACs, their IPs and their edge ports, but not
names. Names come from the inventory (a polled device's `address`) and from the agents that
push (the `mac` / `ip` tags an agent sends, else the source address of its pushes). An
address claimed by two names is left unattached: several agents behind one NAT or proxy
would otherwise all land on the proxy's port. A device seen on several MACs (docked laptop,
Wi-Fi and wire) is attached where it was seen last.

Pure: the daemon builds one `Attachments` whenever the table or an address changes; the
status page, the alert topology (the switch becomes the device's `parent`) and the
`device_port` samples read it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from lanpulse.core.model import Sample, make_sample
from lanpulse.discovery.endpoints import EndpointTable, mac_text


@dataclass(frozen=True, slots=True)
class Attachment:
    """One named device on one switch port."""

    device: str
    switch: str
    port: str
    mac: str
    ip: str | None
    vlan: int | None
    last_seen: float  # Unix seconds, from the endpoint table


@dataclass(frozen=True, slots=True)
class Identity:
    """What a name is known by: addresses (inventory, push source, `ip` tag) and MACs."""

    name: str
    addresses: tuple[str, ...] = ()
    macs: tuple[str, ...] = ()


class Attachments:
    """Device -> its port, and switch port -> the devices on it."""

    def __init__(self, attached: Mapping[str, Attachment] | None = None) -> None:
        self.by_device: dict[str, Attachment] = dict(attached or {})
        self.by_port: dict[tuple[str, str], list[str]] = {}
        self.by_mac: dict[str, str] = {}
        for a in sorted(self.by_device.values(), key=lambda a: a.device):
            self.by_port.setdefault((a.switch, a.port), []).append(a.device)
            self.by_mac[a.mac] = a.device

    @classmethod
    def build(cls, table: EndpointTable, identities: Collection[Identity]) -> Attachments:
        """Join the table with the names; ambiguous addresses attach nothing."""
        by_ip: dict[str, set[str]] = {}
        by_mac: dict[str, set[str]] = {}
        for who in identities:
            for address in who.addresses:
                by_ip.setdefault(address, set()).add(who.name)
            for raw in who.macs:
                mac = mac_text(raw)
                if mac is not None:
                    by_mac.setdefault(mac, set()).add(who.name)
        attached: dict[str, Attachment] = {}
        for record in table.records.values():
            names = by_mac.get(record.mac) or (by_ip.get(record.ip, set()) if record.ip else set())
            if len(names) != 1:
                continue
            (name,) = names
            if name == record.switch:
                continue  # a switch's own management MAC, learnt on a neighbour
            old = attached.get(name)
            if old is None or record.last_seen > old.last_seen:
                attached[name] = Attachment(
                    name,
                    record.switch,
                    record.port,
                    record.mac,
                    record.ip,
                    record.vlan,
                    record.last_seen,
                )
        return cls(attached)

    def of(self, device: str) -> Attachment | None:
        """The port `device` is on, None when unknown."""
        return self.by_device.get(device)

    def parents(self) -> dict[str, str]:
        """Device -> the switch it is plugged into (for the alert engine's dependencies)."""
        return {a.device: a.switch for a in self.by_device.values()}

    def changed_since(self, previous: Attachments) -> set[str]:
        """Devices attached now whose port (or MAC, VLAN) differs from `previous`."""
        return {
            name
            for name, a in self.by_device.items()
            if (old := previous.by_device.get(name)) is None
            or (old.switch, old.port, old.mac, old.vlan) != (a.switch, a.port, a.mac, a.vlan)
        }

    def samples(
        self,
        devices: Mapping[str, tuple[str, Mapping[str, str]]],
        now_ns: int,
        only: Collection[str] | None = None,
    ) -> list[Sample]:
        """One `device_port` sample per attached device known in `devices` (name -> class
        and labels), or only those in `only`: the device's own series, tagged with its
        switch and port."""
        out = []
        chosen = (
            self.by_device.values()
            if only is None
            else (self.by_device[n] for n in only if n in self.by_device)
        )
        for a in chosen:
            known = devices.get(a.device)
            if known is None:
                continue
            device_class, labels = known
            tags = {**labels, "device": a.device, "class": device_class}
            tags |= {"switch": a.switch, "port": a.port, "mac": a.mac}
            if a.vlan is not None:
                tags["vlan"] = str(a.vlan)
            out.append(make_sample("device_port", tags, {"info": 1}, now_ns))
        return out
