"""Columnar rates equal the row-by-row ones: every field, in order, on every poll.

The reference is the row-by-row computation (the same module with `RatePlan.columnar`
off; its semantics are pinned case by case in tests/test_rates.py). Random
poll sequences (seeded: a failure names its seed) drive both side by side: moving and idle
counters, 32-bit wraps, 64-bit resets, floats, missing and odd counters, ceilings valid,
missing, tiny and huge, restarts, time standing still or going back, identities and
discontinuities changing, rows appearing, vanishing, reordering and repeating, and the
rules changing between polls (a profile reload). Each poll's fields must be the same keys
in the same order with the same values (type and repr: -0.0 is not 0.0 here), and any
exception the same.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from lanpulse.parsers import rates as new
from lanpulse.parsers.rows import Row

IF_RULES = (
    new.RateRule("in_octets", "in_bps", 8.0, "speed_bps", "in_util_pct"),
    new.RateRule("out_octets", "out_bps", 8.0, "speed_bps", "out_util_pct"),
    new.RateRule("in_errors", "in_errors_ps", 1.0, None, None),
    new.RateRule("out_errors", "out_errors_ps", 1.0, None, None),
    new.RateRule("in_discards", "in_discards_ps", 1.0, None, None),
    new.RateRule("out_discards", "out_discards_ps", 1.0, None, None),
)
# Rule sets a metric may switch between (a profile reload): reordered, fewer, other scales.
RULE_SETS: dict[str, tuple[new.RateRule, ...]] = {
    "interfaces": IF_RULES,
    "interfaces_reloaded": (IF_RULES[1], IF_RULES[0], IF_RULES[3], IF_RULES[2]),
    "interfaces_int_scale": tuple(r._replace(scale=8) if r.util else r for r in IF_RULES),
    "per_rule_ceilings": (
        new.RateRule("in_octets", "a_ps", 1.0, "cap_a", "a_pct"),
        new.RateRule("out_octets", "b_ps", 2.5, "speed_bps", "b_pct"),
    ),
    "ceiling_no_util": (
        new.RateRule("in_octets", "x_bps", 8.0, "speed_bps", None),
        new.RateRule("in_errors", "y_ps", 1.0, None, None),
    ),
    "util_no_ceiling": (new.RateRule("in_octets", "x_bps", 8.0, None, "x_pct"),),
    "no_ceiling": (
        new.RateRule("in_errors", "p_ps", 1.0, None, None),
        new.RateRule("out_errors", "q_ps", 0.5, None, None),
        new.RateRule("in_octets", "r_ps", 1e-6, None, None),
    ),
    # Not computable by columns: a rate that is a ceiling, a zero and a negative scale.
    "writes_its_ceiling": (
        new.RateRule("in_octets", "cap_a", 8.0, None, None),
        new.RateRule("out_octets", "out_bps", 8.0, "cap_a", "out_util_pct"),
    ),
    "odd_scales": (
        new.RateRule("in_errors", "p_ps", 0.0, None, None),
        new.RateRule("out_errors", "q_ps", -1.0, "speed_bps", "q_pct"),
    ),
}
COUNTERS = ("in_octets", "out_octets", "in_errors", "out_errors", "in_discards", "out_discards")
S = 1_000_000_000


@dataclass
class Device:
    """One random device's table: its rows' counters, ceilings, names, discontinuities."""

    rng: random.Random
    chaos: float  # how often anything but a moving or idle counter happens
    tags: int  # identity tags: 0, 1 or 2
    rule_set: str
    rows: list[str]
    counters: dict[tuple[str, str], int | float | str | None] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    discs: dict[str, int] = field(default_factory=dict)
    time_ns: int = 10**12
    widths: dict[str, int] = field(default_factory=dict)
    quiet: set[str] = field(default_factory=set)  # counters that stand still (errors)

    def odd(self, scale: float = 1.0) -> bool:
        return self.rng.random() < self.chaos * scale

    def step_rows(self) -> None:
        """Rows vanish, appear, reorder and (rarely) repeat."""
        rng = self.rng
        if self.odd() and len(self.rows) > 1:
            self.rows.remove(rng.choice(self.rows))
        if self.odd():
            self.rows.insert(rng.randrange(len(self.rows) + 1), str(rng.randrange(60)))
        if self.odd(0.5):
            rng.shuffle(self.rows)
        if self.odd(0.2) and self.rows:
            self.rows.append(rng.choice(self.rows))

    def counter(self, index: str, name: str) -> int | float | str | None:
        rng = self.rng
        key = (index, name)
        value = self.counters.get(key)
        base = value if type(value) is int and value < 2**80 else rng.randrange(2**32)
        roll = rng.random()
        if roll < self.chaos / 6:
            value = rng.choice([None, float(base), "x", True, base - rng.randrange(1, 10**6)])
        elif roll < self.chaos / 3:
            value = (base + rng.randrange(2**31)) % 2**32  # a 32-bit wrap (or a reset)
        elif roll < self.chaos / 2:
            value = rng.choice([0, base // 2, 2**64 - 1, 10**400 if rng.random() < 0.1 else 5])
        elif name in self.quiet or rng.random() < 0.3:
            value = base  # idle
        else:
            steps = [1, 7, 1000, rng.randrange(10**9), rng.randrange(10**12), 10**17]
            value = base + rng.choice(steps)
        if value is None:
            self.counters.pop(key, None)
        else:
            self.counters[key] = value
        return value

    def ceiling(self) -> int | float | None:
        if not self.odd():
            return self.rng.choice([1_000_000_000, 10_000_000_000, 100_000_000, 10**20])
        return self.rng.choice([None, 0, -5, 1e9, 10, 1, True, 10**20, float("nan"), 2.5])

    def poll(self) -> tuple[int, list[Row], dict[str, object] | None, bool, str]:
        """The next poll: its time, rows, discontinuity mapping, restart flag, rule set."""
        rng = self.rng
        if self.odd(0.3):
            self.rule_set = rng.choice(list(RULE_SETS))
        roll = rng.random()
        if roll < self.chaos / 3:
            self.time_ns += rng.choice([0, -S, -300 * S, 1, 10**3, 10**15])
        else:
            self.time_ns += rng.choice([300 * S, 60 * S, 299_999_999_999])
        self.step_rows()
        rows: list[Row] = []
        for index in self.rows:
            if index not in self.names or self.odd(0.3):
                self.names[index] = f"port{index}-{rng.randrange(3)}"
            fields: dict[str, int | float] = {}
            if self.odd(0.2):
                fields["in_bps"] = -1.0  # a field already there keeps its place
            for name in COUNTERS:
                value = self.counter(index, name)
                if value is not None:
                    fields[name] = value  # type: ignore[assignment]
            for cap in ("speed_bps", "cap_a"):
                value = self.ceiling()
                if value is not None:
                    fields[cap] = value
            tags = {"if_name": self.names[index], "descr": f"d{index}"}
            if self.tags == 1 and self.odd(0.2):
                del tags["if_name"]
            bits = {}
            if self.odd(0.5):
                bits[rng.choice(COUNTERS)] = rng.choice([0, 32, 64])
            rows.append(Row(index, "interface", tags, fields, {}, bits, self.widths))
        discs: dict[str, object] | None = None
        if not self.odd(0.2):
            for index in self.rows:
                if index not in self.discs or self.odd(0.3):
                    self.discs[index] = rng.randrange(3)
            discs = {i: v for i, v in self.discs.items() if not self.odd(0.2)}
        return self.time_ns, rows, discs, self.odd(0.3), self.rule_set


def _copy(rows: list[Row]) -> list[Row]:
    return [
        Row(
            r.index, r.measurement, dict(r.tags), dict(r.fields), {}, dict(r.counter_bits), r.widths
        )
        for r in rows
    ]


def _written(rows: list[Row]) -> list[list[tuple[str, str, str]]]:
    """Every row's fields in order, each value by type and repr (so -0.0 is not 0.0)."""
    return [[(k, type(v).__name__, repr(v)) for k, v in r.fields.items()] for r in rows]


