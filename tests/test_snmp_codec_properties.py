"""Property tests of lanpulse's SNMP codec and USM (hypothesis): round trips and hostile bytes.

Random PDUs survive encode -> decode unchanged, in community messages and in v3 messages at
every security level and protocol pair; random and mutated datagrams make the decoders
raise their typed errors (`MalformedMessage`, `UsmError`) and nothing else, within a
deadline (a decoder that looped would miss it).
"""

from __future__ import annotations

import contextlib
import hmac
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder as ber_decoder
from pysnmp.proto.mpmod.rfc3412 import ScopedPDU, SNMPv3Message
from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

from lanpulse.collectors.snmp.codec import (
    COUNTER32,
    COUNTER64,
    END_OF_MIB_VIEW,
    GAUGE32,
    GET_BULK,
    INTEGER,
    IP_ADDRESS,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    NULL,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    OPAQUE,
    REPORT,
    RESPONSE,
    SEQUENCE,
    TIME_TICKS,
    TRAP_V2,
    MalformedMessage,
    Pdu,
    decode_pdu,
    decode_response,
    encode_oid,
    encode_pdu,
    integer,
    tlv,
)
from lanpulse.collectors.snmp.usm import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    MAX_MESSAGE_SIZE,
    KeyCache,
    LocalEngine,
    MessageTemplate,
    UsmError,
    UsmUser,
    encode_message,
    open_message,
    parse_message,
    receive,
)
from lanpulse.collectors.snmp.usm_crypto import AUTH_PROTOCOLS, PRIV_PROTOCOLS, LocalizedKeys
from lanpulse.core.model import Secret

FAST = settings(max_examples=300, deadline=timedelta(milliseconds=500))
TYPED = (MalformedMessage, UsmError)

arcs = st.tuples(
    st.integers(0, 1), st.integers(0, 39), st.lists(st.integers(0, 2**32 - 1), max_size=12)
).map(lambda t: ".".join(map(str, (t[0], t[1], *t[2]))))
raw_oids = arcs.map(encode_oid)

values = st.one_of(
    st.tuples(st.just(INTEGER), st.integers(-(2**31), 2**31 - 1)),
    st.tuples(st.sampled_from([COUNTER32, GAUGE32, TIME_TICKS]), st.integers(0, 2**32 - 1)),
    st.tuples(st.just(COUNTER64), st.integers(0, 2**64 - 1)),
    st.tuples(st.sampled_from([OCTET_STRING, OPAQUE]), st.binary(max_size=300)),
    st.tuples(st.just(OBJECT_IDENTIFIER), arcs),
    st.tuples(st.just(IP_ADDRESS), st.ip_addresses(v=4).map(str)),
    st.tuples(
        st.sampled_from([NULL, NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW]), st.none()
    ),
)
varbinds = st.lists(st.tuples(raw_oids, values).map(lambda t: (t[0], *t[1])), max_size=30)
pdus = st.builds(
    Pdu,
    st.sampled_from([RESPONSE, REPORT, TRAP_V2, GET_BULK]),
    st.integers(-(2**31), 2**31 - 1),
    st.integers(0, 18),
    st.integers(0, 30),
    varbinds,
)


def encoded(pdu: Pdu) -> bytes:
    """The PDU's BER bytes."""
    return encode_pdu(pdu.pdu_type, pdu.request_id, pdu.error_status, pdu.error_index, pdu.varbinds)


@FAST
@given(pdus)
def test_pdus_round_trip(pdu: Pdu) -> None:
    data = encoded(pdu)
    assert decode_pdu(data, 0, len(data)) == pdu


@FAST
@given(pdus.filter(lambda p: p.pdu_type == RESPONSE), st.sampled_from([0, 1]), st.binary())
def test_community_responses_round_trip(pdu: Pdu, version: int, community: bytes) -> None:
    message = tlv(SEQUENCE, integer(version) + tlv(OCTET_STRING, community) + encoded(pdu))
    got = decode_response(message)
    assert (got.version, got.community, *got[2:]) == (version, community, *pdu[1:])


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(AUTH_PROTOCOLS)),
    st.binary(max_size=200),
    st.binary(max_size=700),
    st.binary(max_size=800),
)
def test_usm_digest_is_the_standard_librarys_hmac(
    auth: str, key: bytes, head: bytes, tail: bytes
) -> None:
    """LocalizedKeys keys the two HMAC hash states itself: the truncated MAC must be
    exactly `hmac`'s of the message with zeroed authentication parameters, for every auth
    protocol, key length (over a block too) and message."""
    protocol = AUTH_PROTOCOLS[auth]
    keys = LocalizedKeys(protocol, None, key, b"")
    zeroed = head + bytes(protocol.mac_length) + tail
    expected = hmac.new(key, zeroed, protocol.hash_name).digest()[: protocol.mac_length]
    assert keys.digest(head, tail) == expected


