"""Rates against the rule written out for one row, as a spec (hypothesis).

`Reference` is the spec: each row, in order, against its series' last poll. Random polls
move, wrap, reset and idle the counters, change link speeds, identities and
discontinuities, drop and add rows, reorder and repeat them, restart the device, change
the rules (a profile reload) and leave counters unanswered; `apply_rates_to_rows` must
write exactly the reference's fields, in the same order. (Written for issue 14's columnar
rates, branch rates-columnar; it holds any implementation of `apply_rates_to_rows`.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from lanpulse.parsers.rates import (
    _ROUNDER,
    _ROUNDER_EXACT_BELOW,
    CEILING_TOLERANCE,
    RatePlan,
    RateRule,
    RateState,
    apply_rates_to_rows,
)
from lanpulse.parsers.rows import Row

S = 1_000_000_000
WIDTHS = {"octets": 32, "hc_octets": 64, "errors": 32}
RULE_SETS = (
    (
        RateRule("octets", "bps", 8.0, "speed", "util"),
        RateRule("hc_octets", "hc_bps", 8.0, "speed", "hc_util"),
        RateRule("errors", "errors_ps", 1.0, None, None),
    ),
    # after a "reload": fewer rules, another order, a scale whose zero is -0.0
    (
        RateRule("errors", "errors_ps", -1.0, None, None),
        RateRule("octets", "bps", 8.0, "speed", "util"),
    ),
    # ceilings of their own (not shared): each rule reads its own
    (
        RateRule("octets", "bps", 0.5, "speed", "util"),
        RateRule("errors", "errors_ps", 100.0, "cap", "errors_pct"),
    ),
)


@dataclass
class Series:
    time_ns: int
    counters: dict[str, int | None]
    identity: tuple[str, ...]
    discontinuity: object


@dataclass
class Reference:
    """The rule, one row at a time (what the docstring of rates.py says)."""

    series: dict[str, Series] = field(default_factory=dict)

    def poll(
        self,
        rows: list[Row],
        time_ns: int,
        rules: tuple[RateRule, ...],
        restarted: bool,
        discontinuity: dict[str, object],
    ) -> None:
        for row in rows:
            counters = {
                r.counter: v if isinstance(v := row.fields.get(r.counter), int) else None
                for r in rules
            }
            identity = (row.tags.get("name", ""),)
            disc = discontinuity.get(row.index)
            last = self.series.get(row.index)
            self.series[row.index] = Series(time_ns, counters, identity, disc)
            if last is None or restarted or time_ns <= last.time_ns:
                continue
            if last.identity != identity or last.discontinuity != disc:
                continue
            elapsed = (time_ns - last.time_ns) / 1e9
            for counter, rate_field, scale, max_field, util in rules:
                cur, old = counters[counter], last.counters.get(counter)
                if cur is None or old is None:
                    continue
                cap = row.fields.get(max_field) if max_field else None
                if not isinstance(cap, int | float) or cap <= 0:
                    cap = None
                if cur == old:  # idle: zero, with a zero utilisation under a ceiling
                    if util and cap is not None:
                        row.fields[util] = 0 * scale / 1.0
                    row.fields[rate_field] = 0 * scale / 1.0
                    continue
                if cur > old:
                    delta = cur - old
                elif WIDTHS[counter] == 32 and old < 2**32:
                    delta = cur + 2**32 - old  # a 32-bit counter wrapped
                else:
                    continue  # a reset
                rate = delta * scale / elapsed
                if cap is not None and rate > cap * CEILING_TOLERANCE:
                    continue  # impossible: dropped
                if cap is not None and util:
                    share = rate / cap * 100
                    row.fields[util] = round(share * 1000) / 1000 if share < 100.0 else 100.0
                row.fields[rate_field] = round(rate * 1000) / 1000


# A counter's next value from its last one.
MOVES = st.sampled_from(
    ["idle", "up", "up", "big", "wrap", "wrap", "down", "down", "missing", "float"]
)


def _next(value: int, move: str, step: int) -> int | float | None:
    if move == "idle":
        return value
    if move == "up":
        return value + step
    if move == "big":  # above any ceiling here
        return value + 10**12
    if move == "wrap":  # past 2**32: a wrap for a 32-bit counter, a reset for a 64-bit one
        return max(0, value + step - 2**32)
    if move == "down":
        return max(0, value - step)
    if move == "missing":
        return None
    return float(value)


@st.composite
def polls(draw: st.DrawFn) -> list[dict[str, object]]:
    indexes = ["1", "2", "3", "4"]
    near_wrap = st.integers(2**32 - 10**7, 2**32 - 1)
    start = st.one_of(near_wrap, st.integers(0, 2**32 - 1), st.just(2**40))
    values = {i: {c: draw(start) for c in WIDTHS} for i in indexes}
    out = []
    time_ns = 0
    for _ in range(draw(st.integers(2, 8))):
        time_ns += draw(st.sampled_from([0, -S, S] + [10 * S] * 3 + [300 * S] * 4))
        every = st.one_of(st.just(indexes), st.permutations(indexes))
        present = draw(st.one_of(every, st.lists(st.sampled_from(indexes), max_size=5)))
        rows = []
        for index in present:
            fields: dict[str, int | float] = {}
            for counter in WIDTHS:
                value = _next(values[index][counter], draw(MOVES), draw(st.integers(1, 10**7)))
                if isinstance(value, int):
                    values[index][counter] = value
                if value is not None:
                    fields[counter] = value
            speed = draw(st.sampled_from([10**9, 10**9, 10**7, 0, None, 1.5e9, -1]))
            if speed is not None:
                fields["speed"] = speed
            fields["cap"] = draw(st.sampled_from([1000, 0, 10.0]))
            name = draw(st.sampled_from(["Gi0/" + index] * 5 + ["other"]))
            rows.append((index, name, fields))
        out.append(
            {
                "time_ns": time_ns,
                "rows": rows,
                "rules": draw(st.sampled_from(RULE_SETS[:1] * 3 + RULE_SETS[1:])),
                "restarted": draw(st.sampled_from([False] * 5 + [True])),
                "disc": {i: draw(st.sampled_from([0] * 7 + [1])) for i in indexes},
            }
        )
    return out


def _rows(spec: list[tuple[str, str, dict[str, int | float]]]) -> list[Row]:
    return [
        Row(index, "interface", {"name": name}, dict(fields), widths=WIDTHS)
        for index, name, fields in spec
    ]


@settings(max_examples=80, deadline=None)
@given(polls())
def test_rates_are_the_rule_row_by_row(sequence: list[dict[str, object]]) -> None:
    state, reference = RateState(), Reference()
    plans = {rules: RatePlan.of(rules) for rules in RULE_SETS}
    for poll in sequence:
        rules = poll["rules"]
        assert isinstance(rules, tuple)
        rows, expected = _rows(poll["rows"]), _rows(poll["rows"])  # type: ignore[arg-type]
        state.restarted = bool(poll["restarted"])
        disc = poll["disc"]
        assert isinstance(disc, dict)
        time_ns = poll["time_ns"]
        assert isinstance(time_ns, int)
        apply_rates_to_rows(state, "interfaces", rows, time_ns, plans[rules], ("name",), disc)
        reference.poll(expected, time_ns, rules, state.restarted, disc)
        # The same fields, in the same order, and the same floats (repr: -0.0 is not 0.0).
        assert [repr(list(r.fields.items())) for r in rows] == [
            repr(list(r.fields.items())) for r in expected
        ]
    assert len(state.series["interfaces"]) == len(reference.series)


@settings(max_examples=500)
@given(
    st.one_of(
        st.floats(0.0, _ROUNDER_EXACT_BELOW, exclude_max=True),
        # exact ties (n + 0.5), where round() goes to the even neighbour
        st.integers(0, 2**50).map(lambda n: n + 0.5),
        st.integers(0, 2**51 - 1).map(float),
    )
)
def test_the_rounder_rounds_as_round_does(thousandths: float) -> None:
    """The rule's three-decimal rounding (`_ROUNDER`) is round()'s, ties to even included,
    over the whole range it is used for."""
    assert thousandths + _ROUNDER - _ROUNDER == float(round(thousandths))
    assert (thousandths + _ROUNDER - _ROUNDER) / 1000.0 == round(thousandths) / 1000
