"""`encode_poll` (the batch encoder) writes exactly what the reference encoder writes.

Thousands of random sample sequences: repeated shapes (table rows), shape changes in the
middle of a run (other keys, other value types, other tag-key order, other measurement),
tags that need escaping, empty and non-string tag values, ints at and beyond the int64 limits,
non-finite floats, -0.0, big floats, bools, IntEnum, None, ints in "number" fields. Every line
is compared with `_encode_careful` (the field-by-field reference) and with `encode_sample`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from enum import IntEnum

import pytest

from lanpulse.core.model import FieldValue, Sample
from lanpulse.timeseries import lineprotocol
from lanpulse.timeseries.lineprotocol import (
    _encode_careful,
    encode_poll,
    encode_sample,
    encode_samples,
    escape_key,
)

T = 1_700_000_000_123_456_789


class Level(IntEnum):
    LOW = 1
    HIGH = 7


MEASUREMENTS = ["interface", "sensor", "host", "storage", "m%r", "my meas,ure", ""]
TAG_KEYS = ["device", "class", "site", "if_name", "if alias", "a=b", "z\\", "", "%s"]
TAG_VALUES: list[object] = [
    "sw1",
    "Gi1/0/1",
    "",
    "two words",
    "a,b=c",
    "C:\\",
    "back\\slash",
    "line\nbreak\r\n",
    "Salle café ☕",
    "50%",
    None,
    5,
]
# "value", "in_bps", "cpu_pct", "used_pct" are "number" fields in their measurements: their
# ints are written as floats.
FIELD_KEYS = [
    "in_octets",
    "in_bps",
    "value",
    "health",
    "cpu_pct",
    "used_pct",
    "mem_total_bytes",
    "f k",
    "%d",
    "x,y=z",
    "",
]
ODD_VALUES: list[object] = [
    2**63 - 1,
    -(2**63),
    2**63,
    -(2**63) - 1,
    2**64,
    10**400,
    10**16 - 2,
    10**16 - 1,
    10**16,
    -(10**16) + 2,
    -(10**16),
    10**17 + 1,
    2**53 + 1,
    math.nan,
    math.inf,
    -math.inf,
    -0.0,
    0.0,
    1e16,
    1.5e17,
    1e308,
    5e-324,
    1 / 3,
    True,
    False,
    Level.HIGH,
    None,
    "text",
]


def clean_value(rng: random.Random, kind: type) -> FieldValue:
    """A value the fast path can carry."""
    if kind is int:
        return rng.choice([0, 1, -5, 2**31, rng.randrange(-(10**15), 10**15)])
    return rng.choice([0.0, 0.5, 12.345, rng.uniform(-1e9, 1e9), rng.random()])


def random_shape(rng: random.Random) -> tuple[str, list[str], list[str], list[type]]:
    measurement = rng.choice(MEASUREMENTS[:4]) if rng.random() < 0.9 else rng.choice(MEASUREMENTS)
    tag_keys = rng.sample(TAG_KEYS[:4], rng.randint(0, 4))
    if rng.random() < 0.2:
        tag_keys.append(rng.choice(TAG_KEYS[4:]))
    if rng.random() < 0.5:
        tag_keys.sort()
    field_keys = rng.sample(FIELD_KEYS[:7], rng.randint(1, 7))
    if rng.random() < 0.1:
        field_keys.append(rng.choice(FIELD_KEYS[7:]))
    kinds = [rng.choice([int, float]) for _ in field_keys]
    return measurement, tag_keys, list(dict.fromkeys(field_keys)), kinds


def random_sample(
    rng: random.Random, shape: tuple[str, list[str], list[str], list[type]], odd: float
) -> Sample:
    """A sample of `shape`; with probability `odd` per value something unusual."""
    measurement, tag_keys, field_keys, kinds = shape
    tags: dict[str, object] = {}
    for key in tag_keys:
        tags[key] = rng.choice(TAG_VALUES) if rng.random() < odd else rng.choice(TAG_VALUES[:2])
    fields: dict[str, object] = {}
    for key, kind in zip(field_keys, kinds, strict=False):
        fields[key] = rng.choice(ODD_VALUES) if rng.random() < odd else clean_value(rng, kind)
    time = T if rng.random() < 0.9 else T + rng.randrange(10**9)
    return Sample(measurement, tags, fields, time)  # type: ignore[arg-type]


def random_poll(rng: random.Random) -> list[Sample]:
    """Runs of samples of a few shapes, like the rows of a poll's table metrics."""
    shapes = [random_shape(rng) for _ in range(rng.randint(1, 4))]
    odd = rng.choice([0.0, 0.0, 0.02, 0.1, 0.4])
    samples: list[Sample] = []
    for _ in range(rng.randint(1, 6)):
        shape = rng.choice(shapes)
        for _ in range(rng.randint(1, 12)):
            if rng.random() < 0.05:  # the same keys, another value type
                measurement, tag_keys, field_keys, kinds = shape
                kinds = [float if k is int else int for k in kinds]
                samples.append(random_sample(rng, (measurement, tag_keys, field_keys, kinds), odd))
            else:
                samples.append(random_sample(rng, shape, odd))
    return samples


