"""MAU-MIB (RFC 4836): what each end of an Ethernet link can do, and whether it does it.

The auto-negotiation table says what the port advertises (ifMauAutoNegCapAdvertisedBits)
and what the link partner — the desktop's NIC — advertised back
(ifMauAutoNegCapReceivedBits). 802.3 priority resolution picks the best technology both
sides offer, so a link running slower than that (a gigabit pair that came up at 100 Mb/s
over a cable with a broken pair: "downshift"), or at half duplex while both offer full, is
the classic slow-PC ticket. The MAU tables are indexed ifIndex.mauIndex; the interface row
is the ifIndex, so the first MAU of each interface is read (one per copper port).

Bit positions are IANA-MAU-MIB's IANAifMauAutoNegCapBits (bit 0 = most significant bit of
the first octet); the decoding is code, the positions a table of the MIB's.
"""

from __future__ import annotations

from collections.abc import Mapping

from lanpulse.core.model import SnmpValue
from lanpulse.parsers.rows import Row, RowContext

MEDIA_EXITS = "1.3.6.1.2.1.26.2.1.1.6"  # ifMauMediaAvailableStateExits: link losses (Counter32)
AUTONEG = "1.3.6.1.2.1.26.5.1.1."
ADMIN_STATUS = AUTONEG + "1"  # ifMauAutoNegAdminStatus: enabled(1), disabled(2)
REMOTE_SIGNALING = AUTONEG + "2"  # ifMauAutoNegRemoteSignaling: detected(1), notdetected(2)
CAPABILITY_BITS = AUTONEG + "9"  # ifMauAutoNegCapabilityBits: what the port can do
ADVERTISED_BITS = AUTONEG + "10"  # ifMauAutoNegCapAdvertisedBits: what it offers now
RECEIVED_BITS = AUTONEG + "11"  # ifMauAutoNegCapReceivedBits: what the partner offered
COLUMNS = (
    ADMIN_STATUS,
    REMOTE_SIGNALING,
    CAPABILITY_BITS,
    ADVERTISED_BITS,
    RECEIVED_BITS,
    MEDIA_EXITS,
)

M = 1_000_000
# IANAifMauAutoNegCapBits position -> (bits/s, full duplex). Pause bits (8-11) and
# bOther (0) are not technologies and are left out.
TECHNOLOGIES: Mapping[int, tuple[int, bool]] = {
    1: (10 * M, False),  # b10baseT
    2: (10 * M, True),  # b10baseTFD
    3: (100 * M, False),  # b100baseT4
    4: (100 * M, False),  # b100baseTX
    5: (100 * M, True),  # b100baseTXFD
    6: (100 * M, False),  # b100baseT2
    7: (100 * M, True),  # b100baseT2FD
    12: (1000 * M, False),  # b1000baseX
    13: (1000 * M, True),  # b1000baseXFD
    14: (1000 * M, False),  # b1000baseT
    15: (1000 * M, True),  # b1000baseTFD
    16: (10000 * M, True),  # b10GbaseT
    17: (1000 * M, True),  # b1000baseKX
    18: (10000 * M, True),  # b10GbaseKX4
    19: (10000 * M, True),  # b10GbaseKR
}
HALF, FULL = 2, 3  # dot3StatsDuplexStatus, as the interface's `duplex` field


def technologies(value: SnmpValue | None) -> frozenset[tuple[int, bool]]:
    """The (speed, full duplex) pairs a BITS value names; empty for anything else."""
    if not isinstance(value, bytes):
        return frozenset()
    found = set()
    for position, technology in TECHNOLOGIES.items():
        octet, bit = divmod(position, 8)
        if octet < len(value) and value[octet] & (0x80 >> bit):
            found.add(technology)
    return frozenset(found)


def _first_mau(column: Mapping[str, SnmpValue]) -> dict[str, SnmpValue]:
    """ifIndex -> the value of its lowest-numbered MAU."""
    out: dict[str, tuple[int, SnmpValue]] = {}
    for index, value in column.items():
        if_index, _, mau = index.partition(".")
        number = int(mau) if mau.isdigit() else 0
        if if_index not in out or number < out[if_index][0]:
            out[if_index] = (number, value)
    return {k: v for k, (_, v) in out.items()}


def autoneg(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Capabilities of both ends, `slower_than_capable` and the link-loss counter on each
    interface row."""
    columns = {oid: _first_mau(ctx.column(oid)) for oid in COLUMNS}
    if not any(columns.values()):
        return rows  # no MAU-MIB: nothing is known, nothing is written
    for row in rows:
        losses = columns[MEDIA_EXITS].get(row.index)
        if type(losses) is int and losses >= 0:
            # A flapping link: the profile's rate rule turns it into `link_losses_ps`.
            row.fields["link_losses"] = losses
            row.counter_bits["link_losses"] = 32
        admin = columns[ADMIN_STATUS].get(row.index)
        if admin in (1, 2):
            row.fields["autoneg"] = 1 if admin == 1 else 0
        signaled = columns[REMOTE_SIGNALING].get(row.index)
        if signaled in (1, 2):
            row.fields["partner_autoneg"] = 1 if signaled == 1 else 0
        port = technologies(columns[ADVERTISED_BITS].get(row.index)) or technologies(
            columns[CAPABILITY_BITS].get(row.index)
        )
        partner = technologies(columns[RECEIVED_BITS].get(row.index)) if signaled == 1 else None
        if port:
            row.fields["port_capable_bps"] = max(speed for speed, _ in port)
        if partner:
            row.fields["partner_capable_bps"] = max(speed for speed, _ in partner)
        common = port & partner if port and partner else frozenset()
        if not common:
            continue
        best_speed, best_full = max(common)
        row.fields["capable_bps"] = best_speed
        slower = _slower(row.fields, best_speed, best_full)
        if slower is not None:
            row.fields["slower_than_capable"] = slower
    return rows


def _slower(fields: Mapping[str, int | float], best_speed: int, best_full: bool) -> int | None:
    """1 when an up link runs below the best both ends offer; None when it cannot be told."""
    speed = fields.get("speed_bps")
    if fields.get("oper_status") != 1 or speed is None:
        return None
    if speed < best_speed:
        return 1
    return int(best_full and fields.get("duplex") == HALF)
