"""Build the spool, writer and shipper from the `influxdb:` and `spool:` config sections."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lanpulse.config.influx import InfluxSettings, SpoolSettings
from lanpulse.timeseries.retention_v1 import RetentionPolicy
from lanpulse.timeseries.shipper import Backoff, Shipper
from lanpulse.timeseries.spool import Spool
from lanpulse.timeseries.writer import Writer
from lanpulse.timeseries.writers import WRITERS

log = logging.getLogger("lanpulse.timeseries")


def build_writer(
    settings: InfluxSettings, retention_policies: Sequence[RetentionPolicy] = ()
) -> Writer:
    """The writer of the settings' kind (`api:`), secrets resolved from value, file or env;
    a v1 writer sets up `retention_policies` before its first write."""
    return WRITERS[settings.api](settings, retention_policies)


def open_spool(settings: SpoolSettings, clock_ns: Callable[[], int] = time.time_ns) -> Spool:
    """Open (and lock) the spool directory the settings name."""
    return Spool(settings.directory, clock_ns=clock_ns, **_spool_bounds(settings))


def _spool_bounds(settings: SpoolSettings) -> dict[str, Any]:
    return {
        "max_bytes": settings.max_bytes,
        "max_age_s": settings.max_age,
        "segment_bytes": settings.segment_bytes,
        "segment_age_s": settings.segment_age,
        "fsync": settings.fsync,
        "fsync_interval_s": settings.fsync_interval,
        "rejected_max_bytes": settings.rejected_max_bytes,
    }


async def reconfigure(
    shipper: Shipper,
    before: tuple[InfluxSettings | None, SpoolSettings],
    after: tuple[InfluxSettings | None, SpoolSettings],
    *,
    stop_deadline_s: float,
    clock_ns: Callable[[], int] = time.time_ns,
    retention_policies: Sequence[RetentionPolicy] = (),
) -> Shipper:
    """Apply reloaded `influxdb:` and `spool:` sections; the shipper to use from now on.

    Another spool directory: a new shipper over it is returned (start it and use it at
    once); the old one sends what it can within `stop_deadline_s` and keeps the rest in its
    directory for `lanpulse spool replay`. The same directory: its bounds change in place.
    A changed `influxdb:` swaps the writer (the spool and its order stay). `queue_max`
    applies at the next start. Raises ConfigError (a secret file) before changing anything.
    """
    (old_influx, old_spool), (influx, spool) = before, after
    changed = influx is not None and influx != old_influx
    writer = build_writer(influx, retention_policies) if changed and influx else None
    if Path(spool.directory) != Path(old_spool.directory):
        new = build_shipper(influx, spool, clock_ns=clock_ns, retention_policies=retention_policies)
        if writer is not None:
            await writer.close()  # build_shipper made its own
        await new.start()
        stopped = shipper.stop(stop_deadline_s)
        left = shipper.spool.state().points if not await stopped else 0
        if left:
            log.warning(
                "spool moved to %s: %d points stay in %s (send them with `lanpulse spool "
                "replay --dir %s`)",
                spool.directory,
                left,
                old_spool.directory,
                old_spool.directory,
            )
        return new
    if spool != old_spool:
        shipper.spool.apply(**_spool_bounds(spool))
    if influx != old_influx:
        if influx is not None:
            shipper.batch_size = influx.batch_size
            shipper.flush_interval_s = influx.flush_interval
            shipper.max_retries = influx.max_retries
            shipper.backoff = Backoff(initial_s=influx.backoff, max_s=influx.max_backoff)
        await shipper.set_writer(writer)
    return shipper


def build_shipper(
    influx: InfluxSettings | None,
    spool: SpoolSettings,
    *,
    clock_ns: Callable[[], int] = time.time_ns,
    retention_policies: Sequence[RetentionPolicy] = (),
) -> Shipper:
    """A shipper over the configured spool; without `influx` it only keeps data in the spool."""
    writer = build_writer(influx, retention_policies) if influx is not None else None
    opened = open_spool(spool, clock_ns)
    if influx is None:
        return Shipper(opened, None, queue_max=spool.queue_max)
    return Shipper(
        opened,
        writer,
        batch_size=influx.batch_size,
        flush_interval_s=influx.flush_interval,
        queue_max=spool.queue_max,
        max_retries=influx.max_retries,
        backoff=Backoff(initial_s=influx.backoff, max_s=influx.max_backoff),
    )
