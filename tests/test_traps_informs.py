"""SNMPv3 informs: lanpulse is the authoritative engine. net-snmp's `snmpinform -v3` (Debian
`snmp`) sends to a real `TrapReceiver` on 127.0.0.1; it exits 0 only when its inform was
answered, which needs engine-ID discovery (a Report), keys localised to lanpulse's engine
and a secured Response. Also: the time window, Reports for rejected informs, and the engine
state file (engine ID kept, boots incremented per start).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lanpulse.collectors.snmp.codec import (
    GET,
    INFORM,
    OBJECT_IDENTIFIER,
    REPORT,
    TIME_TICKS,
    encode_oid,
    encode_pdu,
    encode_request_pdu,
)
from lanpulse.collectors.snmp.engine_state import FILE_NAME, new_engine_id, start_local_engine
from lanpulse.collectors.snmp.usm import (
    FLAG_AUTH,
    FLAG_REPORTABLE,
    KeyCache,
    LocalEngine,
    UsmUser,
    encode_message,
    open_message,
    parse_message,
    report_kind,
)
from lanpulse.collectors.trap_usm import TrapUsm, V3User
from lanpulse.collectors.traps import TrapReceiver, V3DecodeError
from lanpulse.core.model import RawTrap, Secret
from tests.test_traps_usm import mutated

LINK_DOWN = ("", "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.3", "i", "3")
AUTH_PASS, PRIV_PASS = "auth-pass-1", "priv-pass-1"
# (net-snmp auth, net-snmp priv, lanpulse auth, lanpulse priv): every auth and priv family,
# both AES-192/256 key extensions, authNoPriv and noAuthNoPriv.
PAIRS = [
    ("MD5", "DES", "md5", "des"),
    ("SHA", "AES", "sha", "aes"),
    ("SHA-224", "AES-192-C", "sha224", "aes192c"),
    ("SHA-256", "AES-256", "sha256", "aes256"),
    ("SHA-384", "AES-192", "sha384", "aes192"),
    ("SHA-512", "AES-256-C", "sha512", "aes256c"),
    ("SHA", None, "sha", None),
    (None, None, None, None),
]


def _name(auth: str | None, priv: str | None) -> str:
    return f"u-{auth}-{priv}".lower()


def usm_user(auth: str | None, priv: str | None, name: str = "") -> UsmUser:
    return UsmUser(
        name or _name(auth, priv),
        auth,
        Secret(AUTH_PASS) if auth else None,
        priv,
        Secret(PRIV_PASS) if priv else None,
    )


def snmpinform(
    port: int,
    name: str,
    auth: str | None,
    priv: str | None,
    *extra: str,
    auth_pass: str = AUTH_PASS,
) -> subprocess.CompletedProcess[str]:
    """net-snmp's snmpinform -v3 as `name`; exit code 0 only when answered."""
    opts = ["-v3", "-u", name, "-t", "3", "-r", "1", *extra]
    if auth:
        opts += ["-a", auth, "-A", auth_pass]
    if priv:
        opts += ["-x", priv, "-X", PRIV_PASS]
    opts += ["-l", "authPriv" if priv else "authNoPriv" if auth else "noAuthNoPriv"]
    cmd = ["snmpinform", *opts, f"127.0.0.1:{port}", *LINK_DOWN]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


ENGINE = LocalEngine(new_engine_id(), boots=7)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[TrapReceiver, int, list[RawTrap]]]:
    users = [V3User(usm_user(a, x)) for _, _, a, x in PAIRS]
    got: list[RawTrap] = []
    receiver = TrapReceiver([], got.append, TrapUsm(users, ENGINE))
    _, port = await receiver.start("127.0.0.1", 0)
    yield receiver, port, got
    receiver.close()


