"""Derived fields from compiled rules agree with the step-by-step evaluation, exactly."""

from __future__ import annotations

import random

import pytest

from lanpulse.parsers.rows import Row
from lanpulse.parsers.snmp_profile import _derive, _derive_steps

_NAMES = ["a", "b", "c", "d", "t"]
_OPS = ["sub", "add", "pct", "mul", "div"]
_VALUES: list[int | float] = [0, 1, -3, 7, 100, 2**40, 0.0, 0.5, 12.25, -1.5]


def _row(rnd: random.Random) -> Row:
    row = Row(index="1", measurement="m")
    for name in rnd.sample(_NAMES, rnd.randint(0, len(_NAMES))):
        row.fields[name] = rnd.choice(_VALUES)
    return row


def test_compiled_derive_agrees_with_steps() -> None:
    rnd = random.Random(7)
    for _ in range(3000):
        rules = {
            rnd.choice(_NAMES): {
                rnd.choice(_OPS): [rnd.choice(_NAMES) for _ in range(rnd.randint(1, 3))]
                for _ in range(rnd.randint(1, 2))
            }
            for _ in range(rnd.randint(1, 3))
        }
        row = _row(rnd)
        twin = Row(index="1", measurement="m", fields=dict(row.fields))
        _derive(row, rules)
        _derive_steps(twin, rules)
        assert list(row.fields.items()) == list(twin.fields.items()), rules
        assert [type(v) for v in row.fields.values()] == [type(v) for v in twin.fields.values()]


def test_rule_without_operands_still_fails_loudly() -> None:
    row = Row(index="1", measurement="m", fields={"a": 1})
    with pytest.raises(IndexError):
        _derive(row, {"t": {"sub": []}})
