"""SIGHUP applies `rollups:` (it used to need a restart): the aggregation (fields, time
zone, grace), the retention InfluxDB 1.x keeps raw points and rollups for, and the stage
on or off.

The daemon runs in-process with no device; its own `lanpulse` self-monitoring points
(every second) are rolled up (`rollups.fields` names them) and written to a real InfluxDB
1.6. Hours do not end during a test, so what shows a change applied is what it closes: the
open hour of a measurement whose fields changed is written at once, as at a stop.
"""

from __future__ import annotations

from pathlib import Path

from lanpulse.pipeline.rollups import RollupSink
from lanpulse.sim.servers import InfluxDB16
from tests._daemon import influx_rows, running, until, v1_section, write_config

DB = "reload_rollups"


def _config(path: Path, influx: InfluxDB16, rollups: str) -> Path:
    section = v1_section(influx, DB) + "\nrollups:\n  grace: 1s\n" + rollups
    return write_config(path, [], influx=section)


def _rolled(influx: InfluxDB16, field: str) -> list[dict[str, object]]:
    return influx_rows(influx, DB, f'SELECT "{field}" FROM "rollups"."lanpulse_1h"')


def _policies(influx: InfluxDB16) -> dict[str, str]:
    rows = influx_rows(influx, DB, "SHOW RETENTION POLICIES")
    return {str(r["name"]): str(r["duration"]) for r in rows}


async def test_reload_applies_rollups(influxd: InfluxDB16, tmp_path: Path) -> None:
    config = tmp_path / "lanpulse.yaml"
    first = "  raw_retention: 400d\n  fields: {lanpulse: {gauges: [devices]}}"
    _config(config, influxd, first)
    async with running(config) as run:
        await until(lambda: _policies(influxd).get("rollups") == "17520h0m0s")
        await until(lambda: len(influx_rows(influxd, DB, 'SELECT "polls" FROM "lanpulse"')) >= 2)
        assert not _rolled(influxd, "devices_count")  # the hour is open

        # Other fields, other retention: the open hour of `devices` is written at once,
        # and both writers set their policies up again.
        second = "  raw_retention: 300d\n  retention: 800d\n  fields: {lanpulse: {gauges: [polls]}}"
        _config(config, influxd, second)
        assert await run.daemon.reload()
        await until(lambda: len(_rolled(influxd, "devices_count")) == 1)
        await until(lambda: _policies(influxd) == {"autogen": "7200h0m0s", "rollups": "19200h0m0s"})
        stage = next(s for s in run.daemon.sinks if isinstance(s, RollupSink))
        assert stage.grace_ns == 1_000_000_000
        await until(lambda: stage.stats().rollup_series == 1)  # `polls` is being rolled up

        # Off: the stage stops (its open hour written), no more rollups.
        _config(config, influxd, second + "\n  enabled: false")
        assert await run.daemon.reload()
        assert not any(isinstance(s, RollupSink) for s in run.daemon.sinks)
        await until(lambda: len(_rolled(influxd, "polls_count")) == 1)

        # On again.
        _config(config, influxd, second)
        assert await run.daemon.reload()
        stage = next(s for s in run.daemon.sinks if isinstance(s, RollupSink))
        await until(lambda: stage.stats().rollup_series == 1)
    assert run.daemon.stats.reload_failures == 0