def reference(sample: Sample) -> str | Exception | None:
    """What the careful encoder gives: a line, None, or the error it raises."""
    if not sample.measurement:
        return None
    try:
        return _encode_careful(sample)
    except (TypeError, ValueError, AttributeError) as exc:
        return exc


def polls(seed: int, count: int) -> Iterator[list[Sample]]:
    rng = random.Random(seed)
    for _ in range(count):
        yield random_poll(rng)


def check_poll(samples: list[Sample]) -> None:
    expected = [reference(s) for s in samples]
    out: list[str] = []
    failed: list[Sample] = []
    dropped = encode_poll(samples, out, lambda sample, exc: failed.append(sample))
    assert out == [r for r in expected if isinstance(r, str)]
    assert dropped == sum(1 for r in expected if not isinstance(r, str))
    assert failed == [s for s, r in zip(samples, expected, strict=True) if isinstance(r, Exception)]
    for sample, want in zip(samples, expected, strict=True):
        if sample.measurement and not isinstance(want, Exception):
            assert encode_sample(sample) == want


@pytest.fixture
def template_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """`encode_sample` on the template path for samples of any width."""
    monkeypatch.setattr(lineprotocol, "_TEMPLATE_MIN_FIELDS", 1)


def test_random_polls_match_the_reference_encoder() -> None:
    for samples in polls(seed=1, count=1500):
        check_poll(samples)


def test_random_polls_match_with_template_encode_sample(template_always: None) -> None:
    for samples in polls(seed=2, count=700):
        check_poll(samples)


def test_random_polls_match_after_the_caches_were_cleared() -> None:
    for samples in polls(seed=3, count=300):
        lineprotocol._plans.clear()
        lineprotocol._key_cache.clear()
        check_poll(samples)


def test_clean_rows_take_the_template_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # Proof the comparisons above cover the fast path: clean rows never reach the reference.
    careful_calls: list[Sample] = []
    careful = lineprotocol._encode_careful

    def counting(sample: Sample) -> str | None:
        careful_calls.append(sample)
        return careful(sample)

    monkeypatch.setattr(lineprotocol, "_encode_careful", counting)
    rows = [
        Sample(
            "interface",
            {"device": "sw 1", "if_index": str(i), "if_name": f"Gi1/0/{i}"},
            {"in_octets": 10**12 + i, "in_bps": i / 7, "oper_status": 1},
            T,
        )
        for i in range(48)
    ]
    sensors = [
        Sample("sensor", {"sensor": f"fan {i}"}, {"value": i, "health": 0}, T) for i in range(4)
    ]
    out: list[str] = []
    assert encode_poll([*rows, *sensors], out) == 0
    assert not careful_calls
    assert out == [careful(s) for s in [*rows, *sensors]]
    assert out[48] == f"sensor,sensor=fan\\ 0 value=0.0,health=0i {T}"


def test_unusual_values_in_a_run_of_one_shape() -> None:
    # Row by row, each odd value in the middle of a run of clean rows of the same shape.
    def row(**fields: object) -> Sample:
        return Sample("sensor", {"device": "d", "sensor": "t"}, fields, T)  # type: ignore[arg-type]

    for odd in ODD_VALUES:
        samples = [row(value=1, health=0), row(value=odd, health=0), row(value=2, health=0)]
        check_poll(samples)
        samples = [row(value=0.5, health=0), row(value=0.5, health=odd), row(value=0.5, health=1)]
        check_poll(samples)


def test_malformed_sample_reported_and_the_rest_encoded() -> None:
    good = Sample("host", {"device": "d"}, {"cpu_pct": 1.5}, T)
    bad = Sample("host", {"device": "d"}, None, T)  # type: ignore[arg-type]
    errors: list[tuple[Sample, Exception]] = []
    report: Callable[[Sample, Exception], None] = lambda s, e: errors.append((s, e))  # noqa: E731
    out: list[str] = []
    assert encode_poll([good, bad, good], out, report) == 1
    assert out == [f"host,device=d cpu_pct=1.5 {T}"] * 2
    assert [s for s, _ in errors] == [bad] and isinstance(errors[0][1], AttributeError)
    with pytest.raises(AttributeError):
        encode_poll([good, bad], [])


def test_encode_samples_uses_the_batch_lines() -> None:
    for samples in polls(seed=4, count=100):
        expected = [reference(s) for s in samples]
        if any(isinstance(r, Exception) for r in expected):
            continue
        lines = [r for r in expected if isinstance(r, str)]
        batch = encode_samples(iter(samples))  # any iterable, not only a list
        assert batch.lines == ("".join(f"{line}\n" for line in lines)).encode()
        assert batch.points == len(lines) and batch.skipped == len(samples) - len(lines)


def test_empty_key_escapes_to_itself_and_is_never_cached() -> None:
    # The escape cache refuses "" (that is how the fast path notices an empty tag value).
    assert escape_key("") == ""
    assert "" not in lineprotocol._key_cache
