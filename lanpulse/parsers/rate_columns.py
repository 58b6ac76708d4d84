"""Rates a column at a time: each rule over all rows of a poll, as row by row would.

`apply_rates_to_rows` (lanpulse/parsers/rates.py) calls `by_columns` when a poll's rows are
the last poll's, in the same order (every poll of a stable device). The per-row cost of
Python is then a few list comprehension steps per rule instead of a loop body per row and
rule; every value, and the order each row gets its fields in, is the row-by-row one
(tests/test_rates_columnar.py checks them against the row-by-row code as it was).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from operator import attrgetter, ge, gt
from typing import TYPE_CHECKING

from lanpulse.parsers.rows import Row

if TYPE_CHECKING:  # rates.py imports this module: its types only, for the checker
    from lanpulse.parsers.rates import MetricSeries, RatePlan

WRAP_32 = 2**32
_FIELDS = attrgetter("fields")
_TAGS = attrgetter("tags")
# A rule's column of values to write: one per row, None where the row gets no such field.
Column = list[float | None]


def counter_delta(prev: int, cur: int, bits: int | None) -> int | None:
    """The increase from prev to cur, or None when the counter was reset."""
    if cur >= prev:
        return cur - prev
    if bits == 32 and prev < WRAP_32:
        return cur + WRAP_32 - prev
    return None


def to_counter(value: int | float | None) -> int | None:
    """A counter's value when the field holds an integer (rates need exact counters)."""
    return int(value) if isinstance(value, int) else None


def by_columns(
    table: MetricSeries,
    rows: list[Row],
    time_ns: int,
    plan: RatePlan,
    identity_tags: tuple[str, ...],
    discontinuity: Mapping[str, object] | None,
    restarted: bool,
) -> bool:
    """The rates of the rows of the last poll (`table`), a rule over all rows at a time.

    Each rule's values are computed for every row before any is written, and written rule
    by rule (utilisation, then rate): each row's fields get the same keys, in the same
    order, as row by row. False, with nothing changed, when a value could not be computed
    (then the rows compute it, failing the same way).
    """
    try:
        fields = list(map(_FIELDS, rows))
        if len(identity_tags) == 1:
            tag = identity_tags[0]
            identity: list[object] = [tags.get(tag, "") for tags in map(_TAGS, rows)]
        else:
            identity = [
                tuple([tags.get(t, "") for t in identity_tags]) for tags in map(_TAGS, rows)
            ]
        discs = None if discontinuity is None else list(map(discontinuity.get, table.indexes))
        counters: list[list[int | None]] = []
        sums: list[int | None] = []  # per rule: the column's sum, None if a row has no integer
        for name in plan.counters:
            column, total = _exact([f.get(name) for f in fields])
            counters.append(column)
            sums.append(total)
        elapsed_ns = time_ns - table.time_ns
        writes: list[Write] = []
        if not restarted and elapsed_ns > 0:
            live = None  # every row is the entity it was: the common case, one compare each
            if identity != table.identity or discs != table.discontinuity:
                none = [None] * len(rows)
                live = [
                    a == b and c == d
                    for a, b, c, d in zip(
                        table.identity,
                        identity,
                        table.discontinuity or none,
                        discs or none,
                        strict=True,
                    )
                ]
            writes = _rate_columns(plan, rows, fields, counters, sums, table, elapsed_ns, live)
    except Exception:  # e.g. an overflow: the rows raise it, after their partial writes
        return False
    _write(fields, writes)
    table.time_ns, table.rules, table.counters, table.sums = time_ns, plan.rules, counters, sums
    table.identity, table.discontinuity = identity, discs
    return True


def _exact(column: list[int | float | None]) -> tuple[list[int | None], int | None]:
    """A counter column as rates need it (integers, None for a float or a missing field),
    and its sum when it holds no None."""
    try:
        # One C loop: an int sum means no float, None or text (whose sum fails) in it.
        total = sum(column)  # type: ignore[arg-type]
        if type(total) is int:
            return column, total  # type: ignore[return-value]
    except (TypeError, OverflowError):  # text, None; a float with a huge int
        pass
    return [v if type(v) is int else to_counter(v) for v in column], None


