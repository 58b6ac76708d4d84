"""Where rollups are stored: the same server, a long-lived retention policy or bucket, and
a spool of their own (docs/capacity.md)."""

from __future__ import annotations

import time
from collections.abc import Callable

from lanpulse.config.capacity import RollupSettings
from lanpulse.config.influx import InfluxSettings, SpoolSettings
from lanpulse.timeseries.factory import build_shipper
from lanpulse.timeseries.retention_v1 import RetentionPolicy
from lanpulse.timeseries.shipper import Shipper


def retention_policies(settings: RollupSettings) -> tuple[RetentionPolicy, ...]:
    """The 1.x policies lanpulse manages: raw (the database's default) and rollups."""
    if not settings.manage_retention:
        return ()
    return (
        RetentionPolicy(settings.raw_retention_policy, settings.raw_retention, default=True),
        RetentionPolicy(settings.retention_policy, settings.retention),
    )


def raw_policies(
    influx: InfluxSettings | None, settings: RollupSettings
) -> tuple[RetentionPolicy, ...]:
    """What the raw writer sets up: nothing when it writes to a policy the operator named."""
    if influx is None or influx.api != "v1" or influx.retention_policy:
        return ()
    return retention_policies(settings)


def rollup_policies(
    influx: InfluxSettings | None, settings: RollupSettings
) -> tuple[RetentionPolicy, ...]:
    """What the rollup writer sets up: its own policy (raw's is the raw writer's)."""
    if influx is None or influx.api != "v1" or not settings.manage_retention:
        return ()
    return retention_policies(settings)[1:]


def rollup_influx(influx: InfluxSettings, settings: RollupSettings) -> InfluxSettings:
    """The `influxdb:` settings of the rollup writer: same server, long-lived RP or bucket."""
    if influx.api == "v1":
        return influx.model_copy(update={"retention_policy": settings.retention_policy})
    return influx.model_copy(update={"bucket": settings.bucket or influx.bucket})


def rollup_spool(spool: SpoolSettings) -> SpoolSettings:
    """The rollup shipper's spool: a sibling directory of the raw spool."""
    return spool.model_copy(update={"directory": spool.directory.rstrip("/") + "-rollups"})


def build_rollup_shipper(
    influx: InfluxSettings | None,
    spool: SpoolSettings,
    settings: RollupSettings,
    *,
    clock_ns: Callable[[], int] = time.time_ns,
) -> Shipper:
    """The shipper rollups are submitted to."""
    target = rollup_influx(influx, settings) if influx is not None else None
    return build_shipper(
        target,
        rollup_spool(spool),
        clock_ns=clock_ns,
        retention_policies=rollup_policies(influx, settings),
    )
