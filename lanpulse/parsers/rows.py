"""The intermediate row a table or scalar group becomes before it is a Sample."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from lanpulse.core.model import Device, RawSnmp, SnmpValue
from lanpulse.core.profile import Metric


@dataclass(slots=True)
class Row:
    """One table row (or the scalar group) while parsing: mutable inside the parser only."""

    index: str
    measurement: str
    tags: dict[str, str] = field(default_factory=dict)
    fields: dict[str, int | float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    counter_bits: dict[str, int] = field(default_factory=dict)
    # Counter widths shared by the rows of one metric plan: a field's width when its first
    # source gave it. `counter_bits` holds only the exceptions (0: no width), so a poll
    # writes no width per row and counter field; see `counter_width`.
    widths: Mapping[str, int] | None = None

    @classmethod
    def empty_rows(
        cls, indexes: Iterable[str], measurement: str, widths: Mapping[str, int] | None
    ) -> list[Row]:
        """Fresh rows with empty (independent) dicts, one per index, all sharing `widths`.

        Plain `__init__` calls, every argument positional: a keyword argument and the
        defaults' factories made `__init__` twice as dear (a poll makes hundreds of rows)."""
        return [cls(index, measurement, {}, {}, {}, {}, widths) for index in indexes]

    def counter_width(self, name: str) -> int | None:
        """The width (32 or 64) of counter field `name`, None when it has none."""
        bits = self.counter_bits.get(name)
        if bits is None and self.widths is not None:
            bits = self.widths.get(name)
        return bits or None


@dataclass(frozen=True, slots=True)
class RowContext:
    """What a processor may read besides its rows: the raw poll, the device, the metric."""

    raw: RawSnmp
    device: Device
    metric: Metric

    def column(self, oid: str) -> Mapping[str, SnmpValue]:
        """A walked column (index -> value); empty when the device did not answer it."""
        return self.raw.columns.get(oid, {})


_FIELDS = attrgetter("fields")


def absent_fields(names: frozenset[str], rows: Sequence[Row]) -> frozenset[str]:
    """Those of `names` that no row holds as a field (every one when there is no row).

    The one answer to "did the poll give this field at all", for the unanswered fields a
    poll reports and the rate rules it can drop (`RatePlan.answered_by`). Each step runs
    at C speed (a set's difference with a dict probes the dict for each name): the names
    the first row lacks, then those of them no other row has (a device without a MIB
    lacks its fields in every row).
    """
    if not rows:
        return names
    lacking = names.difference(rows[0].fields)
    if lacking and len(rows) > 1:
        return lacking.difference(*map(_FIELDS, rows[1:]))
    return lacking
