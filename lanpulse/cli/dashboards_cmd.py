"""`lanpulse dashboards`: list, export (files for provisioning) and publish (Grafana API)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lanpulse.cli.check_cmd import add_config_argument
from lanpulse.core.errors import ConfigError, LanpulseError

if TYPE_CHECKING:
    from lanpulse.config.grafana import DatasourceSettings, FolderSettings


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `dashboards` sub-command and its actions."""
    p = sub.add_parser("dashboards", help="export or publish the Grafana dashboards")
    actions = p.add_subparsers(dest="dashboards_action", metavar="ACTION")
    actions.required = True

    ls = actions.add_parser("list", help="list the dashboards, their uids and query counts")
    ls.set_defaults(func=run_list)

    ex = actions.add_parser("export", help="write dashboard JSON and provisioning files")
    ex.add_argument("--out", required=True, type=Path, help="directory to write into")
    add_config_argument(ex, optional=True, what="take data source and folder from this config")
    ex.add_argument(
        "--dashboards-path",
        default=None,
        help="where Grafana will read the JSON files (for the dashboard provider)",
    )
    ex.set_defaults(func=run_export)

    pub = actions.add_parser("publish", help="publish to Grafana through its HTTP API")
    add_config_argument(pub)
    pub.add_argument(
        "--force", action="store_true", help="overwrite dashboards a person edited in Grafana"
    )
    pub.set_defaults(func=run_publish)


def run_list(args: argparse.Namespace) -> int:
    """Print uid, title, panel count and query count of every dashboard."""
    from lanpulse.dashboards.catalog import render_all
    from lanpulse.dashboards.query import queries_of

    for d in render_all():
        panels = len(d.model.get("panels") or [])
        print(f"{d.uid:<20} {d.title:<34} {panels:>3} panels {len(queries_of(d.model)):>3} queries")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write the export into --out."""
    from lanpulse.dashboards.export import (
        DEFAULT_DASHBOARDS_PATH,
        DEFAULT_DATASOURCE,
        export_files,
        write_export,
    )

    datasource, folder = DEFAULT_DATASOURCE, None
    if args.config:
        datasource, folder = _export_settings(args.config)
    files = export_files(datasource, folder, args.dashboards_path or DEFAULT_DASHBOARDS_PATH)
    try:
        written = write_export(args.out, files)
    except OSError as exc:
        raise LanpulseError(f"cannot write to {args.out}: {exc.strerror or exc}") from None
    print(f"wrote {len(written)} files to {args.out}")
    return 0


def _export_settings(path: str) -> tuple[DatasourceSettings, FolderSettings | None]:
    """The `grafana:` section's data source and folder; without one, a data source made from
    the `influxdb:` section (where the daemon writes is where the dashboards read)."""
    from lanpulse.config.grafana import DatasourceSettings
    from lanpulse.config.loader import load_config
    from lanpulse.dashboards.settings_file import NoGrafanaSection, load_grafana_settings

    try:
        settings = load_grafana_settings(path)
    except NoGrafanaSection:
        pass
    else:
        return settings.datasource, settings.folder
    influx = load_config(path).settings.influxdb
    if influx is None:
        raise ConfigError(
            "no grafana: or influxdb: section to take the data source from", file=path
        )
    if influx.api == "v1":
        return DatasourceSettings(
            url=influx.url, database=influx.database or "lanpulse", user=influx.username
        ), None
    # v2: Grafana's InfluxQL mode reads the bucket through a DBRP mapping of the same name
    return DatasourceSettings(url=influx.url, database=influx.bucket or "lanpulse"), None


def run_publish(args: argparse.Namespace) -> int:
    """Publish; exit 1 when a dashboard was refused because a person edited it."""
    from lanpulse.dashboards.publisher import publish_all
    from lanpulse.dashboards.settings_file import load_grafana_settings

    settings = load_grafana_settings(args.config)
    report = publish_all(settings, force=args.force)
    for line in report.lines():
        print(line)
    for refused in report.refused:
        print(
            f"refused: dashboard {refused.title!r} (uid {refused.uid}) was changed in Grafana "
            "since lanpulse published it; run with --force to overwrite it",
            file=sys.stderr,
        )
    return 1 if report.refused else 0