async def test_informs_for_every_auth_and_priv_family_are_answered(
    receiver: tuple[TrapReceiver, int, list[RawTrap]], caplog: pytest.LogCaptureFixture
) -> None:
    rx, port, got = receiver
    caplog.set_level(logging.DEBUG)
    for snmp_auth, snmp_priv, auth, priv in PAIRS:
        done = await asyncio.to_thread(snmpinform, port, _name(auth, priv), snmp_auth, snmp_priv)
        assert done.returncode == 0, (snmp_auth, snmp_priv, done.stderr)
    assert [(t.security_name, t.inform, t.version, t.trap_oid) for t in got] == [
        (_name(a, x), True, "3", "1.3.6.1.6.3.1.1.5.3") for _, _, a, x in PAIRS
    ]
    assert got[0].varbinds == (("1.3.6.1.2.1.2.2.1.1.3", 3),)
    stats = rx.stats
    assert stats.informs_answered == len(PAIRS) and stats.traps_v3_rejected == 0
    assert stats.v3_reports_sent == len(PAIRS)  # one discovery each: snmpinform keeps none
    assert AUTH_PASS not in caplog.text + repr(rx) + repr(rx.v3)


async def test_time_window_report_resynchronises_the_sender(
    receiver: tuple[TrapReceiver, int, list[RawTrap]],
) -> None:
    rx, port, got = receiver
    engine = "0x" + ENGINE.engine_id.hex()
    # Engine ID known (no discovery), but boots and time from an earlier life of the engine:
    # the authenticated notInTimeWindow Report gives the right ones, and the retry is answered.
    stale = ("-e", engine, "-Z", "6,100000")
    done = await asyncio.to_thread(snmpinform, port, "u-sha-aes", "SHA", "AES", *stale)
    assert done.returncode == 0, done.stderr
    assert (rx.stats.informs_answered, rx.stats.v3_reports_sent) == (1, 1)
    assert rx.stats.traps_v3_rejected == 1  # the stale try
    assert len(got) == 1


def test_reports_carry_the_engine_and_are_authenticated_for_the_time_window() -> None:
    usm = TrapUsm([V3User(usm_user("sha256", "aes256"))], ENGINE)
    # Discovery (RFC 3414 4): noAuthNoPriv, reportable, empty engine ID and user.
    probe = encode_message(
        msg_id=4242, flags=FLAG_REPORTABLE, engine_id=b"", boots=0, time=0, user_name=b"",
        keys=None, context_engine_id=b"", context_name=b"",
        pdu=encode_request_pdu(GET, 99, []),
    )  # fmt: skip
    answer = usm.decode(probe)
    assert answer.notification is None and answer.reply is not None
    report = parse_message(answer.reply)
    assert (report.msg_id, report.engine_id, report.boots) == (4242, ENGINE.engine_id, 7)
    assert report.flags == 0 and abs(report.time - ENGINE.time()) <= 1
    pdu = open_message(report, None).pdu
    assert (pdu.pdu_type, pdu.request_id, report_kind(pdu)) == (REPORT, 99, "unknownEngineID")

    # An inform with a stale time: the Report is authenticated with the user's keys.
    user = usm_user("sha256", None)
    keys = KeyCache().keys(user, ENGINE.engine_id)
    stale = encode_message(
        msg_id=7, flags=FLAG_AUTH | FLAG_REPORTABLE, engine_id=ENGINE.engine_id, boots=6,
        time=10, user_name=user.name.encode(), keys=keys, context_engine_id=ENGINE.engine_id,
        context_name=b"", pdu=encode_request_pdu(GET, 8, []),
    )  # fmt: skip
    usm.users[user.name.encode()] = V3User(user)
    with pytest.raises(V3DecodeError) as caught:
        usm.decode(stale)
    reply = caught.value.reply
    assert caught.value.kind == "notInTimeWindow" and reply is not None
    report = parse_message(reply)
    assert report.flags == FLAG_AUTH and report.boots == 7
    assert report_kind(open_message(report, keys).pdu) == "notInTimeWindow"  # digest checked


