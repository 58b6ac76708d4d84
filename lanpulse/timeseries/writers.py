"""The writer kinds `influxdb.api` can name: kind -> how to build its writer from the settings.

Adding a kind is its value in `lanpulse.config.influx.WriterKind` (with the keys it needs in
`InfluxSettings` and their check in `_check_api_keys`) and one module here named
`writer_<kind>.py` with `build(settings, retention_policies) -> Writer`. Nothing else: the
registry finds the module by the kind's name when it is imported (a missing module or
`build` fails then), as the notifier registry (`lanpulse.alerts.notifiers.registry`) does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import import_module

from lanpulse.config.influx import WRITER_KINDS, InfluxSettings
from lanpulse.timeseries.retention_v1 import RetentionPolicy
from lanpulse.timeseries.writer import Writer

__all__ = ["WRITERS", "Builder"]

Builder = Callable[[InfluxSettings, Sequence[RetentionPolicy]], Writer]


def _builder(kind: str) -> Builder:
    build: Builder = import_module(f"{__package__}.writer_{kind}").build
    return build


WRITERS: dict[str, Builder] = {kind: _builder(kind) for kind in WRITER_KINDS}
