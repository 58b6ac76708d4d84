"""Shared panel, variable and dashboard helpers on top of the grafana-foundation-sdk builders.

Each dashboard module composes these; the choices that should look the same everywhere
(units, legends, thresholds, the links between dashboards) live here once.

(~420 lines: one small helper per panel kind over the SDK builders; splitting them by kind
would only scatter the shared defaults they all use.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from grafana_foundation_sdk.builders import bargauge, common, stat, statetimeline, table, timeseries
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as model

from lanpulse.dashboards.query import InfluxQL, InfluxQLQuery, ResultFormat, datasource_ref
from lanpulse.dashboards.styles import (  # re-exported: dashboard modules use p.<name>
    ADMIN_STATUS,
    ALERT_STATE,
    BPS,
    BYTES,
    DEVICE_STATUS,
    FLAG,
    HEALTH,
    OPER_STATUS,
    PER_SECOND,
    PERCENT,
    POE_STATUS,
    PRINTER_STATUS,
    SECONDS,
    SHORT,
    SUPPLY_STATE,
    UP_DOWN,
    WATT,
    high_is_bad,
    low_is_bad,
    steps,
    value_map,
)

__all__ = [
    "ADMIN_STATUS",
    "ALERT_STATE",
    "BPS",
    "BYTES",
    "DEVICE_STATUS",
    "FLAG",
    "HEALTH",
    "OPER_STATUS",
    "PERCENT",
    "PER_SECOND",
    "POE_STATUS",
    "PRINTER_STATUS",
    "SECONDS",
    "SHORT",
    "SUPPLY_STATE",
    "TAG",
    "UP_DOWN",
    "WATT",
    "Q",
    "bars",
    "column",
    "device_variable",
    "graph",
    "high_is_bad",
    "listing",
    "low_is_bad",
    "new_dashboard",
    "row",
    "single",
    "site_variable",
    "steps",
    "tag_variable",
    "timeline",
    "value_map",
]

TAG = "lanpulse"


@dataclass(frozen=True, slots=True)
class Q:
    """A query as written in a dashboard module: InfluxQL text, format and legend alias."""

    sql: str
    alias: str = ""
    fmt: ResultFormat = "time_series"


PanelT = TypeVar("PanelT")


def _framed(panel: PanelT, title: str, description: str, w: int, h: int) -> PanelT:
    """Title, description, lanpulse data source and grid size: what every panel starts with."""
    builder: Any = panel  # the SDK's panel builders share these methods but no base class
    return cast(
        PanelT,
        builder.title(title)
        .description(description)
        .datasource(datasource_ref())
        .span(w)
        .height(h),
    )


def _targets(queries: Sequence[Q]) -> list[InfluxQL]:
    return [
        InfluxQL(InfluxQLQuery(chr(ord("A") + i), q.sql, q.fmt, q.alias))
        for i, q in enumerate(queries)
    ]


def _legend(table_legend: bool) -> common.VizLegendOptions:
    legend = common.VizLegendOptions().show_legend(True).placement(cm.LegendPlacement.BOTTOM)
    if table_legend:
        return legend.display_mode(cm.LegendDisplayMode.TABLE).calcs(["mean", "max", "lastNotNull"])
    return legend.display_mode(cm.LegendDisplayMode.LIST)


def graph(
    title: str,
    unit: str,
    queries: Sequence[Q],
    *,
    w: int = 12,
    h: int = 8,
    minimum: float | None = None,
    maximum: float | None = None,
    thresholds: dash.ThresholdsConfig | None = None,
    description: str = "",
    negative_y: str | None = None,
    time_from: str | None = None,
    bars: bool = False,
) -> timeseries.Panel:
    """A time series panel with a table legend (mean, max, last) under it."""
    panel = (
        _framed(timeseries.Panel(), title, description, w, h)
        .unit(unit)
        .legend(_legend(True))
        .fill_opacity(10)
        .span_nulls(False)
    )
    for target in _targets(queries):
        panel = panel.with_target(target)
    if minimum is not None:
        panel = panel.min(minimum)
    if maximum is not None:
        panel = panel.max(maximum)
    if thresholds is not None:
        panel = panel.thresholds(thresholds).thresholds_style(
            common.GraphThresholdsStyleConfig().mode(cm.GraphThresholdsStyleMode.DASHED)
        )
    if negative_y:
        # Outbound below the axis, inbound above: the usual way to read a link.
        panel = panel.override_by_regexp(
            negative_y, [model.DynamicConfigValue(id_val="custom.transform", value="negative-Y")]
        )
    if time_from:
        panel = panel.time_from(time_from)
    if bars:
        panel = panel.draw_style(cm.GraphDrawStyle.BARS).fill_opacity(60)
    return panel


def single(
    title: str,
    unit: str,
    query: Q,
    *,
    w: int = 6,
    h: int = 4,
    thresholds: dash.ThresholdsConfig | None = None,
    mappings: list[model.ValueMapping] | None = None,
    description: str = "",
) -> stat.Panel:
    """A stat panel showing the last value, coloured by its thresholds."""
    panel = (
        _framed(stat.Panel(), title, description, w, h)
        .unit(unit)
        .graph_mode(cm.BigValueGraphMode.AREA)
        .color_mode(cm.BigValueColorMode.BACKGROUND)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .thresholds(thresholds or steps((None, "green")))
    )
    for target in _targets([query]):
        panel = panel.with_target(target)
    if mappings:
        panel = panel.mappings(mappings)
    return panel


def listing(
    title: str,
    queries: Sequence[Q],
    *,
    w: int = 12,
    h: int = 8,
    unit: str = SHORT,
    thresholds: dash.ThresholdsConfig | None = None,
    columns: dict[str, list[model.DynamicConfigValue]] | None = None,
    sort_by: str | None = None,
    descending: bool = True,
    description: str = "",
    time_from: str | None = None,
    show_time: bool = False,
) -> table.Panel:
    """A table of InfluxQL `table`-format results; `columns` styles columns by name."""
    panel = (
        _framed(table.Panel(), title, description, w, h)
        .unit(unit)
        .thresholds(thresholds or steps((None, "green")))
    )
    if not show_time:
        # InfluxQL returns the time of the selected point; in a "current state" table it is noise.
        panel = panel.override_by_name(
            "Time", [model.DynamicConfigValue(id_val="custom.hidden", value=True)]
        )
    for target in _targets(queries):
        panel = panel.with_target(target)
    if len(queries) > 1:
        panel = panel.with_transformation(model.DataTransformerConfig(id_val="merge", options={}))
    for name, props in (columns or {}).items():
        panel = panel.override_by_name(name, props)
    if sort_by:
        panel = panel.sort_by(
            [common.TableSortByFieldState().display_name(sort_by).desc(descending)]
        )
    if time_from:
        panel = panel.time_from(time_from)
    return panel


def column(
    unit: str | None = None,
    mappings: list[model.ValueMapping] | None = None,
    thresholds: dash.ThresholdsConfig | None = None,
    cell: str | None = None,
    link: tuple[str, str] | None = None,
    hidden: bool = False,
) -> list[model.DynamicConfigValue]:
    """Field overrides for one table column: unit, mappings, thresholds, cell type, link,
    hidden (a column a query needs but the table need not show)."""
    props: list[model.DynamicConfigValue] = []
    if hidden:
        props.append(model.DynamicConfigValue(id_val="custom.hidden", value=True))
    if unit:
        props.append(model.DynamicConfigValue(id_val="unit", value=unit))
    if mappings:
        props.append(
            model.DynamicConfigValue(id_val="mappings", value=[m.to_json() for m in mappings])
        )
    if thresholds:
        props.append(
            model.DynamicConfigValue(id_val="thresholds", value=thresholds.build().to_json())
        )
    if cell:
        props.append(model.DynamicConfigValue(id_val="custom.cellOptions", value={"type": cell}))
    if link:
        title, url = link
        props.append(model.DynamicConfigValue(id_val="links", value=[{"title": title, "url": url}]))
    return props


def bars(
    title: str,
    unit: str,
    queries: Sequence[Q],
    *,
    w: int = 12,
    h: int = 8,
    thresholds: dash.ThresholdsConfig | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    description: str = "",
) -> bargauge.Panel:
    """A horizontal bar gauge of each series' last value (levels, fullness)."""
    panel = (
        _framed(bargauge.Panel(), title, description, w, h)
        .unit(unit)
        .display_mode(cm.BarGaugeDisplayMode.GRADIENT)
        .orientation(cm.VizOrientation.HORIZONTAL)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .thresholds(thresholds or steps((None, "green")))
    )
    for target in _targets(queries):
        panel = panel.with_target(target)
    if minimum is not None:
        panel = panel.min(minimum)
    if maximum is not None:
        panel = panel.max(maximum)
    return panel


