"""A minimal, strict BER codec for SNMP messages: PDUs, community messages, v3 framing helpers.

What a poller sends and receives: GetRequest, GetNextRequest and GetBulkRequest messages
with NULL-valued varbinds, and Response / Report PDUs (the v3 message around a PDU is
`usm`'s business; it reads its header with `read_tlv` / `read_integer`).

The decoder is the hot path of a poller (pyasn1 spends ~0.1 ms per varbind), so it walks
one `bytes` object by index with local variables and builds no Python object per byte:
OIDs stay as their BER content bytes (`raw`) until someone needs them as text or as arcs,
which is how walks compare and file rows cheaply (a column's subtree is a byte prefix).

Anything that is not a well-formed Response — truncated, trailing bytes, indefinite or
oversized lengths, unknown value types, a value whose length its type forbids — raises
`MalformedMessage`; the transport drops that datagram and counts it.

(~425 lines: the encoder and the decoder of one wire format share its tag table and length
rules, and the decoder is one hand-written loop; the v3 header and USM live in `usm.py`.)
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from lanpulse.core.model import Oid, SnmpValue

GET, GET_NEXT, RESPONSE, GET_BULK = 0xA0, 0xA1, 0xA2, 0xA5
TRAP_V1, INFORM, TRAP_V2, REPORT = 0xA4, 0xA6, 0xA7, 0xA8
VERSION_1, VERSION_2C, VERSION_3 = 0, 1, 3

INTEGER, OCTET_STRING, NULL, OBJECT_IDENTIFIER, SEQUENCE = 0x02, 0x04, 0x05, 0x06, 0x30
IP_ADDRESS, COUNTER32, GAUGE32, TIME_TICKS, OPAQUE, COUNTER64 = 0x40, 0x41, 0x42, 0x43, 0x44, 0x46
NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW = 0x80, 0x81, 0x82

_UNSIGNED_MAX = {COUNTER32: 1 << 32, GAUGE32: 1 << 32, TIME_TICKS: 1 << 32, COUNTER64: 1 << 64}
_ABSENT = frozenset((NULL, NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW))
# A sub-identifier padded with a leading 0x80 byte (forbidden: BER wants the shortest form).
_PADDED_ARC = re.compile(rb"(?:^|[\x00-\x7f])\x80")


class MalformedMessage(ValueError):
    """A datagram that is not a well-formed SNMP message of the kind expected."""


Varbind = tuple[bytes, int, SnmpValue | None]


class Pdu(NamedTuple):
    """One decoded PDU (any type but SNMPv1's Trap). Varbinds: (raw OID, type tag, value)."""

    pdu_type: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: list[Varbind]


class Response(NamedTuple):
    """One decoded Response message. Varbinds are (raw OID, type tag, value or None)."""

    version: int
    community: bytes
    request_id: int
    error_status: int
    error_index: int
    varbinds: list[Varbind]


# -- encoding ---------------------------------------------------------------------------


def encode_length(n: int) -> bytes:
    """BER length octets (definite form) for a content of `n` bytes."""
    if n < 0x80:
        return bytes((n,))
    if n < 0x100:  # most long lengths of a message (one byte): no to_bytes
        return bytes((0x81, n))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, body: bytes) -> bytes:
    """One BER TLV (definite length)."""
    return bytes((tag,)) + encode_length(len(body)) + body


