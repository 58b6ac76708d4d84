"""The alert engine's state machine, with an injected clock (every test runs instantly)."""

from __future__ import annotations

from collections.abc import Mapping

from lanpulse.alerts.engine import AlertEngine, EngineOptions
from lanpulse.alerts.identity import alert_id
from lanpulse.alerts.records import active_alerts, alert_samples, notifiable
from lanpulse.alerts.rules import load_rules
from lanpulse.alerts.yamlsrc import parse_yaml
from lanpulse.core.model import AlertEvent, Sample
from lanpulse.core.schema import validate_sample

S = 1_000_000_000
T0 = 1_800_000_000 * S

RULES = """
rules:
  - {name: device_down, measurement: device, field: up, below: 1, for: 30s, severity: critical,
     summary: "{device} does not answer"}
  - {name: toner_low, measurement: printer_supply, field: level_pct, below: 10, clear_above: 15,
     match: {supply_type: toner}, severity: warning, summary: "{device} {supply} at {value}%"}
  - {name: cpu_high, measurement: host, field: cpu_pct, above: 90, clear_below: 85, for: 60s}
  - {name: port_down, measurement: interface, field: oper_status, not_equal: 1,
     when: {admin_status: 1}, only_after_ok: true}
  - {name: volume_silent, measurement: storage, field: used_pct, absent: true, for: 10m}
"""


def engine(**kw: object) -> AlertEngine:
    rules = load_rules(parse_yaml(RULES, "rules.yaml"))
    opts = kw.pop("options", EngineOptions(dependency_wait_s=0))
    return AlertEngine(rules, options=opts, **kw)  # type: ignore[arg-type]


def dev(name: str, up: int, parent_tags: Mapping[str, str] | None = None) -> Sample:
    return Sample("device", {"device": name, "class": "switch"}, {"up": up}, 0)


def toner(level: float, supply_type: str = "toner") -> Sample:
    tags = {
        "device": "p1",
        "class": "printer",
        "supply": "Black",
        "supply_index": "1",
        "supply_type": supply_type,
    }
    return Sample("printer_supply", tags, {"level_pct": level}, 0)


def cpu(value: float) -> Sample:
    return Sample("host", {"device": "d1", "class": "desktop"}, {"cpu_pct": value}, 0)


def states(events: list[AlertEvent]) -> list[tuple[str, str, str | None]]:
    return [(e.rule, e.state, e.suppressed_by) for e in events]


def sent(events: list[AlertEvent]) -> list[tuple[str, str]]:
    return [(e.rule, e.state) for e in notifiable(events)]


def test_pending_then_firing_after_for_then_resolved() -> None:
    e = engine()
    ev = e.observe([dev("sw1", 0)], T0)
    assert states(ev) == [("device_down", "pending", "pending")]
    assert sent(ev) == []
    assert e.tick(T0 + 29 * S) == []
    ev = e.tick(T0 + 30 * S)
    assert sent(ev) == [("device_down", "firing")]
    assert ev[0].summary == "sw1 does not answer"
    assert ev[0].labels["alertname"] == "device_down" and ev[0].labels["device"] == "sw1"
    assert e.observe([dev("sw1", 0)], T0 + 60 * S) == []  # still firing: no new event
    ev = e.observe([dev("sw1", 1)], T0 + 90 * S)
    assert sent(ev) == [("device_down", "resolved")]
    assert ev[0].ended_ns == T0 + 90 * S and ev[0].started_ns == T0
    assert active_alerts(e) == []


def test_pending_that_clears_never_notifies() -> None:
    e = engine()
    e.observe([dev("sw1", 0)], T0)
    ev = e.observe([dev("sw1", 1)], T0 + 10 * S)
    assert states(ev) == [("device_down", "inactive", "never fired")]
    assert e.tick(T0 + 60 * S) == []


def test_firing_on_observation_once_for_elapsed() -> None:
    e = engine()
    e.observe([cpu(95)], T0)
    ev = e.observe([cpu(96)], T0 + 60 * S)
    assert sent(ev) == [("cpu_high", "firing")]


def test_identity_is_rule_plus_series_tags() -> None:
    e = engine()
    e.observe([dev("sw1", 0), dev("sw2", 0)], T0)
    ev = e.tick(T0 + 30 * S)
    assert sorted(x.labels["device"] for x in notifiable(ev)) == ["sw1", "sw2"]
    # The same tags in another order are the same series.
    s = Sample("device", {"class": "switch", "device": "sw1"}, {"up": 1}, 0)
    ev = e.observe([s], T0 + 40 * S)
    assert [(x.state, x.labels["device"]) for x in ev] == [("resolved", "sw1")]


