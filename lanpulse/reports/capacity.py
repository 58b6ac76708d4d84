"""The capacity report: every section over one period, from one rollup source."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lanpulse.config.capacity import ReportSettings
from lanpulse.reports import sections as sec
from lanpulse.reports.source import RollupSource, Series


@dataclass(frozen=True, slots=True)
class CapacityReport:
    """What `lanpulse report capacity` shows, as data (rendered to html, csv or json)."""

    period_start: str  # local dates, end exclusive
    period_end: str
    timezone: str
    site: str | None
    link_threshold_pct: float
    desktop_threshold_pct: float
    links: list[sec.LinkRow]
    access_ports: list[sec.SwitchPorts]
    storage: list[sec.VolumeForecast]
    printers: list[sec.PrinterMonths]
    busiest_printers: list[str]
    idlest_printers: list[str]
    supplies: list[sec.SupplyRate]
    desktops: list[sec.DesktopGroup]
    months: list[str]


class SiteSource:
    """Only the series of one site (the `site` label)."""

    def __init__(self, source: RollupSource, site: str) -> None:
        self.source = source
        self.site = site

    def series(
        self, measurement: str, fields: Sequence[str], start_ns: int, end_ns: int
    ) -> list[Series]:
        """The inner source's series whose `site` tag is this site."""
        found = self.source.series(measurement, fields, start_ns, end_ns)
        return [s for s in found if s.tags.get("site") == self.site]


def build_report(
    source: RollupSource,
    period: sec.Period,
    settings: ReportSettings,
    *,
    groups: Mapping[str, str] | None = None,
    site: str | None = None,
) -> CapacityReport:
    """Compute every section of the capacity report."""
    if site is not None:
        source = SiteSource(source, site)
    printers = sec.printer_pages(source, period)
    busiest, idlest = sec.busiest(printers)
    calendar = period.calendar
    return CapacityReport(
        period_start=calendar.date_of(period.start_ns),
        period_end=calendar.date_of(period.end_ns),
        timezone=str(calendar.zone),
        site=site,
        link_threshold_pct=settings.link_threshold_pct,
        desktop_threshold_pct=settings.desktop_threshold_pct,
        links=sec.links(source, period, settings.link_threshold_pct),
        access_ports=sec.access_ports(source, period),
        storage=sec.storage(source, period, settings.storage_window, settings.storage_fit),
        printers=printers,
        busiest_printers=busiest,
        idlest_printers=idlest,
        supplies=sec.supplies(source, period),
        desktops=sec.desktops(source, period, groups or {}, settings.desktop_threshold_pct),
        months=period.months(),
    )
