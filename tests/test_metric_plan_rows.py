"""MetricPlan.rows against a value-by-value reference, on random columns and sources.

The plan's fast paths (plain columns, cached label and formatted texts, memoized
conversions of mapping and regex sources, resolution without lists) must build exactly the
rows the generic reading builds: same indexes in the same order, same tags, fields,
extras and counter_bits, each dict's keys in the same order (line protocol follows it), and
every value of the same type.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from typing import Any

import pytest

from lanpulse.core.model import Oid, RawSnmp, Sample, SnmpValue, make_sample
from lanpulse.core.profile import Metric, Source
from lanpulse.parsers.metric_plan import MetricPlan, has_transform, sorted_indexes
from lanpulse.parsers.rows import Row
from lanpulse.parsers.values import as_text, convert

Columns = Mapping[str, Mapping[str, SnmpValue]]


# --- the reference: every value read the generic way, one at a time ---------------------


def _srcs(group: Mapping[str, Source | list[Source]]) -> list[tuple[str, list[Source]]]:
    return [(name, s if isinstance(s, list) else [s]) for name, s in group.items()]


def _answered(srcs: list[Source], columns: Columns) -> list[Source]:
    return [s for s in srcs if s.oid is None or columns.get(s.oid)]


def _reference_indexes(plan: MetricPlan, columns: Columns) -> tuple[str, ...]:
    for oids in (plan.index_oids, plan.fallback_index_oids):
        seen: dict[str, None] = {}
        for oid in oids:
            seen.update(dict.fromkeys(columns.get(oid) or {}))
        if seen:
            return sorted_indexes(tuple(seen))
    return ()


def _value(src: Source, columns: Columns, index: str) -> tuple[bool, SnmpValue | None]:
    """(missing, value): missing when the source has a column without this row."""
    if src.oid is None:
        return False, None
    value = columns[src.oid].get(index)
    return value is None, value


def _tag(src: Source, value: SnmpValue | None, index: str) -> tuple[bool, str | None]:
    """(missed, text); text None with missed False: the source yields an empty tag."""
    if not has_transform(src) and value is not None:
        text = value if isinstance(value, str) else as_text(value)
        if text and src.format is not None:
            text = src.format.replace("{}", text)
        return (False, text) if text else (True, None)
    out = convert(src, value, index, "tag")
    if out is None:
        return True, None
    return False, str(out) if out else None


def reference_rows(metric: Metric, raw: RawSnmp) -> list[Row]:
    """The rows the generic, value-by-value reading of the metric builds."""
    plan = MetricPlan.of(metric)
    if metric.scalar:
        columns: Columns = {o: {"": raw.scalars[o]} for o in plan.oids if o in raw.scalars}
        indexes: tuple[str, ...] = ("",)
    else:
        columns = raw.columns
        indexes = _reference_indexes(plan, columns)
    widths = plan.widths
    rows = [Row(i, metric.measurement, {}, {}, {}, {}, widths) for i in indexes]
    for name, srcs in _srcs(metric.tags):
        pending = rows
        for src in _answered(srcs, columns):
            missed = []
            for row in pending:
                missing, value = _value(src, columns, row.index)
                if missing:
                    missed.append(row)
                    continue
                miss, text = _tag(src, value, row.index)
                if miss:
                    missed.append(row)
                elif text:
                    row.tags[name] = text
            pending = missed
    answered = []
    for name, srcs in _srcs(metric.fields):
        found = _answered(srcs, columns)
        if not found:
            continue
        answered.append(name)
        width = widths.get(name) if rows and widths else None
        pending = rows
        for src in found:
            plain_number = not has_transform(src) and not src.invalid
            missed = []
            for row in pending:
                missing, value = _value(src, columns, row.index)
                if missing:
                    missed.append(row)
                    continue
                if plain_number and type(value) is int:
                    number: Any = value
                else:
                    number = convert(src, value, row.index, "field")
                if number is None:
                    missed.append(row)
                    continue
                row.fields[name] = number
                if src.counter != width:
                    row.counter_bits[name] = src.counter or 0
            pending = missed
        if width:
            for row in pending:
                row.counter_bits[name] = 0
    if widths and len(answered) < len(metric.fields):
        for name in widths.keys() - set(answered):
            for row in rows:
                row.counter_bits[name] = 0
    for name, srcs in _srcs(metric.extra):
        pending = rows
        for src in _answered(srcs, columns):
            missed = []
            for row in pending:
                missing, value = _value(src, columns, row.index)
                if missing:
                    missed.append(row)
                elif not has_transform(src):
                    if value is not None:
                        row.extra[name] = value
                else:
                    picked = convert(src, value, row.index, "field")
                    if picked is None:
                        missed.append(row)
                    else:
                        row.extra[name] = picked
            pending = missed
    if metric.index_tag and not metric.scalar:
        for row in rows:
            row.tags[metric.index_tag] = row.index
    return rows


def _exact(rows: list[Row]) -> list[Any]:
    """Everything a row holds, ordered, each value with its type."""

    def items(d: Mapping[str, Any]) -> list[tuple[str, type, Any]]:
        return [(k, type(v), v) for k, v in d.items()]

    return [
        (
            r.index,
            r.measurement,
            items(r.tags),
            items(r.fields),
            items(r.extra),
            items(r.counter_bits),
            r.widths,
        )
        for r in rows
    ]


# --- random metrics and polls ------------------------------------------------------------

OIDS = [f"1.3.6.1.4.1.99.1.{n}" for n in range(1, 9)]
INDEXES = ["1", "2", "3", "10", "11", "2.1", "2.10", "7.3.1", "x", "y"]


def _random_value(rng: random.Random) -> SnmpValue:
    return rng.choice(
        [
            rng.randint(0, 3),
            rng.randint(-5, 2**40),
            True,
            b"",
            b"\x00",
            b"eth" + str(rng.randint(0, 3)).encode(),
            b"1",
            b"  up \x00",
            bytes([0, 1, 0xAB, rng.randint(0, 255)]),
            "",
            "lbl" + str(rng.randint(0, 2)),
            "42 %",
            Oid("1.3.6.1.2"),
        ]
    )


def _column(rng: random.Random, indexes: list[str], kind: str) -> dict[str, SnmpValue]:
    present = [i for i in indexes if rng.random() > 0.1] if rng.random() < 0.4 else indexes
    labels: list[SnmpValue] = [b"Port 1", b"Port 2", b"uplink", "str label"]
    out: dict[str, SnmpValue] = {}
    for i in present:
        odd = rng.random() < 0.05  # a value of another kind now and then
        if kind == "int" and not odd:
            out[i] = rng.randint(0, 3)
        elif kind == "label" and not odd:
            out[i] = rng.choice(labels)
        else:
            out[i] = _random_value(rng)
    return out


def _random_source(rng: random.Random, counter: bool) -> dict[str, Any]:
    src: dict[str, Any] = {"oid": rng.choice(OIDS)}
    pick = rng.random()
    if pick < 0.1:
        src = {"index": rng.randint(1, 2)}
    elif pick < 0.15:
        src = {"value": rng.choice([7, "const", 0])}
    elif pick < 0.3:
        src["map"] = {"1": "up", "2": 5, "Port 1": "p1", "eth1": "e1"}
        if rng.random() < 0.5:
            src["default"] = "other"
    elif pick < 0.4:
        src["regex"] = rng.choice([r"(\d+)", r"[a-z]+", r"Port (\d)"])
    elif pick < 0.45:
        src["scale"] = rng.choice([0.5, 8.0])
    elif pick < 0.55:
        src["format"] = rng.choice(["Fan {}", "{}", "Disk {} x"])
    elif pick < 0.6:
        src["invalid"] = [0, 3]
    elif pick < 0.65:
        src["as"] = rng.choice(["string", "hex", "int", "float"])
    if counter and rng.random() < 0.5:
        src["counter"] = rng.choice([32, 64])
    return src


def _group(rng: random.Random, prefix: str, counter: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n in range(rng.randint(0, 5)):
        srcs = [_random_source(rng, counter) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        out[f"{prefix}{n}"] = srcs if len(srcs) > 1 or rng.random() < 0.3 else srcs[0]
    return out


def _random_case(rng: random.Random) -> tuple[Metric, list[RawSnmp]]:
    scalar = rng.random() < 0.2
    metric = Metric(
        name="m",
        measurement="meas",
        scalar=scalar,
        index_tag=rng.choice([None, "idx", "t0"]),
        tags=_group(rng, "t", False),
        fields=_group(rng, "f", True),
        extra=_group(rng, "e", False),
    )
    kinds = {oid: rng.choice(["int", "int", "label", "any"]) for oid in OIDS}
    polls = []
    for _ in range(3):  # the same plan over several polls: caches and memos are reused
        indexes = rng.sample(INDEXES, rng.randint(0, len(INDEXES)))
        answered = [o for o in OIDS if rng.random() < 0.8]
        columns = {o: _column(rng, indexes, kinds[o]) for o in answered}
        scalars = {o: col[next(iter(col))] for o, col in columns.items() if col}
        polls.append(RawSnmp("dev", 0, scalars, columns))
    return metric, polls


def test_rows_equal_the_value_by_value_reference() -> None:
    rng = random.Random(20261126)
    for case in range(600):
        metric, polls = _random_case(rng)
        plan = MetricPlan.of(metric)
        for raw in polls:
            assert _exact(plan.rows(raw)) == _exact(reference_rows(metric, raw)), case


def test_rows_are_independent_objects() -> None:
    src = Source(oid=OIDS[0])
    metric = Metric(name="m", measurement="x", fields={"f": src}, tags={"t": src})
    raw = RawSnmp("dev", 0, {}, {OIDS[0]: {"1": 1, "2": 2}})
    a, b = MetricPlan.of(metric).rows(raw)
    for name in ("tags", "fields", "extra", "counter_bits"):
        assert getattr(a, name) is not getattr(b, name)


def test_empty_rows_store_every_slot_as_init_does() -> None:
    widths = {"in_octets": 64}
    made = Row.empty_rows(["1", "2"], "interface", widths)
    for row, index in zip(made, ["1", "2"], strict=True):
        expected = Row(index, "interface", widths=widths)
        for slot in Row.__slots__:
            assert getattr(row, slot) == getattr(expected, slot), slot
    for slot in ("tags", "fields", "extra", "counter_bits"):
        assert getattr(made[0], slot) is not getattr(made[1], slot)


def test_make_sample_is_the_frozen_sample() -> None:
    """parse_snmp makes its samples with `make_sample` (slots set directly): the same
    frozen object as `Sample(...)`."""
    made = make_sample("interface", {"device": "d"}, {"in_octets": 5}, 7)
    plain = Sample("interface", {"device": "d"}, {"in_octets": 5}, 7)
    assert type(made) is Sample and made == plain and repr(made) == repr(plain)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.measurement = "x"  # type: ignore[misc]