def timeline(
    title: str,
    queries: Sequence[Q],
    mappings: list[model.ValueMapping],
    *,
    w: int = 24,
    h: int = 8,
    description: str = "",
) -> statetimeline.Panel:
    """A state timeline: one lane per series, coloured by the value mappings."""
    panel = (
        _framed(statetimeline.Panel(), title, description, w, h)
        .mappings(mappings)
        .show_value(cm.VisibilityMode.AUTO)
        .merge_values(True)
        .thresholds(steps((None, "green")))
    )
    for target in _targets(queries):
        panel = panel.with_target(target)
    return panel


def row(title: str) -> dash.Row:
    """A section heading across the dashboard."""
    return dash.Row(title)


# --- template variables --------------------------------------------------------------------


def tag_variable(
    name: str, label: str, query: str, *, multi: bool = True, with_all: bool = True
) -> dash.QueryVariable:
    """A query variable from `SHOW TAG VALUES`, with All meaning the regex `.*`.

    `with_all=False`: one value must be chosen (Grafana opens on the first); a per-device
    dashboard over All devices x All interfaces would draw ~24,000 series on the estate.
    """
    var = (
        dash.QueryVariable(name)
        .label(label)
        .datasource(datasource_ref())
        .query(query)
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_CASE_INSENSITIVE_ASC)
        .multi(multi)
        .include_all(with_all)
    )
    if with_all:
        # Queries use `=~ /^$var$/`; `.*` for All keeps them short and matches a missing tag.
        var = var.all_value(".*").current(
            model.VariableOption(selected=True, text="All", value="$__all")
        )
    return var