def test_hysteresis_below_with_clear_above() -> None:
    e = engine()
    ev = e.observe([toner(8)], T0)
    assert sent(ev) == [("toner_low", "firing")]
    assert ev[0].summary == "p1 Black at 8%"
    assert e.observe([toner(12)], T0 + 60 * S) == []  # between 10 and 15: still firing
    assert e.observe([toner(15)], T0 + 120 * S) == []  # at the clear threshold: still firing
    ev = e.observe([toner(15.5)], T0 + 180 * S)
    assert sent(ev) == [("toner_low", "resolved")]
    assert e.observe([toner(12)], T0 + 240 * S) == []  # not active: 12 does not trigger


def test_hysteresis_above_with_clear_below() -> None:
    e = engine()
    e.observe([cpu(91)], T0)
    assert sent(e.tick(T0 + 60 * S)) == [("cpu_high", "firing")]
    assert e.observe([cpu(86)], T0 + 70 * S) == []
    assert sent(e.observe([cpu(84.9)], T0 + 80 * S)) == [("cpu_high", "resolved")]


def test_tag_matchers_exclude_other_series() -> None:
    e = engine()
    assert e.observe([toner(2, supply_type="drum")], T0) == []


def test_only_after_ok_and_field_guard() -> None:
    e = engine()
    tags = {"device": "sw1", "class": "switch", "if_index": "1", "if_name": "ge-0/0/1"}

    def port(oper: int, admin: int = 1) -> Sample:
        return Sample("interface", tags, {"oper_status": oper, "admin_status": admin}, 0)

    assert e.observe([port(2)], T0) == []  # never seen up: an unused port stays quiet
    assert e.observe([port(1)], T0 + 60 * S) == []
    assert sent(e.observe([port(2)], T0 + 120 * S)) == [("port_down", "firing")]
    assert sent(e.observe([port(1)], T0 + 180 * S)) == [("port_down", "resolved")]
    assert e.observe([port(2, admin=2)], T0 + 240 * S) == []  # shut down on purpose


def test_absent_series() -> None:
    e = engine()
    vol = Sample(
        "storage",
        {"device": "nas", "class": "storage", "volume": "/", "storage_type": "fixed_disk"},
        {"used_pct": 50.0},
        0,
    )
    e.observe([vol], T0)
    assert e.tick(T0 + 599 * S) == []
    ev = e.tick(T0 + 600 * S)
    assert sent(ev) == [("volume_silent", "firing")]
    assert ev[0].summary == "volume_silent on nas: used_pct is n/a"
    assert e.tick(T0 + 2 * 3600 * S) == []  # absence never goes stale
    assert sent(e.observe([vol], T0 + 2 * 3600 * S + 1)) == [("volume_silent", "resolved")]


def test_flapping_notified_once_then_quiet_until_stable() -> None:
    e = engine(options=EngineOptions(flap_transitions=4, flap_window_s=600, dependency_wait_s=0))
    out: list[tuple[str, str]] = []
    t = T0
    for level in (5, 20, 5, 20, 5, 20, 5, 20):  # toner_low has no `for`: each flip transitions
        out += sent(e.observe([toner(level)], t))
        out += sent(e.tick(t))
        t += 60 * S
    assert out == [
        ("toner_low", "firing"),
        ("toner_low", "resolved"),
        ("toner_low", "firing"),
        ("toner_low", "flapping"),
    ]
    # Stable (resolved) for a whole window: one resolution, then nothing.
    assert sent(e.tick(t + 600 * S)) == [("toner_low", "resolved")]
    assert e.tick(t + 1200 * S) == []
    assert e.alerts == {}


def test_behind_counts_only_the_children_that_do_not_answer() -> None:
    # Issue 16: "3 device(s) behind core-sw1 are unreachable" when two were (the count was
    # the topology's, not the outage's).
    e = engine(parents={"pr1": "core-sw1", "pr2": "core-sw1", "pr3": "core-sw1"})
    e.observe([dev("core-sw1", 0), dev("pr1", 0), dev("pr2", 0), dev("pr3", 1)], T0)
    (page,) = notifiable(e.tick(T0 + 30 * S))
    assert "2 of the 3 device(s) behind core-sw1 do not answer either: pr1, pr2." in (
        page.description
    )


