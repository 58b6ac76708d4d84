"""Build the spool, writer and shipper from the `influxdb:` and `spool:` config sections."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from lanpulse.config.influx import InfluxSettings, SpoolSettings
from lanpulse.core.errors import ConfigError
from lanpulse.core.model import Secret
from lanpulse.timeseries.retention_v1 import RetentionPolicy
from lanpulse.timeseries.shipper import Backoff, Shipper
from lanpulse.timeseries.spool import Spool
from lanpulse.timeseries.writer import Writer
from lanpulse.timeseries.writer_v1 import InfluxV1Writer
from lanpulse.timeseries.writer_v2 import InfluxV2Writer


def build_writer(
    settings: InfluxSettings, retention_policies: Sequence[RetentionPolicy] = ()
) -> Writer:
    """The v1 or v2 writer the settings describe (secrets resolved from value, file or env);
    a v1 writer sets up `retention_policies` before its first write."""
    if settings.api == "v1":
        try:
            password = settings.resolved_password()
        except ValueError as exc:
            raise ConfigError(str(exc), key="influxdb.password") from None
        return InfluxV1Writer(
            settings.url,
            settings.database or "",
            retention_policy=settings.retention_policy,
            username=settings.username,
            password=Secret(password) if password is not None else None,
            timeout_s=settings.timeout,
            gzip=settings.gzip,
            create_database=settings.create_database,
            retention_policies=retention_policies,
        )
    try:
        token = settings.resolved_token()
    except ValueError as exc:
        raise ConfigError(str(exc), key="influxdb.token") from None
    return InfluxV2Writer(
        settings.url,
        settings.bucket or "",
        org=settings.org,
        token=Secret(token) if token is not None else None,
        timeout_s=settings.timeout,
        gzip=settings.gzip,
    )


def open_spool(settings: SpoolSettings, clock_ns: Callable[[], int] = time.time_ns) -> Spool:
    """Open (and lock) the spool directory the settings name."""
    return Spool(
        settings.directory,
        max_bytes=settings.max_bytes,
        max_age_s=settings.max_age,
        segment_bytes=settings.segment_bytes,
        segment_age_s=settings.segment_age,
        fsync=settings.fsync,
        fsync_interval_s=settings.fsync_interval,
        rejected_max_bytes=settings.rejected_max_bytes,
        clock_ns=clock_ns,
    )


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