# A field to write into every row: its name, a value per row (None: this row gets none),
# and whether the column holds no None (written without a test per row).
Write = tuple[str, Column, bool]
# Rounding to a whole number the way round() does (half to even), without its call and
# int: adding 1.5 * 2**52 leaves no bit below the units, and subtracting it is exact.
# Exact for 0 <= x < 2**51: x * 1000 of any rate below 2.2e12 (and of every utilisation).
_WHOLE = 6755399441055744.0
_WHOLE_BELOW = 2.2e12  # a rate from which the rounding above is exact


def _write(fields: list[dict[str, int | float]], writes: list[Write]) -> None:
    """Write each field into every row, in order (so each row gets its keys in order).

    Runs of columns without a None are written four (or two) fields per pass over the
    rows: a quarter of the loop's own work per field.
    """
    dense: list[tuple[str, Column]] = []
    for key, values, is_dense in writes:
        if is_dense:
            dense.append((key, values))
            continue
        _write_dense(fields, dense)
        dense = []
        for row_fields, value in zip(fields, values, strict=True):
            if value is not None:
                row_fields[key] = value
    _write_dense(fields, dense)


def _write_dense(fields: list[dict[str, int | float]], dense: list[tuple[str, Column]]) -> None:
    """Write columns without a None into every row, in order."""
    while len(dense) >= 4:
        (k1, c1), (k2, c2), (k3, c3), (k4, c4) = dense[:4]
        for f, v1, v2, v3, v4 in zip(fields, c1, c2, c3, c4, strict=True):
            f[k1] = v1  # type: ignore[assignment]
            f[k2] = v2  # type: ignore[assignment]
            f[k3] = v3  # type: ignore[assignment]
            f[k4] = v4  # type: ignore[assignment]
        dense = dense[4:]
    if len(dense) >= 2:
        (k1, c1), (k2, c2) = dense[:2]
        for f, v1, v2 in zip(fields, c1, c2, strict=True):
            f[k1] = v1  # type: ignore[assignment]
            f[k2] = v2  # type: ignore[assignment]
        dense = dense[2:]
    if dense:
        ((k1, c1),) = dense
        for f, v1 in zip(fields, c1, strict=True):
            f[k1] = v1  # type: ignore[assignment]


def _rate_columns(
    plan: RatePlan,
    rows: list[Row],
    fields: list[dict[str, int | float]],
    counters: list[list[int | None]],
    sums: list[int | None],
    table: MetricSeries,
    elapsed_ns: int,
    live: list[bool] | None,
) -> list[Write]:
    """The fields to write, rule by rule (utilisation, rate); `live`: which rows rate.

    A rule whose counters are all integers, none gone down, none above its ceiling, on
    rows that are all the entities they were, is a few list comprehensions; any other
    rule is computed row by row (`_rule_by_rows`).
    """
    elapsed = elapsed_ns / 1e9
    caps: list[int | float | None] | None = None
    limits: list[float] = []
    all_capped = False
    if plan.ceiling is not None:
        ceiling = plan.ceiling
        caps = [f.get(ceiling) for f in fields]
        try:  # every ceiling a positive integer (the usual link speed): valid as it is
            all_capped = type(sum(caps)) is int and min(caps) > 0  # type: ignore[arg-type,operator,type-var]
        except (TypeError, ValueError, OverflowError):  # text, None, no rows, huge ints
            all_capped = False
        if all_capped:
            limits = [c * 1.01 for c in caps]  # type: ignore[operator]
        else:  # `_ceiling` of each row
            caps = [v if isinstance(v, (int, float)) and v > 0 else None for v in caps]
            all_capped = all(caps)  # a ceiling is a positive number, so true
            # A row without a ceiling has no bound: an infinite one, no rate is above it.
            limits = [math.inf if c is None else c * 1.01 for c in caps]
    n = len(rows)
    out: list[Write] = []
    for (counter, rate, scale, max_field, util), zero, cur, old, total, old_total in zip(
        plan.rules, plan.zeros, counters, table.counters, sums, table.sums, strict=True
    ):
        rule_caps = caps if max_field else None
        if live is None and total is not None:
            if cur == old:  # idle counters: zero rates (and utilisations where capped)
                if util and rule_caps is not None:
                    if all_capped:
                        out.append((util, [zero] * n, True))
                    else:
                        out.append((util, [c and zero for c in rule_caps], False))
                out.append((rate, [zero] * n, True))
                continue
            increase = None if old_total is None else total - old_total
            columns = _moving(
                cur, old, increase, scale, elapsed, rule_caps, limits, all_capped, util
            )
            if columns is not None:
                utils, rates = columns
                if util and utils is not None:
                    out.append((util, utils, all_capped))
                out.append((rate, rates, True))
                continue
            columns = _patched(
                rows, counter, scale, zero, util, cur, old, elapsed, rule_caps, limits, all_capped
            )
            if columns is not None:
                utils, rates = columns
                if util and utils is not None:
                    out.append((util, utils, False))
                out.append((rate, rates, False))
                continue
        utils, rates = _rule_by_rows(
            rows, counter, scale, zero, util, cur, old, elapsed, rule_caps, live
        )
        if util and utils is not None:
            out.append((util, utils, False))
        out.append((rate, rates, False))
    return out


