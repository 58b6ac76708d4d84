"""BER for notifications: SNMPv1 Trap-PDUs, SNMPv2c traps and informs in, inform Responses out.

The poller's codec (`snmp_ber.py`) decodes Response messages only. A v2c SNMPv2-Trap or
InformRequest has the very same layout with another PDU tag, so it is decoded by that codec
after the tag byte is swapped: one varbind decoder for the whole project. A v1 Trap-PDU has
its own header (enterprise, agent-addr, generic-trap, specific-trap, time-stamp); that
header is read here and its varbind list handed to the same decoder, and the trap is
translated to the v2 form as RFC 3584 section 3.1 says.

SNMPv3 messages are recognised (`Notification.version == 3` is never produced: `decode`
raises `V3Message` carrying the datagram) so the receiver can hand them to a USM decoder.

TODO(lead): fold `decode_notification` / `encode_inform_response` into the codec in
`collectors/snmp/` when it lands (a general PDU decoder would replace the tag swap).
"""

from __future__ import annotations

from typing import NamedTuple

from lanpulse.collectors.snmp_ber import (
    INTEGER,
    IP_ADDRESS,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    RESPONSE,
    SEQUENCE,
    TIME_TICKS,
    VERSION_1,
    VERSION_2C,
    MalformedMessage,
    _tlv,  # private: the codec's TLV writer, to become public when the codec moves
    decode_response,
    oid_text,
)
from lanpulse.core.model import SnmpValue

TRAP_V1, INFORM, TRAP_V2 = 0xA4, 0xA6, 0xA7
VERSION_3 = 3

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
    """An SNMPv3 message: the receiver hands `data` to its USM decoder."""

    def __init__(self, data: bytes) -> None:
        super().__init__("SNMPv3 message")
        self.data = data


class Notification(NamedTuple):
    """A decoded trap or inform, in the v2 form (RFC 3584 for v1)."""

    version: int  # 0 (v1) or 1 (v2c)
    community: bytes
    inform: bool
    request_id: int
    trap_oid: str
    uptime_ticks: int | None
    varbinds: tuple[tuple[str, SnmpValue], ...]  # after sysUpTime.0 and snmpTrapOID.0


def _length_at(data: bytes, i: int) -> tuple[int, int]:
    """The BER length whose first byte is data[i]: (length, index after it)."""
    first = data[i]
    if first < 0x80:
        return first, i + 1
    count = first & 0x7F
    if count == 0 or count > 3:
        raise MalformedTrap("indefinite or oversized length")
    end = i + 1 + count
    if end > len(data):
        raise MalformedTrap("truncated length")
    return int.from_bytes(data[i + 1 : end], "big"), end


def _tlv_at(data: bytes, i: int, tag: int, what: str) -> tuple[int, int]:
    """Content bounds (start, end) of the TLV at data[i], which must carry `tag`."""
    if data[i] != tag:
        raise MalformedTrap(f"expected {what}")
    n, start = _length_at(data, i + 1)
    end = start + n
    if end > len(data):
        raise MalformedTrap(f"truncated {what}")
    return start, end


def _unsigned(data: bytes, start: int, end: int, what: str) -> int:
    if not 0 < end - start <= 9 or data[start] & 0x80:
        raise MalformedTrap(f"bad {what}")
    return int.from_bytes(data[start:end], "big")


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
    except MalformedMessage as exc:  # from the shared varbind decoder
        raise MalformedTrap(str(exc)) from None


