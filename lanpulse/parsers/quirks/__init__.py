"""Named processors: small modules for what profile data cannot express.

A processor takes the rows one metric produced and the poll context, and returns rows
(changed, filtered, re-routed to another measurement, or added). Profiles name them in a
metric's `processors:` list; this registry is the only place that knows them all.
"""

from __future__ import annotations

from collections.abc import Callable

from lanpulse.parsers.quirks import hr_storage, interface
from lanpulse.parsers.rows import Row, RowContext

Processor = Callable[[list[Row], RowContext], list[Row]]

PROCESSORS: dict[str, Processor] = {
    "interface_speed": interface.speed,
    "hr_storage": hr_storage.route,
}
