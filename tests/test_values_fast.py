"""`values.convert`'s per-Source fast paths agree with the generic conversion, exactly."""

from __future__ import annotations

import random
from typing import Any

from lanpulse.core.model import Oid
from lanpulse.core.profile import Source
from lanpulse.parsers import values
from lanpulse.parsers.values import convert, convert_generic

_VALUES: list[Any] = [
    None,
    0,
    1,
    -1,
    2,
    3,
    7,
    42,
    65535,
    2**31,
    -(2**31),
    2**64 - 1,
    True,
    False,
    0.0,
    0.5,
    1.0,
    2.25,
    -3.5,
    b"",
    b"1",
    b"2",
    b"42",
    b"0.15",
    b"42 %",
    b"ok\x00\x00",
    b"\x00\x1b\x21\xab\xcd\xef",
    b"  spaced  ",
    "",
    "1",
    "2",
    "3.5",
    "abc",
    "12 C",
    Oid("1.3.6.1.4.1.9.1.1"),
    Oid(".1.3.6.1.4.1.9.1.1"),
    Oid("1"),
]
_MAP_VALUES: list[Any] = [1, 2, 0, 3.5, "up", "", "1", "7 x", None, True, b"2"]
_KEYS = ["0", "1", "2", "3", "42", "abc", "ok", "1.3.6.1.4.1.9.1.1", "True", "0.5", "2.25"]


def _random_source(rnd: random.Random) -> Source:
    spec: dict[str, Any] = {"oid": "1.3.6.1.2.1.2.2.1.5"}
    if rnd.random() < 0.55:
        keys = rnd.sample(_KEYS, rnd.randint(0, len(_KEYS)))
        spec["map"] = {k: rnd.choice(_MAP_VALUES) for k in keys}
        if rnd.random() < 0.5:
            spec["default"] = rnd.choice(["other", 0, 9, "", 1.5])
    if rnd.random() < 0.5:
        spec["scale"] = rnd.choice([0.01, 0.1, 0.5, 1.0, 2, 8, 1000, 1e-6, 1 / 3])
    if rnd.random() < 0.4:
        spec["invalid"] = rnd.sample([-1, 0, 1, 2, 42, 65535, 2**31], rnd.randint(0, 3))
    if rnd.random() < 0.3:
        spec["as"] = rnd.choice(["int", "float", "string", "hex", "mac", "oid"])
    if rnd.random() < 0.05:
        spec["regex"] = r"(\d+)"
    if rnd.random() < 0.05:
        spec["format"] = "Disk {}"
    if rnd.random() < 0.05:
        spec["index"] = 2
    if rnd.random() < 0.03:
        spec["value"] = rnd.choice([5, "x", 0])
    return Source.model_validate(spec)


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and (a == b or (a != a and b != b))


def test_fast_paths_agree_with_generic_convert() -> None:
    rnd = random.Random(20261126)
    fast_shapes = 0
    for _ in range(3000):
        src = _random_source(rnd)
        if values._fast_path(src) is not None:
            fast_shapes += 1
        for value in _VALUES:
            for want in ("tag", "field"):
                got = convert(src, value, "5.7", want)
                expected = convert_generic(src, value, "5.7", want)
                assert _same(got, expected), (src, value, want, got, expected)
    assert fast_shapes > 1000  # the test really exercises the fast paths


def test_fast_path_is_per_source_object() -> None:
    a = Source.model_validate({"oid": "1.3.6.1.2.1.1.1.0", "scale": 0.5})
    b = Source.model_validate({"oid": "1.3.6.1.2.1.1.1.0", "map": {"1": "up"}})
    assert convert(a, 4, "", "field") == 2
    assert convert(b, 1, "", "tag") == "up"
    assert convert(b, 2, "", "tag") is None
    assert convert(a, 4, "", "field") == 2
