"""The capacity report as HTML (one self-contained file with SVG charts), CSV or JSON."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Callable, Sequence
from html import escape

from lanpulse.reports.capacity import CapacityReport
from lanpulse.reports.svg import bar_chart, line_chart

GB = 1e9


def _num(value: float | None, fmt: str = "{:.1f}", none: str = "-") -> str:
    return none if value is None else fmt.format(value)


def _mbps(bps: float) -> str:
    return f"{bps / 1e6:.1f}"


# --- the tables, once: every format renders these rows --------------------------------------


def _link_rows(report: CapacityReport) -> list[list[str]]:
    return [
        [
            r.device,
            r.interface,
            m.month,
            _mbps(m.in_p95_bps),
            _mbps(m.out_p95_bps),
            _num(m.in_p95_pct),
            _num(m.out_p95_pct),
        ]
        for r in report.links
        for m in r.months
    ]


def _trend_rows(report: CapacityReport) -> list[list[str]]:
    return [
        [
            r.device,
            r.interface,
            _num(r.trend_pct_per_month, "{:+.2f}"),
            r.crosses_threshold or "not within 10 years",
            _num(r.fit_r2, "{:.3f}"),
        ]
        for r in report.links
    ]


def _port_rows(report: CapacityReport) -> list[list[str]]:
    return [
        [
            s.device,
            str(s.ports),
            str(s.used),
            str(len(s.never_up)),
            _num(s.spare_pct),
            " ".join(s.never_up),
        ]
        for s in report.access_ports
    ]


def _storage_rows(report: CapacityReport) -> list[list[str]]:
    rows = []
    for v in report.storage:
        growth = None if v.growth_bytes_per_day is None else v.growth_bytes_per_day / GB
        rows.append(
            [
                v.device,
                v.volume,
                v.kind,
                _num(v.size_bytes / GB),
                _num(v.used_bytes / GB),
                _num(growth, "{:+.3f}"),
                v.status,
                v.date_90 or "-",
                v.date_100 or "-",
                v.fit,
                _num(v.fit_r2, "{:.3f}"),
            ]
        )
    return rows


def _printer_rows(report: CapacityReport) -> list[list[str]]:
    return [
        [p.device, month, str(pages), str(p.mono.get(month, "-")), str(p.colour.get(month, "-"))]
        for p in report.printers
        for month, pages in sorted(p.months.items())
    ]


def _supply_rows(report: CapacityReport) -> list[list[str]]:
    return [
        [
            s.device,
            s.supply,
            _num(s.level_pct),
            _num(s.pct_per_1000_pages, "{:.3f}"),
            _num(s.days_left, "{:.0f}"),
            s.replaced or "-",
        ]
        for s in report.supplies
    ]


def _desktop_rows(report: CapacityReport) -> list[list[str]]:
    return [
        [
            d.group,
            str(d.hosts),
            _num(d.cpu_p95_pct),
            _num(d.mem_p95_pct),
            _num(d.cpu_above_pct) + " %",
            _num(d.mem_above_pct) + " %",
        ]
        for d in report.desktops
    ]


def tables(report: CapacityReport) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Section -> (column names, rows of text), the same in HTML and CSV."""
    limit = f"{report.desktop_threshold_pct:g} %"
    return {
        "links": (
            ["device", "interface", "month", "in p95 Mbit/s", "out p95 Mbit/s", "in %", "out %"],
            _link_rows(report),
        ),
        "link_trends": (
            [
                "device",
                "interface",
                "trend %/month",
                f"crosses {report.link_threshold_pct:g} %",
                "R²",
            ],
            _trend_rows(report),
        ),
        "access_ports": (
            ["switch", "ports", "used", "never up", "spare %", "never-up ports"],
            _port_rows(report),
        ),
        "storage": (
            [
                "device",
                "volume",
                "kind",
                "size GB",
                "used GB",
                "growth GB/day",
                "status",
                "90 % on",
                "100 % on",
                "fit",
                "R²",
            ],
            _storage_rows(report),
        ),
        "printers": (["printer", "month", "pages", "mono", "colour"], _printer_rows(report)),
        "supplies": (
            ["printer", "supply", "level %", "% per 1,000 pages", "days until empty", "replaced"],
            _supply_rows(report),
        ),
        "desktops": (
            [
                "group",
                "hosts",
                "CPU p95 %",
                "memory p95 %",
                f"hosts CPU > {limit}",
                f"hosts memory > {limit}",
            ],
            _desktop_rows(report),
        ),
    }