# A few users and engines, so that each key is localised once (~1 MiB of hashing each).
PASSWORDS = [Secret("maplesyrup"), Secret("correct horse battery")]
ENGINES = [bytes.fromhex("80001f8804") + b"lanpulse", bytes(12), b"\x80\x00\x13\x70\x05abcdef"]
CACHE = KeyCache()
users = st.builds(
    UsmUser,
    st.sampled_from(["poller", "u"]),
    st.sampled_from(sorted(AUTH_PROTOCOLS)),
    st.sampled_from(PASSWORDS),
    st.sampled_from([None, *sorted(PRIV_PROTOCOLS)]),
    st.sampled_from(PASSWORDS),
).map(lambda u: u if u.priv_protocol else UsmUser(u.name, u.auth_protocol, u.auth_password))
levels = st.one_of(users, st.just(UsmUser("public")))

V3 = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # first uses localise keys


def v3_message(user: UsmUser, engine: bytes, pdu: Pdu, boots: int, time: int, salt: int) -> bytes:
    """One v3 message from `user` for the authoritative `engine`."""
    keys = CACHE.keys(user, engine) if user.auth_protocol else None
    return encode_message(
        msg_id=pdu.request_id & 0x7FFFFFFF,
        flags=user.flags,
        engine_id=engine,
        boots=boots,
        time=time,
        user_name=user.name.encode(),
        keys=keys,
        context_engine_id=engine,
        context_name=b"ctx",
        pdu=encoded(pdu),
        salt=salt,
    )


@V3
@given(
    levels,
    st.sampled_from(ENGINES),
    pdus,
    st.integers(0, 2**31 - 1),
    st.integers(0, 2**31 - 1),
    st.integers(0, 2**64 - 1),
)
def test_v3_messages_round_trip(
    user: UsmUser, engine: bytes, pdu: Pdu, boots: int, time: int, salt: int
) -> None:
    data = v3_message(user, engine, pdu, boots, time, salt)
    message = parse_message(data)
    assert (message.engine_id, message.boots, message.time) == (engine, boots, time)
    assert message.user_name == user.name.encode() and message.flags & 3 == user.flags
    keys = CACHE.keys(user, engine) if user.auth_protocol else None
    opened = open_message(message, keys)
    assert opened.pdu == pdu and opened.context_name == b"ctx"
    if user.priv_protocol:
        assert encoded(pdu) not in data  # encrypted on the wire


@V3
@given(users, st.sampled_from(ENGINES), pdus, st.data())
def test_mutated_v3_messages_fail_typed(
    user: UsmUser, engine: bytes, pdu: Pdu, data: st.DataObject
) -> None:
    good = v3_message(user, engine, pdu, 3, 1000, 7)
    position = data.draw(st.integers(0, len(good) - 1))
    mutation = data.draw(st.sampled_from(["flip", "cut", "insert"]))
    if mutation == "flip":
        bad = good[:position] + bytes((good[position] ^ data.draw(st.integers(1, 255)),))
        bad += good[position + 1 :]
    elif mutation == "cut":
        bad = good[:position]
    else:
        bad = good[:position] + data.draw(st.binary(min_size=1, max_size=4)) + good[position:]

    def known(name: bytes, _engine: bytes) -> UsmUser | None:
        return user if name == user.name.encode() else None

    try:
        receive(bad, known, CACHE)
    except TYPED:
        return
    # The digest covers every byte: a flipped one never gets through.
    assert mutation != "flip"


@FAST
@given(st.binary(max_size=600))
def test_random_bytes_fail_typed(data: bytes) -> None:
    for decode in (decode_response, parse_message, lambda d: decode_pdu(d, 0, len(d))):
        with contextlib.suppress(TYPED):
            decode(data)


