"""The `rollups:` and `reports:` sections: history that lasts, and capacity reports.

Rollups are computed in the pipeline (parsers/rollups.py), so they are the same on InfluxDB
1.x, 2.x/3.x and VictoriaMetrics; on 1.x lanpulse also creates the retention policies.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lanpulse.config.durations import PositiveDuration
from lanpulse.config.paths import ConfigPath


class RollupFields(BaseModel):
    """Which fields of one measurement are rolled up, and how."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # min / mean / max / p95 per period.
    gauges: tuple[str, ...] = ()
    # Exact period totals: the sum of the non-negative increases between polls.
    counters: tuple[str, ...] = ()
    # min / max only (states, link speeds).
    extremes: tuple[str, ...] = ()


# What a capacity planner asks about (docs/capacity.md): link load, port use, storage
# growth, pages and toner, desktop CPU and memory.
DEFAULT_ROLLUP_FIELDS: dict[str, RollupFields] = {
    "interface": RollupFields(
        gauges=("in_bps", "out_bps", "in_util_pct", "out_util_pct"),
        counters=("in_octets", "out_octets"),
        extremes=("oper_status", "speed_bps"),
    ),
    "storage": RollupFields(gauges=("used_bytes", "size_bytes", "used_pct")),
    "raid": RollupFields(gauges=("used_bytes", "size_bytes")),
    "host": RollupFields(gauges=("cpu_pct", "mem_used_pct")),
    "printer": RollupFields(counters=("page_count", "page_count_mono", "page_count_color")),
    "printer_supply": RollupFields(gauges=("level_pct",)),
}


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}, expected an IANA name such as Europe/London or UTC"
        ) from None
    return value


class RollupSettings(BaseModel):
    """Hourly and daily aggregates, and how long raw data and rollups are kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # Days (and the months of the reports) begin at midnight in this zone.
    timezone: Annotated[str, Field(min_length=1)] = "UTC"
    # InfluxDB 1.x: lanpulse creates (or alters) these retention policies on first write.
    manage_retention: bool = True
    raw_retention: PositiveDuration = 35 * 86400.0
    # The database's default policy (InfluxDB's own is `autogen`): its duration is set, so
    # dashboards and queries that name no policy keep finding the raw points.
    raw_retention_policy: str = "autogen"
    retention: PositiveDuration = 730 * 86400.0
    retention_policy: str = "rollups"
    # InfluxDB 2.x/3.x: the bucket rollups are written to (created by the operator).
    bucket: str | None = None
    # A bucket is emitted this long after its period ended (late polls still count).
    grace: PositiveDuration = 300.0
    fields: dict[str, RollupFields] = Field(default_factory=lambda: dict(DEFAULT_ROLLUP_FIELDS))
    # How often predictive alert rules (`timeleft:` / `forecast:`) are fitted over the rollups.
    predict_interval: PositiveDuration = 900.0

    _check_zone = field_validator("timezone")(_zone)


_POLYNOMIAL = re.compile(r"^polynomial[1-6]$")


def check_fit_name(name: str) -> str:
    """The forecast fit name if lanpulse knows it (reports/forecast.py); ValueError otherwise."""
    if name in ("linear", "exponential", "logarithmic", "power") or _POLYNOMIAL.match(name):
        return name
    raise ValueError(
        f"unknown fit {name!r}, expected linear, polynomial1..polynomial6, exponential, "
        "logarithmic or power"
    )


class ScheduleSettings(BaseModel):
    """When a report is made and mailed (local time of `rollups.timezone`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every: Literal["month", "week", "day"] = "month"
    day: Annotated[int, Field(ge=1, le=28)] = 1  # day of the month (month) or ISO weekday (week)
    at: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "07:00"


class ReportSettings(BaseModel):
    """Thresholds of the capacity report, and its schedule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    link_threshold_pct: Annotated[float, Field(gt=0, le=100)] = 70.0
    desktop_threshold_pct: Annotated[float, Field(gt=0, le=100)] = 80.0
    storage_window: PositiveDuration = 30 * 86400.0
    # linear, polynomial1..6, exponential, logarithmic or power (reports/forecast.py).
    storage_fit: str = "linear"
    # Report periods: `--since` default.
    since: PositiveDuration = 90 * 86400.0
    # Where `--email` and the schedule send the HTML report: `alerting.email`'s server.
    email_to: list[str] = Field(default_factory=list)
    schedule: ScheduleSettings | None = None
    out_dir: ConfigPath = Field(default="var/reports", validate_default=True)

    _check_fit = field_validator("storage_fit")(check_fit_name)
