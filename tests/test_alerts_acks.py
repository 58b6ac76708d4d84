"""Acknowledgements through `AlertController.ack`: one rule for what a reference names,
whether the alert is held here or by another poller-group member (`elsewhere`), and the
end of an acknowledgement that arrives for an alert that is no longer firing."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanpulse.alerts.control import AlertController, ElsewhereUnavailable, FiringAlert, names
from lanpulse.alerts.rules import load_rules
from lanpulse.alerts.service import AlertingService
from lanpulse.alerts.yamlsrc import parse_yaml
from lanpulse.config.alerting import AlertingSettings
from lanpulse.core.model import Sample

S = 1_000_000_000
T0 = 1_800_000_000 * S
RULES = """
rules:
  - {name: device_down, measurement: device, field: up, below: 1, severity: critical}
"""


def dev(name: str, up: int) -> Sample:
    return Sample("device", {"device": name, "class": "switch"}, {"up": up}, 0)


def controller(tmp_path: Path) -> tuple[AlertingService, AlertController]:
    settings = AlertingSettings.model_validate({"state_file": None, "dependency_wait": 0})
    rules = load_rules(parse_yaml(RULES, "r.yaml"))
    svc = AlertingService.from_settings(settings, rules, base_dir=tmp_path)
    return svc, AlertController(lambda: svc, lambda _samples: None, clock=lambda: T0 + 10 * S)


def test_a_reference_names_an_id_a_prefix_or_every_series_of_a_rule_on_a_device() -> None:
    alert = FiringAlert("9a1b2c3d4e5f", "device_down", "sw1")
    assert names("9a1b2c3d4e5f", alert) and names("9a1b", alert)
    assert names("device_down/sw1", alert)
    assert not names("device_down/sw2", alert)
    assert not names("port_down/sw1", alert)
    assert not names("9a1c", alert)
    assert not names("device_down/sw1", alert._replace(device=None))


async def test_an_ack_naming_nothing_here_is_resolved_against_the_alerts_elsewhere(
    tmp_path: Path,
) -> None:
    svc, control = controller(tmp_path)
    svc.observe([dev("here", 0)], T0)  # fires at once (no `for`)
    (local,) = control_alerts(svc)
    asked: list[int] = []
    remote = [
        FiringAlert("0123456789ab", "device_down", "there"),
        FiringAlert("0123456789ab", "device_down", "there"),  # a handed-over device, twice
        FiringAlert("fedcba987654", "device_down", "elsewhere"),
    ]

    async def elsewhere() -> list[FiringAlert]:
        asked.append(1)
        return remote

    control.elsewhere = elsewhere
    # An alert held here is acknowledged here: the others are not asked.
    assert await control.ack("device_down/here", "", "alice") == [local]
    assert asked == []
    assert await control.ack("device_down/there", "on it", "alice") == ["0123456789ab"]
    assert svc.book.acks["0123456789ab"].comment == "on it"
    assert await control.ack("fedc", "", "alice") == ["fedcba987654"]  # an id prefix
    assert await control.ack("device_down/nowhere", "", "alice") == []
    assert set(svc.book.acks) == {local, "0123456789ab", "fedcba987654"}

    async def unreachable() -> list[FiringAlert]:
        raise ElsewhereUnavailable("not connected to zookeeper")

    control.elsewhere = unreachable
    with pytest.raises(ElsewhereUnavailable):
        await control.ack("device_down/there", "", "alice")
    assert await control.ack("device_down/here", "", "bob") == [local]  # here still works


async def test_an_adopted_ack_of_an_alert_here_that_resolved_ends_at_once(
    tmp_path: Path,
) -> None:
    """Another member acknowledged from a view up to a publish period old: the alert had
    resolved here meanwhile. Kept, the acknowledgement would hold its next firing."""
    svc, control = controller(tmp_path)
    svc.observe([dev("sw1", 0), dev("sw2", 0)], T0)
    (resolved,), (firing,) = control_alerts(svc, "sw1"), control_alerts(svc, "sw2")
    svc.observe([dev("sw1", 1)], T0 + S)  # sw1 resolves (its state is kept a while)
    assert control_alerts(svc, "sw1") == [resolved]
    svc.book.ack(resolved, "alice", T0 + 2 * S)  # as the group's set brings them
    svc.book.ack(firing, "alice", T0 + 2 * S)
    svc.book.ack("0123456789ab", "alice", T0 + 2 * S)  # another member's alert
    control.book_changed()
    assert set(svc.book.acks) == {firing, "0123456789ab"}


def control_alerts(svc: AlertingService, device: str | None = None) -> list[str]:
    """Ids of the engine's alerts (of `device`), whatever their state."""
    from lanpulse.alerts.identity import alert_id

    engine = svc.engine
    return [
        alert_id(engine.labels(st))
        for st in engine.alerts.values()
        if device is None or st.tags.get("device") == device
    ]
