"""InfluxQL targets for Grafana panels, and Grafana's macro expansion for proving them.

The grafana-foundation-sdk ships no InfluxDB query type, so this module supplies one: a
frozen dataclass that serialises to the target shape Grafana's InfluxDB plugin stores for a
raw InfluxQL query (`rawQuery: true`, `query`, `resultFormat`, `alias`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models import dashboard as model

ResultFormat = Literal["time_series", "table"]

# Every dashboard talks to one InfluxDB data source, named by uid in the settings.
DEFAULT_DATASOURCE_UID = "lanpulse-influxdb"


def datasource_ref(uid: str = DEFAULT_DATASOURCE_UID) -> model.DataSourceRef:
    """The reference a panel or variable uses to name the lanpulse InfluxDB data source."""
    return model.DataSourceRef(type_val="influxdb", uid=uid)


@dataclass(frozen=True, slots=True)
class InfluxQLQuery(cogvariants.Dataquery):
    """One raw InfluxQL target of a panel."""

    ref_id: str
    query: str
    result_format: ResultFormat = "time_series"
    alias: str = ""
    datasource_uid: str = DEFAULT_DATASOURCE_UID

    def to_json(self) -> dict[str, object]:
        """The target as Grafana's InfluxDB plugin stores it."""
        out: dict[str, object] = {
            "refId": self.ref_id,
            "datasource": {"type": "influxdb", "uid": self.datasource_uid},
            "rawQuery": True,
            "query": self.query,
            "resultFormat": self.result_format,
        }
        if self.alias:
            out["alias"] = self.alias
        return out


class InfluxQL(cogbuilder.Builder[cogvariants.Dataquery]):
    """Builder wrapper so an `InfluxQLQuery` can be passed to the SDK's `with_target`."""

    def __init__(self, query: InfluxQLQuery) -> None:
        self._query = query

    def build(self) -> cogvariants.Dataquery:
        """The target."""
        return self._query


# --- proving queries: Grafana's macro expansion, as the InfluxDB plugin does it -------------

_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")


@dataclass(frozen=True, slots=True)
class MacroValues:
    """What Grafana substitutes into a query before sending it to InfluxDB."""

    time_range: str = "6h"
    interval: str = "1m"
    variables: Mapping[str, str] | None = None  # name -> regex-ready value; default `.*`


def expand_macros(query: str, values: MacroValues, time_from: str | None = None) -> str:
    """`query` with $timeFilter, $__interval, $interval and template variables filled in.

    `time_from` is a panel's relative time override (e.g. `30d`), which Grafana uses for
    $timeFilter instead of the dashboard's range.
    """
    span = time_from or values.time_range
    variables = dict(values.variables or {})

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name == "timeFilter":
            return f"time > now() - {span}"
        if name in ("__interval", "interval"):
            return values.interval
        if name == "__interval_ms":
            return "60000"
        return variables.get(name, ".*")

    return _VARIABLE.sub(replace, query)


@dataclass(frozen=True, slots=True)
class QueryRef:
    """Where a query lives in an exported dashboard: for error messages and proof."""

    dashboard_uid: str
    where: str  # panel title or `variable <name>`
    ref_id: str
    query: str
    result_format: str
    time_from: str | None = None


def queries_of(dashboard: Mapping[str, Any]) -> list[QueryRef]:
    """Every InfluxQL query of every panel (rows included) and template variable."""
    uid = str(dashboard.get("uid", ""))
    found: list[QueryRef] = []

    def walk(panels: list[Any]) -> None:
        for panel in panels:
            walk(panel.get("panels") or [])
            for target in panel.get("targets") or []:
                found.append(
                    QueryRef(
                        uid,
                        str(panel.get("title", "")),
                        str(target.get("refId", "")),
                        str(target.get("query", "")),
                        str(target.get("resultFormat", "time_series")),
                        panel.get("timeFrom"),
                    )
                )

    walk(list(dashboard.get("panels") or []))
    for var in (dashboard.get("templating") or {}).get("list") or []:
        if var.get("type") == "query":
            found.append(
                QueryRef(uid, f"variable {var.get('name')}", "var", str(var.get("query")), "table")
            )
    return found