async def test_rejected_informs_get_a_report_and_fail_fast(
    receiver: tuple[TrapReceiver, int, list[RawTrap]],
) -> None:
    rx, port, got = receiver
    wrong = await asyncio.to_thread(
        snmpinform, port, "u-sha-aes", "SHA", "AES", auth_pass="wrong-pass-1"
    )
    assert wrong.returncode != 0 and "Authentication failure" in wrong.stderr
    nobody = await asyncio.to_thread(snmpinform, port, "nobody", "SHA", "AES")
    assert nobody.returncode != 0 and "Unknown user name" in nobody.stderr
    assert not got and rx.stats.traps_v3_rejected == 2
    assert rx.stats.v3_reports_sent == 4  # two discoveries, two rejections


def test_engine_state_keeps_the_id_and_counts_boots(tmp_path: Path) -> None:
    state = tmp_path / "spool" / FILE_NAME
    first = start_local_engine(state)
    again = start_local_engine(state)
    assert again.engine_id == first.engine_id and (first.boots, again.boots) == (1, 2)
    assert first.engine_id[:5] == bytes.fromhex("8000000005") and len(first.engine_id) == 17
    configured = bytes.fromhex("800000000501020304")
    assert start_local_engine(state, configured).boots == 1  # another engine: boots anew
    assert start_local_engine(state, configured).boots == 2
    assert json.loads(state.read_text()) == {"engine_id": configured.hex(), "boots": 2}
    state.write_text("not json")
    fresh = start_local_engine(state)
    assert fresh.boots == 1 and fresh.engine_id != configured


def test_an_unwritable_state_directory_does_not_stop_the_engine(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    engine = start_local_engine(blocker / FILE_NAME)  # its parent is a file
    assert engine.boots == 1 and len(engine.engine_id) == 17


@functools.cache
def inform_seeds() -> tuple[bytes, ...]:
    """v3 messages to lanpulse's engine: a discovery probe and authPriv/authNoPriv informs."""
    pdu = encode_pdu(
        INFORM, 5, 0, 0,
        [(encode_oid("1.3.6.1.2.1.1.3.0"), TIME_TICKS, 42),
         (encode_oid("1.3.6.1.6.3.1.1.4.1.0"), OBJECT_IDENTIFIER, "1.3.6.1.6.3.1.1.5.3")],
    )  # fmt: skip
    out = [
        encode_message(
            msg_id=1,
            flags=FLAG_REPORTABLE,
            engine_id=b"",
            boots=0,
            time=0,
            user_name=b"",
            keys=None,
            context_engine_id=b"",
            context_name=b"",
            pdu=encode_request_pdu(GET, 1, []),
        )
    ]
    for auth, priv in (("sha", "aes"), ("md5", "des"), ("sha", None)):
        user = usm_user(auth, priv)
        out.append(
            encode_message(
                msg_id=2,
                flags=user.flags | FLAG_REPORTABLE,
                engine_id=ENGINE.engine_id,
                boots=ENGINE.boots,
                time=ENGINE.time(),
                user_name=user.name.encode(),
                keys=KeyCache().keys(user, ENGINE.engine_id),
                context_engine_id=ENGINE.engine_id,
                context_name=b"",
                pdu=pdu,
                salt=9,
            )
        )
    return tuple(out)


def test_inform_seeds_are_answered() -> None:
    usm = TrapUsm([V3User(usm_user(a, x)) for _, _, a, x in PAIRS], ENGINE)
    probe, *informs = (usm.decode(d) for d in inform_seeds())
    assert probe.notification is None and probe.reply is not None
    assert all(i.notification is not None and i.notification.inform and i.reply for i in informs)


@given(st.data())
@settings(max_examples=1000, deadline=None)
def test_mutated_messages_to_lanpulse_give_a_typed_error(data: st.DataObject) -> None:
    usm = TrapUsm([V3User(usm_user(a, x)) for _, _, a, x in PAIRS], ENGINE)
    with contextlib.suppress(V3DecodeError):
        usm.decode(mutated(data, inform_seeds()))