@FAST
@given(st.binary(max_size=200))
def test_random_bytes_after_a_v3_header_fail_typed(tail: bytes) -> None:
    user = UsmUser("poller", "sha", PASSWORDS[0], "aes", PASSWORDS[1])
    head = v3_message(user, ENGINES[0], Pdu(RESPONSE, 1, 0, 0, []), 1, 1, 1)
    for data in (head[: len(head) // 2] + tail, head + tail, tail + head):
        with contextlib.suppress(TYPED):
            receive(data, lambda _n, _e: user, CACHE, LocalEngine(ENGINES[0]))


def test_receiver_checks_engine_and_time_window_for_informs() -> None:
    user = UsmUser("poller", "sha256", PASSWORDS[0], "aes256c", PASSWORDS[1])
    local = LocalEngine(ENGINES[0], boots=4)
    pdu = Pdu(0xA6, 9, 0, 0, [(encode_oid("1.3.6.1.2.1.1.3.0"), TIME_TICKS, 5)])
    ok = v3_message(user, ENGINES[0], pdu, 4, local.time(), 1)
    assert receive(ok, lambda _n, _e: user, CACHE, local).pdu == pdu
    for data, kind in (
        (v3_message(user, ENGINES[0], pdu, 3, local.time(), 2), "notInTimeWindow"),
        (v3_message(user, ENGINES[0], pdu, 4, local.time() + 151, 3), "notInTimeWindow"),
        (v3_message(user, ENGINES[1], pdu, 4, local.time(), 4), "unknownEngineID"),
    ):
        try:
            receive(data, lambda _n, _e: user, CACHE, local)
        except UsmError as exc:
            assert exc.kind == kind
        else:
            raise AssertionError(kind)
    noauth = UsmUser("poller")
    try:
        receive(ok, lambda _n, _e: noauth, CACHE, local)
    except UsmError as exc:
        assert exc.kind == "unsupportedSecLevel"
    wrong = UsmUser("poller", "sha256", PASSWORDS[1], "aes256c", PASSWORDS[1])
    try:
        receive(ok, lambda _n, _e: wrong, CACHE, local)
    except UsmError as exc:
        assert exc.kind == "wrongDigest" and "correct horse" not in str(exc)
    assert FLAG_AUTH | FLAG_PRIV == 3


@V3
@given(
    levels,
    st.sampled_from(ENGINES),
    pdus,
    st.integers(0, 2**31 - 1),
    st.integers(0, 2**31 - 1),
    st.integers(0, 2**31 - 1),
    st.integers(0, 2**64 - 1),
    st.sampled_from([b"", b"ctx", b"c" * 32]),
)
def test_template_messages_are_what_pysnmp_reads(
    user: UsmUser,
    engine: bytes,
    pdu: Pdu,
    msg_id: int,
    boots: int,
    time: int,
    salt: int,
    context: bytes,
) -> None:
    """A `MessageTemplate`'s message, read by pysnmp's SNMPv3Message and USM specs (pyasn1):
    every header field, the stdlib HMAC over it, and the scoped PDU."""
    keys = CACHE.keys(user, engine) if user.auth_protocol else None
    flags = user.flags | FLAG_REPORTABLE
    template = MessageTemplate(
        flags=flags,
        engine_id=engine,
        user_name=user.name.encode(),
        keys=keys,
        context_engine_id=engine,
        context_name=context,
    )
    data = template.encode(msg_id, boots, time, encoded(pdu), salt)
    message, rest = ber_decoder.decode(data, asn1Spec=SNMPv3Message())
    assert not rest and int(message["msgVersion"]) == 3
    head = message["msgGlobalData"]
    assert (int(head["msgID"]), int(head["msgMaxSize"])) == (msg_id, MAX_MESSAGE_SIZE)
    assert bytes(head["msgFlags"]) == bytes((flags,)) and int(head["msgSecurityModel"]) == 3
    usm_params, rest = ber_decoder.decode(
        bytes(message["msgSecurityParameters"]), asn1Spec=UsmSecurityParameters()
    )
    assert not rest
    assert bytes(usm_params["msgAuthoritativeEngineId"]) == engine
    assert int(usm_params["msgAuthoritativeEngineBoots"]) == boots
    assert int(usm_params["msgAuthoritativeEngineTime"]) == time
    assert bytes(usm_params["msgUserName"]) == user.name.encode()
    digest = bytes(usm_params["msgAuthenticationParameters"])
    if keys is not None and keys.auth is not None:
        at = data.index(digest)  # unique: a 12-48 byte HMAC does not repeat in the message
        zeroed = data[:at] + bytes(len(digest)) + data[at + len(digest) :]
        mac = hmac.new(keys.auth_key, zeroed, keys.auth.hash_name).digest()
        assert digest == mac[: keys.auth.mac_length]
    else:
        assert digest == b""
    scoped = message["msgData"]
    if user.priv_protocol:
        assert keys is not None
        privacy = bytes(usm_params["msgPrivacyParameters"])
        cipher = bytes(scoped["encryptedPDU"])
        plain = keys.decrypt(cipher, privacy, boots, time)
        assert encoded(pdu) not in data
        scoped, _padding = ber_decoder.decode(plain, asn1Spec=ScopedPDU())
    else:
        assert bytes(usm_params["msgPrivacyParameters"]) == b""
        scoped = scoped["plaintext"]
    assert bytes(scoped["contextEngineId"]) == engine
    assert bytes(scoped["contextName"]) == context
    # The PDU itself is codec's (round-tripped above); pyasn1 re-encodes some INTEGERs in a
    # longer form, so compare what it read rather than its bytes.
    read = scoped["data"].getComponent()
    assert int(read["request-id"]) == pdu.request_id
    assert len(read["variable-bindings"]) == len(pdu.varbinds)