def test_dependencies_suppress_children_and_count_them() -> None:
    parents = {"sw2": "core", "pc1": "sw2", "pc2": "sw2", "pc3": "core"}
    e = engine(parents=parents)
    e.observe([dev("pc1", 0), dev("core", 0), dev("pc2", 0), dev("pc3", 0), dev("sw2", 0)], T0)
    ev = e.tick(T0 + 30 * S)
    assert sent(ev) == [("device_down", "firing")]
    (page,) = notifiable(ev)
    assert page.labels["device"] == "core"
    assert "4 of the 4 device(s) behind core do not answer either: pc1, pc2, pc3, sw2." in (
        page.description
    )
    quiet = {x.labels["device"]: x.suppressed_by for x in ev if x.suppressed_by}
    assert quiet == {
        "pc1": "parent:sw2",
        "pc2": "parent:sw2",
        "pc3": "parent:core",
        "sw2": "parent:core",
    }
    # Everything comes back: one resolution, children were never notified.
    ev = e.observe([dev(n, 1) for n in ("core", "sw2", "pc1", "pc2", "pc3")], T0 + 90 * S)
    assert sent(ev) == [("device_down", "resolved")]
    assert e.tick(T0 + 400 * S) == []


def test_child_still_down_after_parent_recovers_is_notified_later() -> None:
    e = engine(parents={"pc1": "sw1"}, options=EngineOptions(dependency_wait_s=60))
    e.observe([dev("sw1", 0), dev("pc1", 0)], T0)
    assert sent(e.tick(T0 + 30 * S)) == [("device_down", "firing")]
    assert sent(e.observe([dev("sw1", 1)], T0 + 60 * S)) == [("device_down", "resolved")]
    assert sent(e.tick(T0 + 100 * S)) == []  # the parent is recovering: wait for the child
    ev = e.tick(T0 + 121 * S)
    assert sent(ev) == [("device_down", "firing")] and ev[0].labels["device"] == "pc1"


def test_child_waits_for_a_parent_polled_later() -> None:
    e = engine(parents={"pc1": "sw1"}, options=EngineOptions(dependency_wait_s=60))
    e.observe([dev("pc1", 0)], T0)
    ev = e.tick(T0 + 30 * S)
    assert states(ev) == [("device_down", "firing", "waiting for parent")]
    e.observe([dev("sw1", 0)], T0 + 45 * S)  # the parent turns out to be down too
    assert sent(e.tick(T0 + 75 * S)) == [("device_down", "firing")]
    assert sent(e.tick(T0 + 200 * S)) == []


def test_maintenance_records_but_does_not_notify() -> None:
    from lanpulse.alerts.maintenance import MaintenanceWindow

    window = MaintenanceWindow(
        "upgrade", devices=frozenset({"sw1"}), start_ns=T0, end_ns=T0 + 3600 * S
    )
    e = engine(maintenance=[window])
    e.observe([dev("sw1", 0)], T0)
    ev = e.tick(T0 + 30 * S)
    assert states(ev) == [("device_down", "firing", "maintenance:upgrade")]
    assert [s.fields["state"] for s in alert_samples(ev)] == [2]  # still recorded
    assert e.tick(T0 + 1800 * S) == []
    assert e.observe([dev("sw1", 0)], T0 + 3000 * S) == []
    # Still down after the window: now it is notified.
    assert sent(e.tick(T0 + 3600 * S)) == [("device_down", "firing")]


def test_stale_firing_alert_resolves() -> None:
    e = engine(options=EngineOptions(stale_after_s=600, dependency_wait_s=0))
    e.observe([toner(3)], T0)
    ev = e.tick(T0 + 600 * S)
    assert sent(ev) == [("toner_low", "resolved")]
    assert "no longer reported" in ev[0].description


def test_alert_samples_follow_the_schema() -> None:
    e = engine()
    ev = (
        e.observe([dev("sw1", 0)], T0)
        + e.tick(T0 + 30 * S)
        + e.observe([dev("sw1", 1)], T0 + 60 * S)
    )
    samples = alert_samples(ev)
    assert [s.fields["state"] for s in samples] == [1, 2, 0]
    assert samples[0].tags == {
        "rule": "device_down",
        "severity": "critical",
        "device": "sw1",
        "class": "switch",
        "alert_id": alert_id(ev[0].labels),
    }
    assert samples[0].fields == {"state": 1, "muted": 0, "acked": 0, "value": 0.0}
    for s in samples:
        assert validate_sample(s) == []


def test_active_alerts_explain_why() -> None:
    e = engine()
    e.observe([dev("sw1", 0), toner(4)], T0)
    listing = {(a.rule, a.state): a for a in active_alerts(e)}
    assert listing[("device_down", "pending")].why == "device.up below 1 for 30s"
    assert listing[("toner_low", "firing")].value == "4"


def test_pending_alert_of_a_silent_series_does_not_fire() -> None:
    e = engine(options=EngineOptions(stale_after_s=600, dependency_wait_s=0))
    e.observe([cpu(99)], T0)  # pending, needs 60 s
    ev = e.tick(T0 + 700 * S)  # no sample since: not confirmed, dropped
    assert states(ev) == [("cpu_high", "inactive", "never fired")]
