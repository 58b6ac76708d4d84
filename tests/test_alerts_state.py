"""Persisted alert state: a restart neither re-notifies firing alerts nor forgets timers."""

from __future__ import annotations

import json
from pathlib import Path

from lanpulse.alerts.engine import AlertEngine, EngineOptions
from lanpulse.alerts.records import notifiable
from lanpulse.alerts.rules import load_rules
from lanpulse.alerts.service import AlertingService
from lanpulse.alerts.store import StateStore, restore, snapshot
from lanpulse.alerts.yamlsrc import parse_yaml
from lanpulse.config.alerting import AlertingSettings
from lanpulse.core.model import Sample

S = 1_000_000_000
T0 = 1_800_000_000 * S
RULES = """
rules:
  - {name: device_down, measurement: device, field: up, below: 1, for: 30s, severity: critical}
  - {name: port_down, measurement: interface, field: oper_status, not_equal: 1, only_after_ok: true}
"""


def engine() -> AlertEngine:
    return AlertEngine(
        load_rules(parse_yaml(RULES, "r.yaml")), options=EngineOptions(dependency_wait_s=0)
    )


def dev(name: str, up: int) -> Sample:
    return Sample("device", {"device": name, "class": "switch"}, {"up": up}, 0)


def port(oper: int) -> Sample:
    tags = {"device": "sw1", "class": "switch", "if_index": "3", "if_name": "Gi0/3"}
    return Sample("interface", tags, {"oper_status": oper}, 0)


def restarted(before: AlertEngine, tmp_path: Path, now: int) -> AlertEngine:
    store = StateStore(tmp_path / "state.json")
    store.save(snapshot(before))
    after = engine()
    data = store.load()
    assert data is not None
    restore(after, data, now)
    return after


def test_firing_alert_is_not_renotified_after_restart(tmp_path: Path) -> None:
    e = engine()
    e.observe([dev("sw1", 0)], T0)
    assert len(notifiable(e.tick(T0 + 30 * S))) == 1
    e2 = restarted(e, tmp_path, T0 + 60 * S)
    assert notifiable(e2.observe([dev("sw1", 0)], T0 + 60 * S) + e2.tick(T0 + 65 * S)) == []
    ev = notifiable(e2.observe([dev("sw1", 1)], T0 + 120 * S))
    assert [(x.state, x.started_ns) for x in ev] == [("resolved", T0)]


def test_pending_timer_survives_a_restart(tmp_path: Path) -> None:
    e = engine()
    e.observe([dev("sw1", 0)], T0)
    e2 = restarted(e, tmp_path, T0 + 20 * S)
    assert e2.tick(T0 + 29 * S) == []
    assert [x.state for x in notifiable(e2.tick(T0 + 30 * S))] == ["firing"]


def test_seen_healthy_series_survive_a_restart(tmp_path: Path) -> None:
    e = engine()
    e.observe([port(1)], T0)
    e2 = restarted(e, tmp_path, T0 + S)
    assert [x.state for x in notifiable(e2.observe([port(2)], T0 + 2 * S))] == ["firing"]


def test_save_is_atomic_and_a_corrupt_file_is_set_aside(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "sub" / "state.json")
    store.save({"version": 1, "alerts": []})
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["state.json"]
    (tmp_path / "sub" / "state.json").write_text("{not json")
    assert store.load() is None
    assert (tmp_path / "sub" / "state.json.corrupt").exists()
    assert store.load() is None  # nothing left: a fresh start


def test_service_checkpoints_engine_and_undelivered_queue(tmp_path: Path) -> None:
    settings = AlertingSettings.model_validate(
        {
            "state_file": "var/state.json",
            "webhook": {"url": "http://127.0.0.1:9/unused"},
            "routes": [{"receivers": ["webhook"], "group_wait": "1h"}],
        }
    )
    rules = load_rules(parse_yaml(RULES, "r.yaml"))
    svc = AlertingService.from_settings(settings, rules, base_dir=tmp_path)
    samples = svc.observe([dev("sw1", 0)], T0)
    assert [s.fields["state"] for s in samples] == [1]
    samples = svc.tick(T0 + 30 * S)  # fires (no parent, no wait) and checkpoints
    assert [s.fields["state"] for s in samples] == [2]
    data = json.loads((tmp_path / "var" / "state.json").read_text())
    assert data["alerts"][0]["notified_as"] == "firing"
    assert data["dispatcher"][0]["pending"][0]["rule"] == "device_down"

    svc2 = AlertingService.from_settings(settings, rules, base_dir=tmp_path)
    assert svc2.load_state(T0 + 40 * S) == 1
    assert svc2.dispatcher.queued("webhook") == 1  # the undelivered mail is still due
    assert svc2.observe([dev("sw1", 0)], T0 + 60 * S) == []


def test_reload_keeps_firing_alerts_and_drops_removed_rules(tmp_path: Path) -> None:
    settings = AlertingSettings.model_validate({"state_file": None})
    rules = load_rules(parse_yaml(RULES, "r.yaml"))
    svc = AlertingService.from_settings(settings, rules, base_dir=tmp_path)
    svc.observe([dev("sw1", 0), port(1)], T0)
    svc.tick(T0 + 30 * S)
    svc.observe([port(2)], T0 + 40 * S)
    only_down = [r for r in rules if r.name == "device_down"]
    new = svc.reload(
        AlertingService.from_settings(settings, only_down, base_dir=tmp_path), T0 + 50 * S
    )
    assert [k[0] for k in new.engine.alerts] == ["device_down"]
    assert new.observe([dev("sw1", 0)], T0 + 60 * S) == []  # no re-notification
    assert [s.fields["state"] for s in new.observe([dev("sw1", 1)], T0 + 70 * S)] == [0]


def test_alerts_firing_agrees_with_the_alert_measurement_across_a_reload(tmp_path: Path) -> None:
    # Issue 16: /metrics said 14 firing while the `alert` measurement had 16. alerts_firing
    # is now counted from what was written, and a reload that removes a rule writes its
    # alerts' resolution instead of leaving them firing in the measurement.
    settings = AlertingSettings.model_validate({"state_file": None, "dependency_wait": 0})
    rules = load_rules(parse_yaml(RULES, "r.yaml"))
    svc = AlertingService.from_settings(settings, rules, base_dir=tmp_path)
    written: dict[tuple[str, str], int] = {}

    def write(samples: list[Sample]) -> None:
        for s in samples:
            written[(s.tags["rule"], s.tags["alert_id"])] = int(s.fields["state"])

    write(svc.observe([port(1)], T0))
    write(svc.observe([dev("sw1", 0), dev("sw2", 0), port(2)], T0 + S))
    write(svc.tick(T0 + 40 * S))
    firing_in_measurement = sum(1 for state in written.values() if state == 2)
    assert svc.firing() == firing_in_measurement == 3
    # The reload removes port_down and makes device_down `warning` (new alert identities).
    edited = load_rules(parse_yaml(RULES.replace("critical", "warning"), "r.yaml"))
    only_down = [r for r in edited if r.name == "device_down"]
    new = AlertingService.from_settings(settings, only_down, base_dir=tmp_path)
    svc = svc.reload(new, T0 + 50 * S)
    write(svc.orphans(T0 + 50 * S))
    assert svc.firing() == sum(1 for state in written.values() if state == 2) == 2
