"""`lanpulse rollups backfill`: hourly and daily rollups of the raw history in InfluxDB.

lanpulse rollups backfill -c FILE --since 400d|YYYY-MM-DD [--until YYYY-MM-DD|DURATION]
    [--lookback 1h]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from datetime import datetime

from lanpulse.cli.check_cmd import add_config_argument
from lanpulse.config.durations import parse_duration
from lanpulse.config.loader import LoadedConfig, load_config
from lanpulse.core.errors import ConfigError, LanpulseError
from lanpulse.core.model import Sample
from lanpulse.parsers.roles import PortNeighbors
from lanpulse.parsers.rollups import NS, Calendar, field_plans
from lanpulse.pipeline.roles import build_role_tagger
from lanpulse.reports.backfill import Backfill, DayCount
from lanpulse.reports.source import InfluxQLSource
from lanpulse.timeseries.factory import build_writer
from lanpulse.timeseries.lineprotocol import encode_samples
from lanpulse.timeseries.rollup_target import rollup_influx, rollup_policies
from lanpulse.timeseries.writer import Writer

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BATCH = 5000  # rollup points per write


def register(sub: argparse._SubParsersAction) -> None:
    """Add `rollups backfill`."""
    p = sub.add_parser("rollups", help="rollups of history written before the rollup stage ran")
    actions = p.add_subparsers(dest="rollups_action", metavar="ACTION")
    actions.required = True
    fill = actions.add_parser(
        "backfill", help="compute the hourly and daily rollups from the raw points in InfluxDB"
    )
    add_config_argument(fill)
    fill.add_argument(
        "--since",
        required=True,
        help="first day: a date YYYY-MM-DD or a duration back from now, e.g. 400d",
    )
    fill.add_argument(
        "--until",
        help="end (exclusive): a date or a duration back from now (default: today's midnight; "
        "only whole days are rolled up)",
    )
    fill.add_argument(
        "--lookback",
        default="1h",
        help="raw history read before each day, for counters' first increase (default 1h: "
        "at least the longest poll interval)",
    )
    fill.set_defaults(func=run_backfill)


def _when(text: str, option: str, calendar: Calendar, now_ns: int) -> int:
    """A date (local midnight of rollups.timezone) or a duration back from now, in ns."""
    if _DATE.match(text):
        try:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=calendar.zone)
        except ValueError:
            raise ConfigError(f"expected a date YYYY-MM-DD, got {text!r}", key=option) from None
        return calendar.day(int(day.timestamp()) * NS)[0]
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise ConfigError(f"{exc}; or a date YYYY-MM-DD", key=option) from None
    return now_ns - int(seconds * NS)


def _history(loaded: LoadedConfig) -> InfluxQLSource:
    influx = loaded.settings.influxdb
    if influx is None:
        raise ConfigError(
            "the backfill reads raw history through InfluxQL: configure `influxdb:`",
            file=loaded.path,
            key="influxdb",
        )
    try:
        return InfluxQLSource(influx, loaded.settings.rollups, raw=True)
    except ValueError as exc:
        raise ConfigError(str(exc), file=loaded.path, key="influxdb") from None


def run_backfill(args: argparse.Namespace, now_ns: int | None = None) -> int:
    """Roll up each whole local day of the range; print one line per day."""
    loaded = load_config(args.config)
    settings = loaded.settings
    history = _history(loaded)
    assert settings.influxdb is not None
    now = now_ns if now_ns is not None else time.time_ns()
    calendar = Calendar(settings.rollups.timezone)
    start = _when(args.since, "--since", calendar, now)
    end = _when(args.until, "--until", calendar, now) if args.until else calendar.day(now)[0]
    try:
        lookback = parse_duration(args.lookback)
    except ValueError as exc:
        raise ConfigError(str(exc), key="--lookback") from None
    tagger = build_role_tagger(settings.roles, loaded.devices, PortNeighbors())
    backfill = Backfill(
        history,
        field_plans(settings.rollups.fields),
        settings.rollups.timezone,
        tagger=tagger,
        lookback_ns=int(lookback * NS),
    )
    days = backfill.days(start, end)
    if not days:
        raise ConfigError("no whole day between --since and --until", key="--since")
    writer = build_writer(
        rollup_influx(settings.influxdb, settings.rollups),
        rollup_policies(settings.influxdb, settings.rollups),
    )
    return asyncio.run(_run(backfill, days, writer, calendar))


async def _run(
    backfill: Backfill, days: list[tuple[int, int]], writer: Writer, calendar: Calendar
) -> int:
    total = DayCount()
    try:
        for start, end in days:
            date = calendar.date_of(start)
            count = DayCount()
            try:
                batch: list[Sample] = []
                for rollup in backfill.day(start, end, count):
                    batch.append(rollup)
                    if len(batch) >= BATCH:
                        await _write(writer, batch)
                        batch = []
                await _write(writer, batch)
            except LanpulseError as exc:
                raise LanpulseError(
                    f"{exc} — stopped at {date}; what is written is whole days before it: "
                    f"resume with --since {date}"
                ) from None
            total.raw_points += count.raw_points
            total.rollups += count.rollups
            print(f"{date}: {count.rollups} rollups from {count.raw_points} raw points")
            sys.stdout.flush()
    finally:
        await writer.close()
    print(
        f"backfilled {len(days)} days to {writer.describe()}: {total.rollups} rollups "
        f"from {total.raw_points} raw points"
    )
    return 0


async def _write(writer: Writer, batch: list[Sample]) -> None:
    encoded = encode_samples(batch)
    if encoded.points:
        await writer.write(encoded.lines, encoded.points)
