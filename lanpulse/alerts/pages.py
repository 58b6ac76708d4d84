"""What a person paged at 3 am needs, added to each notification as annotations.

Device facts (address, group and site from the inventory; sysLocation, sysContact and
model from the device's own samples when its profile collects them), the value with its
unit next to the rule's threshold, when the problem began and how long it has lasted (or
lasted, once resolved) in the configured time zone, and links: the device's Grafana
dashboard at that time, the daemon's status page, the rule's runbook.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from lanpulse.alerts.rules import Rule
from lanpulse.alerts.template import format_value, render
from lanpulse.core.model import AlertEvent, Sample

NS = 1_000_000_000
DEVICE_DASHBOARD = "/d/lanpulse-device"  # lanpulse.dashboards.device.UID
# Tag names a profile may give the device's own description (SNMPv2-MIB system group).
FACT_TAGS = {
    "location": ("location", "sys_location", "syslocation"),
    "contact": ("contact", "sys_contact", "syscontact"),
    "model": ("model",),
}
# The unit of a field, from the schema's naming conventions.
UNITS = (
    ("_pct", "%"),
    ("_bps", " bit/s"),
    ("_ps", "/s"),
    ("_seconds", " s"),
    ("_bytes", " B"),
    ("_w", " W"),
    ("_celsius", " °C"),
)


def unit_of(field_name: str) -> str:
    """`%` for level_pct, ` bit/s` for in_bps, ... ('' when the name says nothing)."""
    return next((unit for suffix, unit in UNITS if field_name.endswith(suffix)), "")


def human_duration(seconds: float) -> str:
    """`45s`, `12m`, `3h 5m`, `2d 4h`: what a person reads at a glance."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


@dataclass(slots=True)
class PageWriter:
    """Adds the annotations; keeps the latest facts each device reported about itself."""

    rules: Mapping[str, Rule]
    timezone: str = "UTC"
    grafana_url: str | None = None
    status_url: str | None = None
    directory: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    facts: dict[str, dict[str, str]] = field(default_factory=dict)

    def observe(self, samples: Iterable[Sample]) -> None:
        """Note sysLocation/sysContact/model from `device` samples (one per poll)."""
        for s in samples:
            if s.measurement != "device":
                continue
            device = s.tags.get("device")
            if device is None:
                continue
            for fact, names in FACT_TAGS.items():
                value = next((s.tags[n] for n in names if s.tags.get(n)), None)
                if value:
                    self.facts.setdefault(device, {})[fact] = value

    def when(self, ns: int) -> str:
        """A time for people: local to the configured zone, to the second, zone named."""
        local = datetime.fromtimestamp(ns / NS, tz=ZoneInfo(self.timezone))
        return local.strftime("%Y-%m-%d %H:%M:%S %Z")

    def annotate(self, ev: AlertEvent, now_ns: int) -> AlertEvent:
        """`ev` with its annotations (existing ones win)."""
        notes: dict[str, str] = {}
        device = ev.labels.get("device", "")
        known = {**self.directory.get(device, {}), **self.facts.get(device, {})}
        for key in ("address", "location", "contact", "model", "group", "site"):
            value = ev.labels.get(key) or known.get(key)
            if value:
                notes[key] = value
        rule = self.rules.get(ev.rule)
        if rule is not None and ev.value is not None:
            notes["value"] = f"{format_value(ev.value)}{unit_of(rule.field)}"
            notes["field"] = rule.field
        if rule is not None and rule.threshold is not None:
            notes["threshold"] = rule.describe_condition()
        if ev.started_ns:
            end = ev.ended_ns or now_ns
            notes["began"] = self.when(ev.started_ns)
            notes["duration"] = human_duration((end - ev.started_ns) / NS)
            if ev.ended_ns is not None:
                notes["ended"] = self.when(ev.ended_ns)
        if self.grafana_url and device:
            start_ms = (ev.started_ns or now_ns) // 1_000_000 - 3_600_000
            to = str((ev.ended_ns + 900 * NS) // 1_000_000) if ev.ended_ns else "now"
            notes["grafana_url"] = (
                f"{self.grafana_url.rstrip('/')}{DEVICE_DASHBOARD}?var-device={quote(device)}"
                f"&from={start_ms}&to={to}"
            )
        if self.status_url:
            notes["status_url"] = self.status_url
        if rule is not None and rule.runbook_url:
            notes["runbook_url"] = render(rule.runbook_url, dict(ev.labels))
        return replace(ev, annotations={**notes, **ev.annotations})
