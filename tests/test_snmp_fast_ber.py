"""collectors/snmp/codec against pyasn1/pysnmp's codec: same bytes meaning, same values,
never a crash.

pysnmp's message codec is the reference here (it is what PysnmpClient decodes with):
requests encoded by the codec must decode in pyasn1 to the PDU meant, responses encoded by
pyasn1 must decode in the codec to the values PysnmpClient returns, and any damaged
datagram must end in `MalformedMessage`, never another exception.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.proto.api import v1 as pv1
from pysnmp.proto.api import v2c

from lanpulse.collectors.snmp.codec import (
    END_OF_MIB_VIEW,
    GET,
    GET_BULK,
    GET_NEXT,
    MalformedMessage,
    decode_arcs,
    decode_response,
    encode_oid,
    encode_request,
    oid_text,
)
from lanpulse.collectors.snmp.pysnmp_step import _to_python
from lanpulse.core.model import Oid

ODD_OIDS = [
    "1.3.6.1.2.1.1.3.0",
    "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.7.67108873",
    "1.3.6.1.4.1.99999.4294967295.0.127.128.16383.16384",
    "2.999.1",
    "0.39",
]

VALUES: list[Any] = [
    rfc1902.Integer32(0),
    rfc1902.Integer32(-1),
    rfc1902.Integer32(-(2**31)),
    rfc1902.Integer32(2**31 - 1),
    rfc1902.Integer32(128),
    rfc1902.Counter32(0),
    rfc1902.Counter32(2**32 - 1),
    rfc1902.Gauge32(2**31),
    rfc1902.Unsigned32(7),
    rfc1902.TimeTicks(10048136),
    rfc1902.Counter64(2**64 - 1),
    rfc1902.Counter64(2**63),
    rfc1902.OctetString(b""),
    rfc1902.OctetString(b"\x00\xffbinary"),
    rfc1902.OctetString(b"x" * 300),
    rfc1902.Opaque(b"\x9f\x78\x04\x3f\x80\x00\x00"),
    rfc1902.IpAddress("10.0.255.1"),
    rfc1902.ObjectIdentifier("1.3.6.1.4.1.9.1.1006"),
    rfc1902.ObjectIdentifier("1.3.6.1.4.1.2011.2.23.521"),
    rfc1902.Bits(b"\xa0"),
    v2c.null,
    rfc1905.noSuchObject,
    rfc1905.noSuchInstance,
    rfc1905.endOfMibView,
]


def response(varbinds: list[tuple[str, Any]], request_id: int = 99, api: Any = v2c) -> bytes:
    """A Response message encoded by pysnmp."""
    message = api.Message()
    api.apiMessage.set_defaults(message)
    api.apiMessage.set_community(message, "public")
    pdu = api.GetResponsePDU()
    api.apiPDU.set_defaults(pdu)
    api.apiPDU.set_request_id(pdu, request_id)
    api.apiPDU.set_varbinds(pdu, [(api.ObjectIdentifier(o), v) for o, v in varbinds])
    api.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


@pytest.mark.parametrize("oid", ODD_OIDS)
def test_oids_encode_like_pyasn1_and_decode_back(oid: str) -> None:
    reference = encoder.encode(rfc1902.ObjectIdentifier(oid))
    raw = encode_oid(oid)
    assert reference.endswith(raw) and len(reference) - len(raw) == 2
    assert oid_text(raw) == oid and oid_text(encode_oid("." + oid)) == oid
    assert decode_arcs(raw)[1:] == tuple(int(a) for a in oid.split(".")[2:])


@pytest.mark.parametrize("bad", ["", "1", "3.1", "1.40", "1.3.x", "1..3", "1.3.-1"])
def test_invalid_oids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="OID"):
        encode_oid(bad)


@pytest.mark.parametrize(
    ("pdu_type", "kind"),
    [
        (GET, v2c.GetRequestPDU),
        (GET_NEXT, v2c.GetNextRequestPDU),
        (GET_BULK, v2c.GetBulkRequestPDU),
    ],
)
def test_requests_decode_in_pyasn1_as_meant(pdu_type: int, kind: type) -> None:
    raws = [encode_oid(o) for o in ODD_OIDS * 30]  # > 255 bytes: long-form lengths
    data = encode_request(1, b"c\x00mmunity", pdu_type, 2**31 - 1, raws, 0, 25)
    message, rest = decoder.decode(data, asn1Spec=v2c.Message())
    assert rest == b""
    pdu = v2c.apiMessage.get_pdu(message)
    assert isinstance(pdu, kind)
    assert bytes(v2c.apiMessage.get_community(message)) == b"c\x00mmunity"
    assert int(v2c.apiPDU.get_request_id(pdu)) == 2**31 - 1
    assert [str(n) for n, _ in v2c.apiPDU.get_varbinds(pdu)] == ODD_OIDS * 30
    if pdu_type == GET_BULK:
        assert int(v2c.apiBulkPDU.get_max_repetitions(pdu)) == 25
        assert int(v2c.apiBulkPDU.get_non_repeaters(pdu)) == 0


def test_v1_request_decodes_in_pyasn1() -> None:
    data = encode_request(0, b"public", GET_NEXT, 5, [encode_oid(ODD_OIDS[0])])
    message, _ = decoder.decode(data, asn1Spec=pv1.Message())
    assert int(message[0]) == 0


@pytest.mark.parametrize("value", VALUES, ids=lambda v: f"{type(v).__name__}")
def test_every_value_type_decodes_as_pysnmp_converts_it(value: Any) -> None:
    data = response([(ODD_OIDS[2], value), (ODD_OIDS[0], value)])
    decoded = decode_response(data)
    assert decoded.request_id == 99 and decoded.community == b"public"
    assert decoded.version == 1
    expected = _to_python(value)
    for _raw, _tag, got in decoded.varbinds:
        assert got == expected and type(got) is type(expected)
    assert [oid_text(r) for r, _, _ in decoded.varbinds] == [ODD_OIDS[2], ODD_OIDS[0]]
    if isinstance(value, rfc1902.ObjectIdentifier):
        assert isinstance(decoded.varbinds[0][2], Oid)
    if value is rfc1905.endOfMibView:
        assert decoded.varbinds[0][1] == END_OF_MIB_VIEW


def test_v1_response_and_error_fields() -> None:
    message = pv1.Message()
    pv1.apiMessage.set_defaults(message)
    pv1.apiMessage.set_community(message, "public")
    pdu = pv1.GetResponsePDU()
    pv1.apiPDU.set_defaults(pdu)
    pv1.apiPDU.set_request_id(pdu, 1234567)
    pv1.apiPDU.set_error_status(pdu, 2)
    pv1.apiPDU.set_error_index(pdu, 3)
    pv1.apiPDU.set_varbinds(pdu, [(pv1.ObjectIdentifier(ODD_OIDS[0]), pv1.Counter(5))])
    pv1.apiMessage.set_pdu(message, pdu)
    decoded = decode_response(bytes(encoder.encode(message)))
    assert (decoded.version, decoded.request_id) == (0, 1234567)
    assert (decoded.error_status, decoded.error_index) == (2, 3)
    assert decoded.varbinds == [(encode_oid(ODD_OIDS[0]), 0x41, 5)]


def test_big_response_with_long_lengths() -> None:
    varbinds = [(f"1.3.6.1.2.1.2.2.1.2.{n}", rfc1902.OctetString(b"p" * 200)) for n in range(400)]
    decoded = decode_response(response(varbinds))  # > 64 KiB: three-byte lengths
    assert len(decoded.varbinds) == 400
    assert all(v == b"p" * 200 for _, _, v in decoded.varbinds)


def test_damaged_datagrams_raise_only_malformed() -> None:
    rng = random.Random(5)
    good = response([(o, v) for o, v in zip(ODD_OIDS * 5, VALUES, strict=False)])
    damaged = [good[:cut] for cut in range(len(good))]
    damaged += [good + bytes([rng.randrange(256)]) for _ in range(20)]
    for _ in range(3000):
        flipped = bytearray(good)
        for _ in range(rng.randrange(1, 4)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        damaged.append(bytes(flipped))
    damaged += [bytes(rng.randrange(256) for _ in range(rng.randrange(200))) for _ in range(500)]
    survivors = 0
    for data in damaged:
        try:
            decode_response(data)
            survivors += 1  # a flip that still makes a well-formed Response (a value changed)
        except MalformedMessage:
            pass
    assert survivors < len(damaged) // 2


@pytest.mark.parametrize(
    "value",
    [
        b"\x41\x04\xff\xff\xff\xff",  # Counter32 that BER says is negative
        b"\x41\x06\x01\x00\x00\x00\x00\x00",  # Counter32 above 2^32-1
        b"\x40\x03\x0a\x00\x01",  # IpAddress of 3 bytes
        b"\x45\x01\x00",  # NsapAddress: not an SNMPv2 type
        b"\x05\x01\x00",  # NULL with content
        b"\x02\x00",  # empty INTEGER
    ],
)
def test_invalid_values_are_malformed(value: bytes) -> None:
    good = response([(ODD_OIDS[0], rfc1902.Integer32(1))])
    assert good.endswith(b"\x02\x01\x01")
    # The splice itself is sound: a valid value in its place decodes.
    assert decode_response(_with_value(good, b"\x42\x02\x00\x80")).varbinds[0][2] == 128
    with pytest.raises(MalformedMessage):
        decode_response(_with_value(good, value))


def _with_value(good: bytes, value: bytes) -> bytes:
    """`good` (one INTEGER varbind) with that value's TLV replaced by `value`."""
    patched = bytearray(good[:-3] + value)
    for offset in _length_offsets(good):  # the four enclosing lengths, all short-form here
        patched[offset] += len(value) - 3
    return bytes(patched)


def _length_offsets(good: bytes) -> list[int]:
    """Offsets of the message, PDU, varbind list and varbind lengths (short form)."""
    pdu = good.index(b"\xa2")
    varbind_list = good.index(b"\x30", pdu + 2 + 3 * 3)
    return [1, pdu + 1, varbind_list + 1, varbind_list + 3]
