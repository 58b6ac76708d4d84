"""A metric's `derive` rules (simple arithmetic between its fields), compiled once.

Compiled into (target, op, first, second, more operands) per rule; rules that can never
yield a value (an unknown op, a single operand) are left out, a rule with no operand at all
is a ParseError. `MetricPlan` compiles them with the rest of its metric.
"""

from __future__ import annotations

from collections.abc import Mapping

from lanpulse.core.errors import ParseError
from lanpulse.parsers.rows import Row

DeriveRule = tuple[str, str, str, str, tuple[str, ...]]
DERIVE_OPS = ("sub", "add", "pct", "mul")


def compile_derive(rules: Mapping[str, Mapping[str, list[str]]]) -> tuple[DeriveRule, ...]:
    """The rules of a metric's `derive`, ready for `apply_derive`."""
    for target, spec in rules.items():
        for op, operands in spec.items():
            if not operands:
                raise ParseError(f"derive {target}: {op} has no operands")
    return tuple(
        (target, op, operands[0], operands[1], tuple(operands[2:]))
        for target, spec in rules.items()
        for op, operands in spec.items()
        if op in DERIVE_OPS and len(operands) >= 2
    )


def apply_derive(row: Row, rules: tuple[DeriveRule, ...]) -> None:
    """Write each derived field whose operands the row has (`pct` also needs a divisor)."""
    fields = row.fields
    get = fields.get
    for target, op, first, second, more in rules:
        a = get(first)
        b = get(second)
        if a is None or b is None or (more and any(get(o) is None for o in more)):
            continue
        if op == "pct":
            if b:
                fields[target] = round(min(max(a / b * 100, 0.0), 100.0), 2)
        elif op == "sub":
            fields[target] = a - b
        elif op == "add":
            fields[target] = a + b
        else:  # mul
            fields[target] = a * b
