"""What `usm_crypto` relies on in `cryptography`, pinned against its public API.

`LocalizedKeys.encrypt`/`decrypt` skip `finalize()` on CFB contexts (a stream mode, whose
`finalize` returns b""), and take their contexts from the constructors under
`Cipher(...).encryptor()` (a private name; see `usm_crypto`). Should a `cryptography`
release change either, these fail first.
"""

from __future__ import annotations

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from lanpulse.collectors.snmp.usm_crypto import AUTH_PROTOCOLS, PRIV_PROTOCOLS, LocalizedKeys


@given(
    key=st.sampled_from((16, 24, 32)).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
    iv=st.binary(min_size=16, max_size=16),
    plain=st.binary(max_size=600),
)
def test_aes_cfb_update_is_whole(key: bytes, iv: bytes, plain: bytes) -> None:
    cipher = Cipher(algorithms.AES(key), CFB(iv))
    enc = cipher.encryptor()
    encrypted = enc.update(plain)
    assert len(encrypted) == len(plain)
    assert enc.finalize() == b""
    dec = cipher.decryptor()
    assert dec.update(encrypted) == plain
    assert dec.finalize() == b""


@given(
    priv=st.sampled_from(("aes", "aes192", "aes256", "aes256c")),
    plain=st.binary(max_size=600),
    boots=st.integers(0, (1 << 31) - 1),
    time=st.integers(0, (1 << 31) - 1),
    salt=st.integers(0, (1 << 64) - 1),
)
def test_usm_aes_is_cfb_with_finalize(
    priv: str, plain: bytes, boots: int, time: int, salt: int
) -> None:
    protocol = PRIV_PROTOCOLS[priv]
    key = bytes(range(protocol.key_length))
    keys = LocalizedKeys(AUTH_PROTOCOLS["sha"], protocol, b"a" * 20, key)
    encrypted, params = keys.encrypt(plain, boots, time, salt)
    iv = boots.to_bytes(4, "big") + time.to_bytes(4, "big") + params
    enc = Cipher(algorithms.AES(key), CFB(iv)).encryptor()
    assert encrypted == enc.update(plain) + enc.finalize()
    assert keys.decrypt(encrypted, params, boots, time) == plain


@given(
    plain=st.binary(min_size=1, max_size=600),
    boots=st.integers(0, (1 << 31) - 1),
    salt=st.integers(0, (1 << 64) - 1),
)
def test_usm_des_is_the_public_cbc(plain: bytes, boots: int, salt: int) -> None:
    key = bytes(range(16))  # DES key (8 bytes) and pre-IV (8 bytes), RFC 3414 8.1.1.1
    keys = LocalizedKeys(AUTH_PROTOCOLS["md5"], PRIV_PROTOCOLS["des"], b"a" * 16, key)
    encrypted, params = keys.encrypt(plain, boots, 7, salt)
    iv = bytes(a ^ b for a, b in zip(key[8:], params, strict=True))
    enc = Cipher(TripleDES(key[:8] * 3), modes.CBC(iv)).encryptor()
    padded = plain + bytes(-len(plain) % 8)
    assert encrypted == enc.update(padded) + enc.finalize()
    assert keys.decrypt(encrypted, params, boots, 7) == padded