def _moving(
    cur: list[int | None],
    old: list[int | None],
    increase: int | None,
    scale: float,
    elapsed: float,
    caps: list[int | float | None] | None,
    limits: list[float],
    limits_all: bool,
    util: str | None,
) -> tuple[Column | None, Column] | None:
    """A rule's (utilisations, rates) when no counter went down and no rate is above its
    ceiling, else None; `cur` holds only integers, `increase` is their sum's (if known);
    `limits_all`: every row has a ceiling.

    Each value is the one `_add_rates` computes: the same float operations in the same
    order, and `_WHOLE` rounding where it equals round(): below `_WHOLE_BELOW`, which the
    rate of the whole increase bounds (each operation is monotonic), or every rate. The
    constants are floats (1e3, not 1000): a float times an int converts the int first, so
    the result is the same, but float with float is the interpreter's specialised fast op.
    """
    try:
        if not all(map(ge, cur, old)):  # type: ignore[arg-type]
            return None  # a wrap or a reset
    except TypeError:  # a previous counter was missing
        return None
    now: list[int] = cur  # type: ignore[assignment]  # checked just above
    before: list[int] = old  # type: ignore[assignment]
    whole = _WHOLE
    bounded = increase is not None and increase * scale / elapsed < _WHOLE_BELOW
    if caps is None:
        pairs = zip(now, before, strict=True)
        if scale == 1:  # d * 1 / e is d / e: one operation less per row, same float
            rates = [((c - o) / elapsed * 1e3 + whole - whole) / 1e3 for c, o in pairs]
        else:
            rates = [((c - o) * scale / elapsed * 1e3 + whole - whole) / 1e3 for c, o in pairs]
        if not bounded and max(rates, default=0.0) >= _WHOLE_BELOW:
            pairs = zip(now, before, strict=True)
            rates = [round((c - o) * scale / elapsed * 1000) / 1000 for c, o in pairs]
        return None, rates  # type: ignore[return-value]
    raw = [(c - o) * scale / elapsed for c, o in zip(now, before, strict=True)]
    if any(map(gt, raw, limits)):
        return None
    utils: Column | None = None
    if util and limits_all:  # each share is below 101
        utils = [
            (s * 1e3 + whole - whole) / 1e3 if (s := r / c * 1e2) < 100.0 else 100.0  # type: ignore[operator]
            for r, c in zip(raw, caps, strict=True)
        ]
    elif util:  # a row without a ceiling has no utilisation
        utils = [
            c and ((s * 1e3 + whole - whole) / 1e3 if (s := r / c * 1e2) < 100.0 else 100.0)
            for r, c in zip(raw, caps, strict=True)
        ]
    rates = [(r * 1e3 + whole - whole) / 1e3 for r in raw]
    if not bounded and max(rates, default=0.0) >= _WHOLE_BELOW:
        rates = [round(r * 1000) / 1000 for r in raw]
    return utils, rates  # type: ignore[return-value]