def to_json(report: CapacityReport) -> str:
    """Every number of the report, unrounded."""
    return json.dumps(dataclasses.asdict(report), indent=2, sort_keys=False) + "\n"


def to_csv(report: CapacityReport) -> str:
    """One CSV: a `section` column, then each section's columns (a header row per section)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for section, (columns, rows) in tables(report).items():
        writer.writerow(["section", *columns])
        for row in rows:
            writer.writerow([section, *row])
    return buffer.getvalue()


# --- HTML ----------------------------------------------------------------------------------

TITLES = {
    "links": "Uplinks: monthly 95th percentile",
    "link_trends": "Uplinks: trend and threshold",
    "access_ports": "Access ports never up (spare capacity)",
    "storage": "Storage: growth and forecast",
    "printers": "Printers: pages per calendar month",
    "supplies": "Toner: use and days until empty",
    "desktops": "Desktops: CPU and memory",
}

STYLE = (
    "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
    "margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:2px 8px;font-size:13px;"
    "text-align:right}td:first-child,th:first-child{text-align:left}h2{margin-top:1.5em}"
)


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _charts(report: CapacityReport) -> dict[str, Callable[[], str]]:
    months = report.months

    def links() -> str:
        series = {}
        for r in report.links:
            by = {m.month: max(m.in_p95_pct or 0, m.out_p95_pct or 0) for m in r.months}
            series[f"{r.device} {r.interface}"] = [by.get(m) for m in months]
        limit = report.link_threshold_pct
        return line_chart("Uplink p95 (% of link)", months, series, unit=" %", threshold=limit)

    def ports() -> str:
        return bar_chart(
            "Spare access ports per switch",
            [(s.device, len(s.never_up)) for s in report.access_ports],
        )

    def storage() -> str:
        bars = [
            (f"{v.device} {v.volume}", 100 * v.used_bytes / v.size_bytes)
            for v in report.storage
            if v.size_bytes
        ]
        return bar_chart("Storage used (%)", bars, unit=" %")

    def printers() -> str:
        series = {
            p.device: [float(p.months[m]) if m in p.months else None for m in months]
            for p in report.printers
        }
        return line_chart("Pages per month", months, series)

    def supplies() -> str:
        bars = [(f"{s.device} {s.supply}", s.days_left or 0.0) for s in report.supplies]
        return bar_chart("Days until toner is empty", bars, unit=" d")

    def desktops() -> str:
        bars = [(d.group, d.cpu_p95_pct) for d in report.desktops]
        return bar_chart("Desktop CPU p95 per group (%)", bars, unit=" %")

    return {
        "link_trends": links,
        "access_ports": ports,
        "storage": storage,
        "printers": printers,
        "supplies": supplies,
        "desktops": desktops,
    }


def to_html(report: CapacityReport) -> str:
    """One self-contained HTML page: styles inline, charts as inline SVG, no script."""
    where = f", site {escape(report.site)}" if report.site else ""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>lanpulse capacity report {escape(report.period_start)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Capacity report {escape(report.period_start)} to {escape(report.period_end)}</h1>",
        f"<p>Calendar months in {escape(report.timezone)}{where}; the end date is excluded.</p>",
    ]
    charts = _charts(report)
    for section, (columns, rows) in tables(report).items():
        parts.append(f"<section id='{section}'><h2>{escape(TITLES[section])}</h2>")
        if section == "printers" and report.printers:
            parts.append(
                f"<p>Busiest: {escape(', '.join(report.busiest_printers))}. "
                f"Idlest: {escape(', '.join(report.idlest_printers))}.</p>"
            )
        if section in charts and rows:
            parts.append(charts[section]())
        parts.append(_table(columns, rows) if rows else "<p>No data in this period.</p>")
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "".join(parts)


FORMATS: dict[str, Callable[[CapacityReport], str]] = {
    "html": to_html,
    "csv": to_csv,
    "json": to_json,
}