def _decode(data: bytes) -> Notification:
    start, end = _tlv_at(data, 0, SEQUENCE, "a SEQUENCE")
    if end != len(data):
        raise MalformedTrap("message length does not match the datagram")
    v_start, v_end = _tlv_at(data, start, INTEGER, "version")
    version = _unsigned(data, v_start, v_end, "version")
    if version == VERSION_3:
        raise V3Message(data)
    if version not in (VERSION_1, VERSION_2C):
        raise MalformedTrap(f"unsupported SNMP version {version}")
    c_start, c_end = _tlv_at(data, v_end, OCTET_STRING, "community")
    pdu_at = c_end
    tag = data[pdu_at]
    if version == VERSION_1 and tag == TRAP_V1:
        return _decode_v1(data, data[c_start:c_end], pdu_at)
    if version == VERSION_2C and tag in (TRAP_V2, INFORM):
        # Same layout as a Response: decode it as one (the shared, strict varbind decoder).
        response = decode_response(data[:pdu_at] + bytes((RESPONSE,)) + data[pdu_at + 1 :])
        if response.error_status or response.error_index:
            raise MalformedTrap("notification with a non-zero error-status or error-index")
        vbs = response.varbinds
        if len(vbs) < 2 or oid_text(vbs[0][0]) != SYS_UPTIME_0 or vbs[0][1] != TIME_TICKS:
            raise MalformedTrap("first varbind is not sysUpTime.0")
        if oid_text(vbs[1][0]) != SNMP_TRAP_OID_0 or vbs[1][1] != OBJECT_IDENTIFIER:
            raise MalformedTrap("second varbind is not snmpTrapOID.0")
        uptime = vbs[0][2]
        return Notification(
            version,
            response.community,
            tag == INFORM,
            response.request_id,
            str(vbs[1][2]),
            uptime if isinstance(uptime, int) else None,
            tuple((oid_text(raw), value) for raw, _, value in vbs[2:] if value is not None),
        )
    raise MalformedTrap(f"not a notification PDU (tag 0x{tag:02x} in version {version})")


def _decode_v1(data: bytes, community: bytes, at: int) -> Notification:
    start, end = _tlv_at(data, at, TRAP_V1, "Trap-PDU")
    if end != len(data):
        raise MalformedTrap("PDU length does not match the message")
    e_start, e_end = _tlv_at(data, start, OBJECT_IDENTIFIER, "enterprise")
    if e_start == e_end:
        raise MalformedTrap("empty enterprise OID")
    enterprise = oid_text(data[e_start:e_end])
    a_start, a_end = _tlv_at(data, e_end, IP_ADDRESS, "agent-addr")
    if a_end - a_start != 4:
        raise MalformedTrap("agent-addr is not 4 bytes")
    agent_addr = ".".join(str(b) for b in data[a_start:a_end])
    g_start, g_end = _tlv_at(data, a_end, INTEGER, "generic-trap")
    generic = _unsigned(data, g_start, g_end, "generic-trap")
    s_start, s_end = _tlv_at(data, g_end, INTEGER, "specific-trap")
    specific = _unsigned(data, s_start, s_end, "specific-trap")
    t_start, t_end = _tlv_at(data, s_end, TIME_TICKS, "time-stamp")
    uptime = _unsigned(data, t_start, t_end, "time-stamp")
    if generic > _ENTERPRISE_SPECIFIC:
        raise MalformedTrap(f"generic-trap {generic} out of range")
    _, l_end = _tlv_at(data, t_end, SEQUENCE, "varbind list")
    if l_end != end:
        raise MalformedTrap("varbind list length does not match the PDU")
    # The varbind list, wrapped in a minimal Response so the shared decoder reads it.
    vb_list = data[t_end:l_end]
    pdu = _tlv(RESPONSE, b"\x02\x01\x00" * 3 + vb_list)
    response = decode_response(_tlv(SEQUENCE, b"\x02\x01\x00\x04\x00" + pdu))
    # RFC 3584 3.1: snmpTrapOID from generic/specific; enterprise and agent-addr appended.
    if generic == _ENTERPRISE_SPECIFIC:
        trap_oid = f"{enterprise}.0.{specific}"
    else:
        trap_oid = f"{_GENERIC_TRAPS}{generic + 1}"
    varbinds = [(oid_text(raw), value) for raw, _, value in response.varbinds if value is not None]
    varbinds.append((SNMP_TRAP_ADDRESS_0, agent_addr))
    varbinds.append((SNMP_TRAP_ENTERPRISE_0, enterprise))
    return Notification(VERSION_1, community, False, 0, trap_oid, uptime, tuple(varbinds))


def encode_inform_response(data: bytes) -> bytes:
    """The Response to a v2c InformRequest datagram (already decoded, so well-formed).

    RFC 3416 4.2.7: the same request-id, error-status 0 and the inform's own varbinds; the
    inform already carries zeros in both error fields, so only the PDU tag changes.
    """
    _, start = _length_at(data, 1)
    _, v_end = _tlv_at(data, start, INTEGER, "version")
    _, c_end = _tlv_at(data, v_end, OCTET_STRING, "community")
    if data[c_end] != INFORM:
        raise MalformedTrap("not an InformRequest")
    return data[:c_end] + bytes((RESPONSE,)) + data[c_end + 1 :]