def _rule_by_rows(
    rows: list[Row],
    counter: str,
    scale: float,
    zero: float,
    util: str | None,
    cur: list[int | None],
    old: list[int | None],
    elapsed: float,
    caps: list[int | float | None] | None,
    live: list[bool] | None,
) -> tuple[Column | None, Column]:
    """One rule's column row by row (`_one`): missing counters, rows that are another
    entity (not `live`)."""
    n = len(rows)
    rates: Column = [None] * n
    utils: Column | None = [None] * n if util and caps is not None else None
    wants_util = utils is not None
    for i in range(n):
        c, o = cur[i], old[i]
        if c is None or o is None or (live is not None and not live[i]):
            continue
        cap = caps[i] if caps is not None else None
        share, rates[i] = _one(rows[i], counter, c, o, scale, zero, wants_util, cap, elapsed)
        if utils is not None:
            utils[i] = share
    return utils, rates


def _patched(
    rows: list[Row],
    counter: str,
    scale: float,
    zero: float,
    util: str | None,
    cur: list[int | None],
    old: list[int | None],
    elapsed: float,
    caps: list[int | float | None] | None,
    limits: list[float],
    limits_all: bool,
) -> tuple[Column | None, Column] | None:
    """`_moving` for a column where some rows went down (a wrap, a reset) or rate above
    their ceiling: those rows one by one (`_one`), the others as columns. None when a
    previous counter was missing."""
    try:
        odd = [i for i, (c, o) in enumerate(zip(cur, old, strict=True)) if c < o]  # type: ignore[operator]
    except TypeError:
        return None
    steady = list(cur)
    for i in odd:
        steady[i] = old[i]  # a zero increase for now
    if caps is not None:
        raw = [(c - o) * scale / elapsed for c, o in zip(steady, old, strict=True)]  # type: ignore[operator]
        for i, (r, limit) in enumerate(zip(raw, limits, strict=True)):
            if r > limit:
                odd.append(i)
                steady[i] = old[i]
    columns = _moving(steady, old, None, scale, elapsed, caps, limits, limits_all, util)
    if columns is None:  # cannot be: nothing goes down or above its ceiling now
        return None
    utils, rates = columns
    wants_util = utils is not None
    for i in odd:
        cap = caps[i] if caps is not None else None
        now, before = cur[i], old[i]
        assert now is not None and before is not None  # the column has no None (see above)
        share, rates[i] = _one(rows[i], counter, now, before, scale, zero, wants_util, cap, elapsed)
        if utils is not None:
            utils[i] = share
    return utils, rates


def _one(
    row: Row,
    counter: str,
    cur: int,
    old: int,
    scale: float,
    zero: float,
    wants_util: bool,
    cap: int | float | None,
    elapsed: float,
) -> tuple[float | None, float | None]:
    """One row's (utilisation, rate) of one rule, as `_add_rates` computes it (None: none)."""
    if cur == old:  # an idle counter: a zero rate, never above the ceiling, no round()
        return (zero if wants_util and cap is not None else None), zero
    if cur > old:
        delta = cur - old
    else:  # a wrap or a reset
        wrapped = counter_delta(old, cur, row.counter_width(counter))
        if wrapped is None:
            return None, None
        delta = wrapped
    rate = delta * scale / elapsed
    share = None
    if cap is not None:
        if rate > cap * 1.01:
            return None, None  # above the link speed: impossible, dropped
        if wants_util:
            share = rate / cap * 100
            share = round(share * 1000) / 1000 if share < 100.0 else 100.0
    return share, round(rate * 1000) / 1000
