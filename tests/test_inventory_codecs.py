"""Property tests for the codecs of the inventory processors: LLDP management addresses
read from a row index, MAC-formatted chassis and port ids."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from lanpulse.parsers.quirks.inventory import _addresses, _mac_or_text

ROW = "1234.17.3"  # lldpRemTimeMark.lldpRemLocalPortNum.lldpRemIndex


@given(
    st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)),
    st.booleans(),
)
def test_management_address_from_the_row_index(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, prefixed: bool
) -> None:
    """Agents encode the address octets with (the MIB) or without a length octet."""
    octets = address.packed
    subtype = "1" if address.version == 4 else "2"
    parts = [str(len(octets))] if prefixed else []
    parts += [str(b) for b in octets]
    index = f"{ROW}.{subtype}.{'.'.join(parts)}"
    assert _addresses({index: 2}) == {ROW: str(address)}


@given(st.lists(st.integers(0, 255), min_size=1, max_size=20))
def test_unknown_subtypes_and_odd_lengths_give_no_address(octets: list[int]) -> None:
    """Subtypes other than IPv4/IPv6, or octet counts that fit neither, are left out."""
    index = f"{ROW}.{'.'.join(map(str, octets))}"
    got = _addresses({index: 2})
    subtype, rest = octets[0], octets[1:]
    sizes = {1: 4, 2: 16}
    fits = subtype in sizes and (
        len(rest) == sizes[subtype]
        or (len(rest) == sizes[subtype] + 1 and rest[0] == sizes[subtype])
    )
    assert (got != {}) == fits


@given(st.binary(min_size=6, max_size=6))
def test_mac_ids_are_written_as_macs(raw: bytes) -> None:
    text = raw.hex()
    assert _mac_or_text(text, "4", "4") == ":".join(f"{b:02x}" for b in raw)
    assert _mac_or_text(text, "5", "4") == text  # another subtype: the text as it is