def _run(seed: int, polls: int) -> int:
    """One random device polled `polls` times by both; the number of rates compared."""
    rng = random.Random(seed)
    chaos = rng.choice([0.0, 0.0, 0.01, 0.05, 0.2, 0.5])
    device = Device(
        rng=rng,
        chaos=chaos,
        tags=rng.choice([0, 1, 1, 2]),
        rule_set=rng.choice(["interfaces", "interfaces", *RULE_SETS]),
        rows=[str(i) for i in rng.sample(range(1, 60), rng.choice([1, 3, 8, 12, 48]))],
        widths={c: rng.choice([32, 64]) for c in COUNTERS},
        quiet={c for c in COUNTERS if rng.random() < 0.4},
    )
    identity_tags = ("if_name", "descr")[: device.tags]
    plans = {
        k: (replace(new.RatePlan.of(v), columnar=False), new.RatePlan.of(v))
        for k, v in RULE_SETS.items()
    }
    old_state, new_state = new.RateState(), new.RateState()
    compared = 0
    for n in range(polls):
        time_ns, rows, discs, restarted, rule_set = device.poll()
        old_plan, new_plan = plans[rule_set]
        old_rows, new_rows = _copy(rows), _copy(rows)
        old_state.restarted = new_state.restarted = restarted
        old_error = new_error = None
        try:
            new.apply_rates_to_rows(
                old_state, "m", old_rows, time_ns, old_plan, identity_tags, discs
            )
        except Exception as exc:  # the same failure, after the same partial writes
            old_error = type(exc)
        try:
            new.apply_rates_to_rows(
                new_state, "m", new_rows, time_ns, new_plan, identity_tags, discs
            )
        except Exception as exc:
            new_error = type(exc)
        context = f"seed {seed} poll {n} rules {rule_set} chaos {chaos}"
        assert new_error == old_error, context
        assert _written(new_rows) == _written(old_rows), context
        assert sum(map(len, new_state.series.values())) == sum(map(len, old_state.series.values()))
        compared += sum(len(r.fields) for r in new_rows)
    # And the state itself: every series' last poll, as the rows left it.
    old_series = old_state.series["m"].by_index() if "m" in old_state.series else {}
    new_series = new_state.series["m"].by_index()
    assert old_series.keys() == new_series.keys(), seed
    for index, old in old_series.items():
        now = new_series[index]
        assert (now.time_ns, now.rules, now.counters, now.identity, now.discontinuity) == (
            old.time_ns,
            old.rules,
            old.counters,
            old.identity,
            old.discontinuity,
        ), (seed, index)
    return compared


@pytest.mark.parametrize("block", range(8))
def test_columnar_rates_equal_row_by_row(block: int) -> None:
    compared = sum(_run(seed, 40) for seed in range(block * 50, (block + 1) * 50))
    assert compared > 0


def test_a_stable_switch_takes_the_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    # A 48-port switch, every poll alike but for the counters: rows are rated row by row
    # only on the first poll, then by columns.
    device = Device(random.Random(7), 0.0, 1, "interfaces", [str(i) for i in range(1, 49)])
    plan = new.RatePlan.of(IF_RULES)
    state = new.RateState()
    by_rows: list[int] = []
    real = new._by_rows

    def counted(*args: Any) -> None:
        by_rows.append(len(args[1]))
        real(*args)

    monkeypatch.setattr(new, "_by_rows", counted)
    for _ in range(5):
        time_ns, rows, discs, _, _ = device.poll()
        new.apply_rates_to_rows(state, "m", rows, time_ns, plan, ("if_name",), discs)
    table = state.series["m"]
    assert len(by_rows) == 1
    assert len(table.indexes) == len(table) == 48 and not table.others
    assert all("out_discards_ps" in r.fields for r in rows)
