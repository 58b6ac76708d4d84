"""SNMPv3 traps: the receiver's v3 side (`TrapUsm`, on the one USM) against net-snmp's snmptrap
for every auth/priv combination, its typed errors, and random/mutated datagrams (hypothesis).
v3 informs (lanpulse authoritative) are in tests/test_traps_informs.py."""

from __future__ import annotations

import contextlib
import functools
import socket
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lanpulse.collectors.snmp.engine_state import new_engine_id
from lanpulse.collectors.snmp.usm import LocalEngine, UsmUser
from lanpulse.collectors.trap_usm import TrapUsm, V3User
from lanpulse.collectors.traps import V3DecodeError
from lanpulse.core.model import Secret

ENGINE = "8000000001020304"
LINK_DOWN = ("", "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.3", "i", "3")
AUTH = {
    "MD5": "md5",
    "SHA": "sha",
    "SHA-224": "sha224",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}
PRIV = {
    None: None,
    "DES": "des",
    "AES": "aes",
    "AES192": "aes192",
    "AES256": "aes256",
    "AES192C": "aes192c",
    "AES256C": "aes256c",
}


def user(name: str, auth: str | None, priv: str | None, engine: str | None = ENGINE) -> V3User:
    return V3User(
        UsmUser(
            name,
            auth,
            Secret("auth-pass-1") if auth else None,
            priv,
            Secret("priv-pass-1") if priv else None,
        ),
        bytes.fromhex(engine) if engine else None,
    )


def snmptrap_v3(
    name: str,
    auth: str | None,
    priv: str | None,
    *,
    auth_pass: str = "auth-pass-1",
    priv_pass: str = "priv-pass-1",
    engine: str = ENGINE,
    tool: str = "snmptrap",
) -> bytes:
    """The datagram net-snmp's snmptrap sends as `name` with these protocols."""
    opts = ["-v3", "-u", name, "-r", "0", "-t", "1"] + (["-e", "0x" + engine] if engine else [])
    if auth:
        opts += ["-a", auth, "-A", auth_pass]
    if priv:
        opts += ["-x", priv, "-X", priv_pass]
    opts += ["-l", "authPriv" if priv else "authNoPriv" if auth else "noAuthNoPriv"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(10)
        port = s.getsockname()[1]
        proc = subprocess.Popen(
            [tool, *opts, f"127.0.0.1:{port}", *LINK_DOWN],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        data = s.recvfrom(65535)[0]
    if tool == "snmptrap":
        assert proc.wait(10) == 0
    else:
        proc.kill()
        proc.wait(10)
    return data


COMBOS = [(a, x) for a in AUTH for x in PRIV] + [(None, None)]


def _name(auth: str | None, priv: str | None) -> str:
    return f"u-{auth}-{priv}".lower()


@functools.cache
def decoder() -> TrapUsm:
    users = [user(_name(a, x), AUTH.get(a or ""), PRIV[x]) for a, x in COMBOS]
    users.append(user("any-engine", "sha", "aes", engine=None))
    return TrapUsm(users, LocalEngine(new_engine_id()))


@pytest.mark.parametrize(("auth", "priv"), COMBOS)
def test_every_auth_and_priv_protocol_against_net_snmp(auth: str | None, priv: str | None) -> None:
    name = _name(auth, priv)
    decoded = decoder().decode(snmptrap_v3(name, auth, priv))
    assert decoded.user == name and decoded.reply is None
    assert decoded.notification is not None
    assert decoded.notification.trap_oid == "1.3.6.1.6.3.1.1.5.3"
    assert decoded.notification.varbinds == (("1.3.6.1.2.1.2.2.1.1.3", 3),)


def test_a_user_without_engine_id_accepts_any_sender_engine() -> None:
    for engine in ("800000000a0b0c0d", "80001f8880aabbccddeeff"):
        decoded = decoder().decode(snmptrap_v3("any-engine", "SHA", "AES", engine=engine))
        assert decoded.user == "any-engine"


@pytest.mark.parametrize(
    ("kwargs", "kind"),
    [
        ({"name": "nobody", "auth": "SHA", "priv": "AES"}, "unknownUserName"),
        (
            {"name": "u-sha-aes", "auth": "SHA", "priv": "AES", "auth_pass": "wrong-pass"},
            "wrongDigest",
        ),
        (
            {"name": "u-sha-aes", "auth": "SHA", "priv": "AES", "priv_pass": "wrong-pass"},
            "decryptionError",
        ),
        ({"name": "u-sha-aes", "auth": "SHA", "priv": None}, "unsupportedSecLevel"),
        (
            {"name": "u-sha-aes", "auth": "SHA", "priv": "AES", "engine": "8000000009090909"},
            "unknownEngineID",
        ),
    ],
)
def test_typed_errors(kwargs: dict[str, str], kind: str) -> None:
    with pytest.raises(V3DecodeError) as caught:
        decoder().decode(snmptrap_v3(**kwargs))  # type: ignore[arg-type]
    assert caught.value.kind == kind
    assert caught.value.reply is None  # the sender of a trap is authoritative: no Report
    assert "pass" not in str(caught.value)


def test_a_replayed_trap_is_outside_the_time_window() -> None:
    now = [1000.0]
    usm = TrapUsm([user("u", "sha", "aes")], LocalEngine(new_engine_id()), lambda: now[0])
    captured = snmptrap_v3("u", "SHA", "AES")
    assert usm.decode(captured).user == "u"
    now[0] += 100  # a copy 100 s later: still inside the 150 s window
    assert usm.decode(captured).user == "u"
    now[0] += 100  # 200 s later: a replay
    with pytest.raises(V3DecodeError) as caught:
        usm.decode(captured)
    assert caught.value.kind == "notInTimeWindow"


@given(st.data())
@settings(max_examples=1500, deadline=None)
def test_mutated_v3_datagrams_give_a_typed_error(data: st.DataObject) -> None:
    with contextlib.suppress(V3DecodeError):
        decoder().decode(mutated(data, seeds()))


def mutated(data: st.DataObject, seeds: tuple[bytes, ...]) -> bytes:
    """One of `seeds` with 1 to 3 bytes flipped, cut off or inserted."""
    base = bytearray(data.draw(st.sampled_from(seeds)))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(base) - 1))
        kind = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if kind == "flip":
            base[at] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del base[at:]
            if not base:
                base = bytearray(b"\x30")
        else:
            base[at:at] = data.draw(st.binary(min_size=1, max_size=6))
    return bytes(base)


@given(st.binary(max_size=400))
@settings(max_examples=1000)
def test_random_bytes_give_a_typed_error(data: bytes) -> None:
    with contextlib.suppress(V3DecodeError):
        decoder().decode(data)


@functools.cache
def seeds() -> tuple[bytes, ...]:
    return tuple(
        snmptrap_v3(_name(a, x), a, x)
        for a, x in [("SHA", "AES"), ("MD5", "DES"), ("SHA-256", "AES256C"), (None, None)]
    )
