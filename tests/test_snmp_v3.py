"""SNMPv3 USM against net-snmp `snmpd` 5.9 on 127.0.0.1: every auth/priv pairing we support.

snmpd is the reference agent: if lanpulse's USM (or pysnmp) and net-snmp disagree on a key
derivation (as they can for AES-192/256, whose key extension differs between Blumenthal
and Cisco/Reeder), these tests show it. Differential: lanpulse's own engine and pysnmp,
the reference implementation, poll the same snmpd and must get identical varbinds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.client import NativeSnmpClient, PysnmpClient, UnifiedSnmpClient
from lanpulse.sim.snmpd import SnmpdAgent, SnmpdUser

SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"

# (auth, priv); SHA-1 and MD5 keys are shorter than AES-192/256 keys, so those pairs
# exercise the key extension, where the plain and the "c" (Cisco) variants differ.
PAIRS = [
    ("sha", "aes"),
    ("sha256", "aes256"),
    ("md5", "des"),
    ("sha", "aes256"),
    ("sha", "aes256c"),
    ("md5", "aes192"),
    ("md5", "aes192c"),
    ("sha224", "aes"),
    ("sha384", "aes192"),
    ("sha512", "aes256"),
    ("sha", None),
    (None, None),
]


def user_for(auth: str | None, priv: str | None) -> SnmpdUser:
    """The snmpd user for one pairing (name and passwords derived from it)."""
    name = f"lp_{auth or 'noauth'}_{priv or 'nopriv'}"
    return SnmpdUser(
        name,
        auth,
        f"{name}-auth" if auth else None,
        priv,
        f"{name}-priv" if priv else None,
    )


@pytest.fixture(scope="module")
def snmpd() -> Iterator[SnmpdAgent]:
    users = (
        *(user_for(a, p) for a, p in PAIRS),
        SnmpdUser("shared", "sha", "shared-auth-1", "aes", "shared-priv-1"),
    )
    with SnmpdAgent(users=users) as agent:
        yield agent


@pytest.fixture(params=["native", "pysnmp"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[UnifiedSnmpClient]:
    c = NativeSnmpClient() if request.param == "native" else PysnmpClient()
    yield c
    c.close()


@pytest.fixture
async def both() -> AsyncIterator[tuple[NativeSnmpClient, PysnmpClient]]:
    native, reference = NativeSnmpClient(), PysnmpClient()
    yield native, reference
    native.close()
    reference.close()


def target(port: int, user: SnmpdUser) -> SnmpTarget:
    """A v3 target for `user` on the snmpd at `port`."""
    creds = user.credentials(timeout_s=1.0, retries=0)
    return SnmpTarget(f"snmpd-{user.name}", "127.0.0.1", port, creds)


@pytest.mark.parametrize(("auth", "priv"), PAIRS)
async def test_v3_get_and_walk(
    client: UnifiedSnmpClient, snmpd: SnmpdAgent, auth: str | None, priv: str | None
) -> None:
    t = target(snmpd.port, user_for(auth, priv))
    got = await client.get(t, [SYS_OBJECT_ID])
    assert got == {SYS_OBJECT_ID: "1.3.6.1.4.1.8072.3.2.10"}  # net-snmp's Linux agent
    walked = await client.walk(t, [IF_DESCR])
    assert walked[IF_DESCR]["1"] == b"lo"
    assert walked.errors == []


async def test_same_user_name_with_other_passwords_on_two_agents(
    client: UnifiedSnmpClient, snmpd: SnmpdAgent
) -> None:
    other_user = SnmpdUser("shared", "sha", "shared-auth-2", "aes", "shared-priv-2")
    first = SnmpdUser("shared", "sha", "shared-auth-1", "aes", "shared-priv-1")
    with SnmpdAgent(users=(other_user,)) as other:
        assert await client.get(target(snmpd.port, first), [SYS_OBJECT_ID])
        assert await client.get(target(other.port, other_user), [SYS_OBJECT_ID])
        assert await client.get(target(snmpd.port, first), [SYS_OBJECT_ID])
    if client.engine == "pysnmp":  # pysnmp keys users by name: one engine per key set
        assert client.engines.engine_count == 2


# Columns whose values do not move between two polls (counters would).
STABLE_SCALARS = [f"1.3.6.1.2.1.1.{n}.0" for n in (1, 2, 4, 5, 6)]
STABLE_COLUMNS = [f"1.3.6.1.2.1.2.2.1.{n}" for n in (1, 2, 3, 4, 6)] + [
    f"1.3.6.1.2.1.31.1.1.1.{n}" for n in (1, 15, 17, 18)
]


@pytest.mark.parametrize(("auth", "priv"), PAIRS)
async def test_native_usm_matches_pysnmp(
    both: tuple[NativeSnmpClient, PysnmpClient],
    snmpd: SnmpdAgent,
    auth: str | None,
    priv: str | None,
) -> None:
    native, reference = both
    t = target(snmpd.port, user_for(auth, priv))
    got = await native.get(t, STABLE_SCALARS)
    assert got == await reference.get(t, STABLE_SCALARS) and len(got) == len(STABLE_SCALARS)
    walked = await native.walk(t, STABLE_COLUMNS)
    assert walked == await reference.walk(t, STABLE_COLUMNS)
    assert walked.errors == [] and all(walked[c] for c in STABLE_COLUMNS[:5])


async def test_keys_are_localised_once_per_user_and_engine(snmpd: SnmpdAgent) -> None:
    client = NativeSnmpClient()
    try:
        t = target(snmpd.port, user_for("sha", "aes"))
        for _ in range(3):
            await client.get(t, [SYS_OBJECT_ID])
        cache = client.v3.keys
        assert len(cache._keys) == 1 and len(cache._ku) == 2  # auth and priv password
        assert "localised key sets" in repr(cache)
        for peer in client.v3._peers.values():
            assert peer.keys is not None
            shown = repr(peer) + repr(peer.keys) + repr(peer.user)
            assert "lp_sha_aes-" not in shown  # the passwords
            for key in (peer.keys.auth_key, peer.keys.priv_key):
                assert key.hex() not in shown and repr(key) not in shown
    finally:
        client.close()
