"""Pages a person can act on: the annotations every receiver shows (issue 16)."""

from __future__ import annotations

from lanpulse.alerts.engine import AlertEngine
from lanpulse.alerts.notifiers.base import body_text
from lanpulse.alerts.pages import PageWriter, human_duration
from lanpulse.alerts.records import notifiable
from lanpulse.alerts.rules import load_rules
from lanpulse.alerts.yamlsrc import parse_yaml
from lanpulse.core.model import Sample

S = 1_000_000_000
T0 = 1_800_000_000 * S  # 2027-01-15 08:00:00 UTC
RULES = """\
rules:
  - {name: toner_low, measurement: printer_supply, field: level_pct, below: 10,
     severity: warning, summary: "{device}: {supply} at {value}%",
     runbook_url: "https://wiki.example/printers/{device}"}
"""


def test_a_page_names_the_device_its_place_value_threshold_times_and_links() -> None:
    rules = load_rules(parse_yaml(RULES, "rules.yaml"))
    engine = AlertEngine(rules)
    pages = PageWriter(
        {r.name: r for r in rules},
        timezone="Europe/Berlin",
        grafana_url="http://grafana.example:3000/",
        status_url="https://lanpulse.example:9108/",
        directory={"p1": {"address": "10.1.2.3", "group": "printers", "site": "hq"}},
    )
    device = Sample(
        "device",
        {"device": "p1", "class": "printer", "model": "HL-5370DW", "sys_location": "Floor 2"},
        {"up": 1},
        T0,
    )
    supply = Sample(
        "printer_supply",
        {"device": "p1", "class": "printer", "supply": "Black", "supply_type": "toner"},
        {"level_pct": 7.0},
        T0,
    )
    pages.observe([device, supply])
    (page,) = notifiable(engine.observe([supply], T0))
    notes = pages.annotate(page, T0 + 125 * S).annotations
    assert notes["address"] == "10.1.2.3" and notes["location"] == "Floor 2"
    assert notes["model"] == "HL-5370DW" and notes["group"] == "printers"
    assert notes["value"] == "7%" and notes["threshold"].startswith("printer_supply.level_pct")
    assert notes["began"] == "2027-01-15 09:00:00 CET" and notes["duration"] == "2m"
    assert notes["grafana_url"].startswith(
        "http://grafana.example:3000/d/lanpulse-device?var-device=p1&from="
    )
    assert notes["runbook_url"] == "https://wiki.example/printers/p1"
    refill = Sample("printer_supply", supply.tags, {"level_pct": 80.0}, T0 + 600 * S)
    (back,) = notifiable(engine.observe([refill], T0 + 600 * S))
    gone = pages.annotate(back, T0 + 600 * S)
    assert gone.annotations["duration"] == "10m" and "ended" in gone.annotations
    assert body_text([gone]).startswith("RESOLVED after 10m: toner_low on p1 (level_pct now 80%)")
    text = body_text([pages.annotate(page, T0 + 125 * S)])
    assert "address: 10.1.2.3" in text and "Runbook: https://wiki.example/printers/p1" in text
    assert "(since 2027-01-15 09:00:00 CET, 2m)" in text


def test_human_durations() -> None:
    assert [human_duration(s) for s in (5, 125, 3 * 3600 + 300, 2 * 86400 + 4 * 3600)] == [
        "5s",
        "2m",
        "3h 5m",
        "2d 4h",
    ]
