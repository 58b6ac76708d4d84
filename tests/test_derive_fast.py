"""Derived fields from compiled rules agree with the step-by-step evaluation, exactly.

The step-by-step evaluation (`derive_steps` below) is the reference: the parser had it as a
second implementation until the compiled one was its only path."""

from __future__ import annotations

import random

import pytest

from lanpulse.core.errors import ParseError
from lanpulse.parsers.derive import apply_derive, compile_derive
from lanpulse.parsers.rows import Row

_NAMES = ["a", "b", "c", "d", "t"]
_OPS = ["sub", "add", "pct", "mul", "div"]
_VALUES: list[int | float] = [0, 1, -3, 7, 100, 2**40, 0.0, 0.5, 12.25, -1.5]


def derive_steps(row: Row, rules: dict[str, dict[str, list[str]]]) -> None:
    for target, spec in rules.items():
        for op, operands in spec.items():
            vals = [row.fields.get(o) for o in operands]
            if any(v is None for v in vals):
                continue
            a, b = vals[0], vals[1] if len(vals) > 1 else None
            result: float | int | None = None
            if op == "sub" and b is not None:
                result = a - b  # type: ignore[operator]
            elif op == "add" and b is not None:
                result = a + b  # type: ignore[operator]
            elif op == "pct" and b:
                result = round(min(max(a / b * 100, 0.0), 100.0), 2)  # type: ignore[operator]
            elif op == "mul" and b is not None:
                result = a * b  # type: ignore[operator]
            if result is not None:
                row.fields[target] = result


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
        apply_derive(row, compile_derive(rules))
        derive_steps(twin, rules)
        assert list(row.fields.items()) == list(twin.fields.items()), rules
        assert [type(v) for v in row.fields.values()] == [type(v) for v in twin.fields.values()]


def test_rule_without_operands_still_fails_loudly() -> None:
    row = Row(index="1", measurement="m", fields={"a": 1})
    with pytest.raises(ParseError, match="no operands"):
        apply_derive(row, compile_derive({"t": {"sub": []}}))
