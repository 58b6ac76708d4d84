"""Canonical interface names, so CLI and SNMP series of one port meet on the same key.

Devices abbreviate in some outputs ("Gi1/0/1", "Et1", "Po10") and spell out in others
("GigabitEthernet1/0/1"); SNMP ifName is often the short form. Both sides are expanded to
the long form before they are compared; `canonical_if_name` is what the CLI writes.
"""

from __future__ import annotations

import re

# Longest prefixes first within one family so "Te" does not swallow "TwentyFiveGigE".
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("hundredgigabitethernet", "HundredGigabitEthernet"),
    ("hundredgige", "HundredGigabitEthernet"),
    ("hu", "HundredGigabitEthernet"),
    ("fortygigabitethernet", "FortyGigabitEthernet"),
    ("fo", "FortyGigabitEthernet"),
    ("twentyfivegige", "TwentyFiveGigE"),
    ("twe", "TwentyFiveGigE"),
    ("tengigabitethernet", "TenGigabitEthernet"),
    ("te", "TenGigabitEthernet"),
    ("gigabitethernet", "GigabitEthernet"),
    ("gi", "GigabitEthernet"),
    ("fastethernet", "FastEthernet"),
    ("fa", "FastEthernet"),
    ("ethernet", "Ethernet"),
    ("et", "Ethernet"),
    ("port-channel", "Port-channel"),
    ("po", "Port-channel"),
    ("management", "Management"),
    ("mgmt", "mgmt"),
    ("ma", "Management"),
    ("vlan", "Vlan"),
    ("vl", "Vlan"),
    ("loopback", "Loopback"),
    ("lo", "Loopback"),
    ("tunnel", "Tunnel"),
    ("tu", "Tunnel"),
)
_SPLIT = re.compile(r"^([A-Za-z][A-Za-z\-]*?)(\d.*)$")


def canonical_if_name(name: str) -> str:
    """Expand a Cisco/Arista-style abbreviation ("Gi1/0/1" -> "GigabitEthernet1/0/1").

    Names that are not "letters then digits" (Junos "ge-0/0/0", ProCurve "A1"/"1", Linux
    "eth0" aside) are returned unchanged: their CLI and SNMP spellings already agree.
    """
    m = _SPLIT.match(name.strip())
    if not m:
        return name.strip()
    prefix, rest = m.group(1), m.group(2)
    low = prefix.lower()
    if "-" in low and low != "port-channel":
        return name.strip()  # Junos "ge-0/0/0", "xe-0/0/1": already canonical
    for short, full in _PREFIXES:
        if low == short:
            return f"{full}{rest}"
    return name.strip()


def if_name_key(name: str) -> str:
    """The comparison key of an interface name: canonical and case-folded."""
    return canonical_if_name(name).casefold()
