"""`lanpulse report capacity`: the capacity planner's report from the rollups.

lanpulse report capacity -c FILE [--since 90d | --month 2026-11 | --week 2026-W43] [--site S]
    [--format html|csv|json] [--out PATH] [--email]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from lanpulse.cli.check_cmd import add_config_argument
from lanpulse.config.durations import parse_duration
from lanpulse.config.loader import LoadedConfig, load_config
from lanpulse.core.errors import ConfigError, LanpulseError
from lanpulse.parsers.rollups import NS, Calendar
from lanpulse.reports.capacity import CapacityReport, build_report
from lanpulse.reports.render import FORMATS
from lanpulse.reports.sections import Period
from lanpulse.reports.source import InfluxQLSource, RollupSource

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def register(sub: argparse._SubParsersAction) -> None:
    """Add `report capacity`."""
    p = sub.add_parser("report", help="capacity reports from the rollups")
    kinds = p.add_subparsers(dest="report_kind", metavar="KIND")
    kinds.required = True
    cap = kinds.add_parser("capacity", help="links, access ports, storage, printers, desktops")
    add_config_argument(cap)
    when = cap.add_mutually_exclusive_group()
    when.add_argument("--since", help="the period up to now, e.g. 90d (default reports.since)")
    when.add_argument("--month", help="one calendar month, YYYY-MM (rollups.timezone)")
    when.add_argument("--week", help="one ISO week, YYYY-Www, e.g. 2026-W43 (rollups.timezone)")
    cap.add_argument("--site", help="only devices whose `site` label is this")
    cap.add_argument(
        "--format", choices=sorted(FORMATS), default="html", help="html (default), csv or json"
    )
    cap.add_argument("--out", type=Path, help="file to write (default: standard output)")
    cap.add_argument(
        "--email", action="store_true", help="mail the HTML report (alerting.email's server)"
    )
    cap.set_defaults(func=run_capacity)


def period_of(args: argparse.Namespace, loaded: LoadedConfig, now_ns: int) -> Period:
    """The report period from `--month` or `--since` (ConfigError naming the option)."""
    calendar = Calendar(loaded.settings.rollups.timezone)
    if args.month:
        match = _MONTH.match(args.month)
        if not match:
            raise ConfigError(f"expected a month as YYYY-MM, got {args.month!r}", key="--month")
        start, end = calendar.month(int(match.group(1)), int(match.group(2)))
        return Period(start, end, calendar)
    if getattr(args, "week", None):
        match = _WEEK.match(args.week)
        try:
            if not match:
                raise ValueError
            start, end = calendar.week(int(match.group(1)), int(match.group(2)))
        except ValueError:
            raise ConfigError(
                f"expected an ISO week as YYYY-Www (W01..W53), got {args.week!r}", key="--week"
            ) from None
        return Period(start, end, calendar)
    since = loaded.settings.reports.since
    if args.since:
        try:
            since = parse_duration(args.since)
        except ValueError as exc:
            raise ConfigError(str(exc), key="--since") from None
        if since <= 0:
            raise ConfigError("expected a duration above 0, e.g. 90d", key="--since")
    return Period(now_ns - int(since * NS), now_ns, calendar)


def source_of(loaded: LoadedConfig) -> RollupSource:
    """Where the rollups are: the configured InfluxDB, else the local rollup spool."""
    influx = loaded.settings.influxdb
    if influx is None:
        from lanpulse.reports.spool_source import SpoolSource
        from lanpulse.timeseries.rollup_target import rollup_spool

        return SpoolSource(Path(rollup_spool(loaded.settings.spool).directory))
    try:
        return InfluxQLSource(influx, loaded.settings.rollups)
    except ValueError as exc:
        raise ConfigError(str(exc), file=loaded.path, key="influxdb") from None


def make_report(args: argparse.Namespace, now_ns: int | None = None) -> CapacityReport:
    """Load the config and compute the report the arguments ask for."""
    loaded = load_config(args.config)
    period = period_of(args, loaded, now_ns if now_ns is not None else time.time_ns())
    groups = {d.name: d.group for d in loaded.devices if d.group}
    return build_report(
        source_of(loaded), period, loaded.settings.reports, groups=groups, site=args.site
    )


def run_capacity(args: argparse.Namespace) -> int:
    """Write (and optionally mail) the capacity report."""
    report = make_report(args)
    text = FORMATS[args.format](report)
    if args.out:
        try:
            args.out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise LanpulseError(f"cannot write {args.out}: {exc.strerror}") from None
    elif not args.email:
        sys.stdout.write(text)
    if args.email:
        from lanpulse.reports.mail import mail_report

        mail_report(load_config(args.config), report)
    return 0