def _integer(value: int) -> bytes:
    """INTEGER for a non-negative value (all a request carries)."""
    return tlv(INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def integer(value: int, tag: int = INTEGER) -> bytes:
    """A signed INTEGER (or an application type with `tag`) in its shortest two's complement."""
    if tag in _UNSIGNED_MAX:
        return tlv(tag, value.to_bytes(value.bit_length() // 8 + 1, "big"))
    return tlv(tag, value.to_bytes((value + (value < 0)).bit_length() // 8 + 1, "big", signed=True))


def encode_value(tag: int, value: SnmpValue | None) -> bytes:
    """The TLV of one varbind value, as `decode_pdu` returns it (tag, plain Python value)."""
    if tag == INTEGER or tag in _UNSIGNED_MAX:
        assert isinstance(value, int)
        return integer(value, tag)
    if tag in (OCTET_STRING, OPAQUE):
        assert isinstance(value, bytes)
        return tlv(tag, value)
    if tag == OBJECT_IDENTIFIER:
        return tlv(tag, encode_oid(str(value)))
    if tag == IP_ADDRESS:
        return tlv(tag, bytes(int(p) for p in str(value).split(".")))
    if tag in _ABSENT:
        return bytes((tag, 0))
    raise ValueError(f"unknown value type 0x{tag:02x}")


def encode_pdu(
    pdu_type: int, request_id: int, status: int, index: int, varbinds: list[Varbind]
) -> bytes:
    """Any PDU but SNMPv1's Trap, with full varbinds (Responses, traps, round-trip tests)."""
    body = b"".join(
        tlv(SEQUENCE, tlv(OBJECT_IDENTIFIER, raw) + encode_value(tag, value))
        for raw, tag, value in varbinds
    )
    return tlv(
        pdu_type,
        integer(request_id) + integer(status) + integer(index) + tlv(SEQUENCE, body),
    )


# Process-wide, on purpose: the key is the OID itself and
# the value immutable bytes, the same for every client, device and configuration, so no
# reload can make an entry wrong; bounded by maxsize. Plans repeat the same OIDs each poll.
@functools.lru_cache(maxsize=65536)
def encode_oid(text: str) -> bytes:
    """The BER content bytes of a dotted OID ("1.3.6.1..."; a leading dot is allowed)."""
    try:
        arcs = [int(a) for a in text.strip().lstrip(".").split(".")]
    except ValueError:
        raise ValueError(f"not a numeric OID: {text!r}") from None
    if len(arcs) < 2 or not 0 <= arcs[0] <= 2 or (arcs[0] < 2 and not 0 <= arcs[1] < 40):
        raise ValueError(f"not a valid OID: {text!r}")
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        if arc < 0:
            raise ValueError(f"not a valid OID: {text!r}")
        if arc < 0x80:
            out.append(arc)
            continue
        groups = []
        while arc:
            groups.append(arc & 0x7F)
            arc >>= 7
        out += bytes(g | 0x80 for g in reversed(groups[1:])) + bytes((groups[0],))
    return bytes(out)


# Process-wide: keyed by the OID bytes alone (see encode_oid).
@functools.lru_cache(maxsize=65536)
def _null_varbind(raw_oid: bytes) -> bytes:
    return tlv(SEQUENCE, tlv(OBJECT_IDENTIFIER, raw_oid) + b"\x05\x00")


def encode_request(
    version: int,
    community: bytes,
    pdu_type: int,
    request_id: int,
    raw_oids: list[bytes],
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    """A GetRequest / GetNextRequest / GetBulkRequest message asking for `raw_oids`.

    For GET and GETNEXT the two counters are error-status and error-index and stay 0.
    """
    pdu = encode_request_pdu(pdu_type, request_id, raw_oids, non_repeaters, max_repetitions)
    return tlv(SEQUENCE, _integer(version) + tlv(OCTET_STRING, community) + pdu)


def encode_request_pdu(
    pdu_type: int,
    request_id: int,
    raw_oids: list[bytes],
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    """The PDU of a request for `raw_oids` (NULL values), without a message around it."""
    varbinds = b"".join(map(_null_varbind, raw_oids))
    pdu = (
        _integer(request_id)
        + _integer(non_repeaters)
        + _integer(max_repetitions)
        + tlv(SEQUENCE, varbinds)
    )
    return tlv(pdu_type, pdu)


# -- OIDs -------------------------------------------------------------------------------


def decode_arcs(raw: bytes) -> tuple[int, ...]:
    """The sub-identifiers of BER OID content bytes (the first one not split in two)."""
    if raw.isascii():  # every sub-identifier below 128: one byte each
        return tuple(raw)
    if raw[-1] & 0x80:
        raise MalformedMessage("OID ends inside a sub-identifier")
    if raw[0] == 0x80 or _PADDED_ARC.search(raw):
        raise MalformedMessage("OID sub-identifier with a leading 0x80 byte")
    arcs = []
    value = 0
    for byte in raw:
        if byte < 0x80:
            arcs.append(value | byte)
            value = 0
        else:
            value = (value | (byte & 0x7F)) << 7
    return tuple(arcs)


# Process-wide: keyed by the OID bytes alone (see encode_oid).
@functools.lru_cache(maxsize=65536)
def oid_text(raw: bytes) -> str:
    """Dotted text (no leading dot) for BER OID content bytes."""
    arcs = decode_arcs(raw)
    if not arcs:
        raise MalformedMessage("empty OID")
    first = arcs[0]
    head = f"0.{first}" if first < 40 else f"1.{first - 40}" if first < 80 else f"2.{first - 80}"
    if len(arcs) == 1:
        return head
    return head + "." + ".".join(map(str, arcs[1:]))


# -- decoding ---------------------------------------------------------------------------


def _long_length(data: bytes, i: int) -> tuple[int, int]:
    """Long-form length whose first byte sits at data[i]: (length, index after it)."""
    count = data[i] & 0x7F
    if count == 0 or count > 3:  # indefinite form, or longer than any datagram
        raise MalformedMessage("indefinite or oversized length")
    end = i + 1 + count
    if end > len(data):
        raise MalformedMessage("truncated length")
    return int.from_bytes(data[i + 1 : end], "big"), end


def _header_integer(data: bytes, i: int, end: int) -> tuple[int, int]:
    """An INTEGER of the message header at data[i]: (value, index after it)."""
    if data[i] != INTEGER:
        raise MalformedMessage("expected INTEGER")
    n = data[i + 1]
    if n == 0 or n > 8:
        raise MalformedMessage("bad INTEGER length")
    i += 2
    if i + n > end:
        raise MalformedMessage("truncated INTEGER")
    return int.from_bytes(data[i : i + n], "big", signed=True), i + n


def read_tlv(data: bytes, i: int, end: int, tag: int) -> tuple[int, int]:
    """The content of the TLV with `tag` at data[i] (within `end`): (start, end) of it."""
    try:
        if data[i] != tag:
            raise MalformedMessage(f"expected tag 0x{tag:02x}")
        n = data[i + 1]
    except IndexError:
        raise MalformedMessage("truncated message") from None
    if n & 0x80:
        n, i = _long_length(data, i + 1)
    else:
        i += 2
    if i + n > end:
        raise MalformedMessage("truncated value")
    return i, i + n


def read_integer(data: bytes, i: int, end: int) -> tuple[int, int]:
    """An INTEGER at data[i] (at most 8 bytes): (value, index after it)."""
    try:
        return _header_integer(data, i, end)
    except IndexError:
        raise MalformedMessage("truncated message") from None


def decode_response(data: bytes) -> Response:
    """Decode one datagram as an SNMPv1/v2c Response message, strictly."""
    try:
        return _decode(data)
    except IndexError:
        raise MalformedMessage("truncated message") from None


def _decode(data: bytes) -> Response:
    total = len(data)
    if total < 2 or data[0] != SEQUENCE:
        raise MalformedMessage("not a SEQUENCE")
    n = data[1]
    n, i = _long_length(data, 1) if n & 0x80 else (n, 2)
    if i + n != total:
        raise MalformedMessage("message length does not match the datagram")
    version, i = _header_integer(data, i, total)
    if data[i] != OCTET_STRING:
        raise MalformedMessage("expected community")
    n = data[i + 1]
    n, i = _long_length(data, i + 1) if n & 0x80 else (n, i + 2)
    if i + n > total:
        raise MalformedMessage("truncated community")
    community = data[i : i + n]
    i += n
    if data[i] != RESPONSE:
        raise MalformedMessage("not a Response PDU")
    pdu = _decode_pdu(data, i, total)
    return Response(version, community, *pdu[1:])


def decode_pdu(data: bytes, i: int, end: int) -> Pdu:
    """Decode the PDU at data[i] that must end exactly at `end`, strictly."""
    try:
        return _decode_pdu(data, i, end)
    except IndexError:
        raise MalformedMessage("truncated message") from None


def _decode_pdu(data: bytes, i: int, total: int) -> Pdu:
    pdu_type = data[i]
    if pdu_type & 0xE0 != 0xA0 or pdu_type == TRAP_V1:
        raise MalformedMessage("not a PDU")
    n = data[i + 1]
    n, i = _long_length(data, i + 1) if n & 0x80 else (n, i + 2)
    if i + n != total:
        raise MalformedMessage("PDU length does not match the message")
    request_id, i = _header_integer(data, i, total)
    error_status, i = _header_integer(data, i, total)
    error_index, i = _header_integer(data, i, total)
    varbinds = _decode_varbinds(data, i, total)
    return Pdu(pdu_type, request_id, error_status, error_index, varbinds)


def decode_varbinds(data: bytes, i: int, end: int) -> list[Varbind]:
    """Decode the varbind list (SEQUENCE) at data[i] that must end exactly at `end`."""
    try:
        return _decode_varbinds(data, i, end)
    except IndexError:
        raise MalformedMessage("truncated message") from None


def _decode_varbinds(data: bytes, i: int, total: int) -> list[Varbind]:
    if data[i] != SEQUENCE:
        raise MalformedMessage("expected varbind list")
    n = data[i + 1]
    n, i = _long_length(data, i + 1) if n & 0x80 else (n, i + 2)
    if i + n != total:
        raise MalformedMessage("varbind list length does not match the PDU")

    varbinds: list[Varbind] = []
    append = varbinds.append
    unsigned_max = _UNSIGNED_MAX
    from_bytes = int.from_bytes
    value: SnmpValue | None
    while i < total:
        # Byte tests are comparisons, not `& 0x80` (one interpreter step less each), and
        # short lengths are read inline: this loop runs once per varbind of every answer.
        if data[i] != SEQUENCE:
            raise MalformedMessage("expected varbind")
        n = data[i + 1]
        if n > 0x7F:
            n, i = _long_length(data, i + 1)
        else:
            i += 2
        vb_end = i + n
        if vb_end > total or data[i] != OBJECT_IDENTIFIER:
            raise MalformedMessage("bad varbind")
        n = data[i + 1]
        if n > 0x7F:
            n, i = _long_length(data, i + 1)
        else:
            i += 2
        j = i + n
        if n == 0 or j >= vb_end:
            raise MalformedMessage("bad varbind name")
        raw = data[i:j]
        if data[j - 1] > 0x7F or (not raw.isascii() and _PADDED_ARC.search(raw)):
            raise MalformedMessage("bad OID encoding")
        tag = data[j]
        n = data[j + 1]
        if n > 0x7F:
            n, i = _long_length(data, j + 1)
        else:
            i = j + 2
        j = i + n
        if j != vb_end:
            raise MalformedMessage("varbind value length does not match the varbind")
        if tag == INTEGER:
            if n == 0:
                raise MalformedMessage("empty INTEGER")
            value = from_bytes(data[i:j], "big", signed=True)
        elif tag in unsigned_max:
            if n == 0:
                raise MalformedMessage("empty unsigned value")
            if data[i] > 0x7F:  # negative in BER
                raise MalformedMessage("unsigned value out of range")
            value = from_bytes(data[i:j], "big")
            if value >= unsigned_max[tag]:
                raise MalformedMessage("unsigned value out of range")
        elif tag in (OCTET_STRING, OPAQUE):
            value = data[i:j]
        elif tag == OBJECT_IDENTIFIER:
            if n == 0:
                raise MalformedMessage("empty OID value")
            value = Oid(oid_text(data[i:j]))
        elif tag == IP_ADDRESS:
            if n != 4:
                raise MalformedMessage("IpAddress is not 4 bytes")
            value = f"{data[i]}.{data[i + 1]}.{data[i + 2]}.{data[i + 3]}"
        elif tag in _ABSENT:
            if n:
                raise MalformedMessage("NULL-like value with content")
            value = None
        else:
            raise MalformedMessage(f"unknown value type 0x{tag:02x}")
        append((raw, tag, value))
        i = j
    return varbinds