# Interfaces left out of interface panels and top-N lists by default: loopbacks and virtual
# interfaces (VLAN SVIs, tunnels, bridges, containers) carry no traffic of their own, or
# only what a physical port already counts (names as IF-MIB ifName reports them).
VIRTUAL_IF = "/^(lo|Lo|Loopback|Null|Vl|Vlan|vlan|veth|docker|br-|virbr|tun|tap|Tunnel)/"
NOT_VIRTUAL = f'"if_name" !~ {VIRTUAL_IF}'
# Interface role (uplink, access, server): a `role` tag where profiles or config rules set
# one; without it `.*` (All) still matches, a chosen role narrows to tagged interfaces.
ROLE = '"role" =~ /^$role$/'


def role_variable() -> dash.QueryVariable:
    """`role` of an interface, from its `role` tag (see docs/dashboards.md)."""
    return tag_variable("role", "Role", 'SHOW TAG VALUES FROM "interface" WITH KEY = "role"')


def site_variable(measurement: str = "device") -> dash.QueryVariable:
    """`site`: the inventory label every sample carries."""
    return tag_variable("site", "Site", f'SHOW TAG VALUES FROM "{measurement}" WITH KEY = "site"')


def device_variable(
    measurement: str = "device", class_regex: str = "$class", *, multi: bool = True
) -> dash.QueryVariable:
    """`device`, narrowed by site and class (a fixed regex, or the `class` variable); a
    choice to make (no All): per-device dashboards must not open on the whole estate."""
    return tag_variable(
        "device",
        "Device",
        f'SHOW TAG VALUES FROM "{measurement}" WITH KEY = "device" '
        f'WHERE "site" =~ /^$site$/ AND "class" =~ /^{class_regex}$/',
        multi=multi,
        with_all=False,
    )


# --- dashboards ----------------------------------------------------------------------------


def new_dashboard(uid: str, title: str, description: str) -> dash.Dashboard:
    """A lanpulse dashboard: stable uid, 6 h range, 1 min refresh, links to its siblings."""
    return (
        dash.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG])
        .editable()
        .timezone("browser")
        .time("now-6h", "now")
        .refresh("1m")
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .annotation(
            # Alert state changes the alerting engine posts to Grafana (tagged `lanpulse`).
            dash.AnnotationQuery()
            .name("lanpulse alerts")
            .datasource(model.DataSourceRef(type_val="grafana", uid="-- Grafana --"))
            .enable(True)
            .hide(False)
            .icon_color("red")
            .target(dash.AnnotationTarget().type("tags").tags([TAG]).match_any(True).limit(100))
        )
        .link(
            dash.DashboardLink("lanpulse")
            .type(model.DashboardLinkType.DASHBOARDS)
            .tags([TAG])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
    )
