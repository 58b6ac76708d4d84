"""BER for notifications, on `codec`: SNMPv1 Trap-PDUs, v2c traps and informs in, inform
Responses out; `from_pdu` also serves the SNMPv3 receiver (a scoped PDU from `usm`).

A v2c SNMPv2-Trap or InformRequest is an ordinary PDU: `codec.decode_pdu` reads it with
the poller's strict varbind decoder. A v1 Trap-PDU has its own header (enterprise,
agent-addr, generic-trap, specific-trap, time-stamp); that header is read here, its varbind
list by `codec.decode_varbinds`, and the trap is translated to the v2 form as RFC 3584
section 3.1 says. So one varbind decoder serves polls and traps.

An SNMPv3 message is recognised (`decode_notification` raises `V3Message` carrying the
datagram) so the receiver can hand it to its USM side.
"""

from __future__ import annotations

from typing import NamedTuple

from lanpulse.collectors.snmp.codec import (
    INFORM,
    INTEGER,
    IP_ADDRESS,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    RESPONSE,
    SEQUENCE,
    TIME_TICKS,
    TRAP_V1,
    TRAP_V2,
    VERSION_1,
    VERSION_2C,
    VERSION_3,
    MalformedMessage,
    Pdu,
    decode_pdu,
    decode_varbinds,
    oid_text,
    read_integer,
    read_tlv,
)
from lanpulse.core.model import SnmpValue

SYS_UPTIME_0 = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID_0 = "1.3.6.1.6.3.1.1.4.1.0"
SNMP_TRAP_ENTERPRISE_0 = "1.3.6.1.6.3.1.1.4.3.0"
SNMP_TRAP_ADDRESS_0 = "1.3.6.1.6.3.18.1.3.0"
# RFC 3584 3.1 (2): generic traps 0..5 are snmpTraps.(generic + 1).
_GENERIC_TRAPS = "1.3.6.1.6.3.1.1.5."
_ENTERPRISE_SPECIFIC = 6


class MalformedTrap(MalformedMessage):
    """A datagram that is not a well-formed SNMP notification."""


class V3Message(Exception):
    """An SNMPv3 message: the receiver hands `data` to its USM side."""

    def __init__(self, data: bytes) -> None:
        super().__init__("SNMPv3 message")
        self.data = data


class Notification(NamedTuple):
    """A decoded trap or inform, in the v2 form (RFC 3584 for v1)."""

    version: int  # 0 (v1), 1 (v2c) or 3
    community: bytes
    inform: bool
    request_id: int
    trap_oid: str
    uptime_ticks: int | None
    varbinds: tuple[tuple[str, SnmpValue], ...]  # after sysUpTime.0 and snmpTrapOID.0


def decode_notification(data: bytes) -> Notification:
    """Decode one datagram as a v1 Trap, v2c Trap or v2c InformRequest, strictly.

    Raises MalformedTrap for anything else, V3Message for an SNMPv3 message.
    """
    try:
        return _decode(data)
    except IndexError:
        raise MalformedTrap("truncated message") from None
    except MalformedTrap:
        raise
    except MalformedMessage as exc:  # from the shared decoders
        raise MalformedTrap(str(exc)) from None


def _unsigned(data: bytes, at: int, end: int, tag: int, what: str) -> tuple[int, int]:
    """A non-negative INTEGER-like value with `tag` at data[at]: (value, index after it)."""
    start, stop = read_tlv(data, at, end, tag)
    if not 0 < stop - start <= 9 or data[start] & 0x80:
        raise MalformedTrap(f"bad {what}")
    return int.from_bytes(data[start:stop], "big"), stop


def _decode(data: bytes) -> Notification:
    total = len(data)
    start, end = read_tlv(data, 0, total, SEQUENCE)
    if end != total:
        raise MalformedTrap("message length does not match the datagram")
    version, i = _unsigned(data, start, end, INTEGER, "version")
    if version == VERSION_3:
        raise V3Message(data)
    if version not in (VERSION_1, VERSION_2C):
        raise MalformedTrap(f"unsupported SNMP version {version}")
    c_start, pdu_at = read_tlv(data, i, end, OCTET_STRING)
    community = data[c_start:pdu_at]
    tag = data[pdu_at]
    if version == VERSION_1 and tag == TRAP_V1:
        return _decode_v1(data, community, pdu_at)
    if version == VERSION_2C and tag in (TRAP_V2, INFORM):
        return from_pdu(decode_pdu(data, pdu_at, end), version, community)
    raise MalformedTrap(f"not a notification PDU (tag 0x{tag:02x} in version {version})")


def from_pdu(pdu: Pdu, version: int, community: bytes = b"") -> Notification:
    """The notification an SNMPv2-Trap or InformRequest PDU carries (v2c or v3)."""
    if pdu.pdu_type not in (TRAP_V2, INFORM):
        raise MalformedTrap(f"not a notification PDU (tag 0x{pdu.pdu_type:02x})")
    if pdu.error_status or pdu.error_index:
        raise MalformedTrap("notification with a non-zero error-status or error-index")
    vbs = pdu.varbinds
    if len(vbs) < 2 or oid_text(vbs[0][0]) != SYS_UPTIME_0 or vbs[0][1] != TIME_TICKS:
        raise MalformedTrap("first varbind is not sysUpTime.0")
    if oid_text(vbs[1][0]) != SNMP_TRAP_OID_0 or vbs[1][1] != OBJECT_IDENTIFIER:
        raise MalformedTrap("second varbind is not snmpTrapOID.0")
    uptime = vbs[0][2]
    return Notification(
        version,
        community,
        pdu.pdu_type == INFORM,
        pdu.request_id,
        str(vbs[1][2]),
        uptime if isinstance(uptime, int) else None,
        tuple((oid_text(raw), value) for raw, _, value in vbs[2:] if value is not None),
    )


def _decode_v1(data: bytes, community: bytes, at: int) -> Notification:
    total = len(data)
    start, end = read_tlv(data, at, total, TRAP_V1)
    if end != total:
        raise MalformedTrap("PDU length does not match the message")
    e_start, e_end = read_tlv(data, start, end, OBJECT_IDENTIFIER)
    if e_start == e_end:
        raise MalformedTrap("empty enterprise OID")
    enterprise = oid_text(data[e_start:e_end])
    a_start, a_end = read_tlv(data, e_end, end, IP_ADDRESS)
    if a_end - a_start != 4:
        raise MalformedTrap("agent-addr is not 4 bytes")
    agent_addr = ".".join(str(b) for b in data[a_start:a_end])
    generic, i = _unsigned(data, a_end, end, INTEGER, "generic-trap")
    specific, i = _unsigned(data, i, end, INTEGER, "specific-trap")
    uptime, i = _unsigned(data, i, end, TIME_TICKS, "time-stamp")
    if generic > _ENTERPRISE_SPECIFIC:
        raise MalformedTrap(f"generic-trap {generic} out of range")
    # RFC 3584 3.1: snmpTrapOID from generic/specific; enterprise and agent-addr appended.
    if generic == _ENTERPRISE_SPECIFIC:
        trap_oid = f"{enterprise}.0.{specific}"
    else:
        trap_oid = f"{_GENERIC_TRAPS}{generic + 1}"
    varbinds = [(oid_text(raw), v) for raw, _, v in decode_varbinds(data, i, end) if v is not None]
    varbinds.append((SNMP_TRAP_ADDRESS_0, agent_addr))
    varbinds.append((SNMP_TRAP_ENTERPRISE_0, enterprise))
    return Notification(VERSION_1, community, False, 0, trap_oid, uptime, tuple(varbinds))


def encode_inform_response(data: bytes) -> bytes:
    """The Response to a v2c InformRequest datagram (already decoded, so well-formed).

    RFC 3416 4.2.7: the same request-id, error-status 0 and the inform's own varbinds; the
    inform already carries zeros in both error fields, so only the PDU tag changes.
    """
    total = len(data)
    start, end = read_tlv(data, 0, total, SEQUENCE)
    _, i = read_integer(data, start, end)
    _, pdu_at = read_tlv(data, i, end, OCTET_STRING)
    if data[pdu_at] != INFORM:
        raise MalformedTrap("not an InformRequest")
    return data[:pdu_at] + bytes((RESPONSE,)) + data[pdu_at + 1 :]
