"""Alerts drawn as Grafana annotations, against the fake Grafana HTTP API.

`lanpulse.sim.fake_grafana.FakeGrafana` stands in for a real Grafana server, which cannot be
installed here: it enforces the Authorization header and the annotation body as Grafana does.
"""

from __future__ import annotations

from pathlib import Path

from lanpulse.alerts.rules import load_rules
from lanpulse.alerts.service import AlertingService
from lanpulse.alerts.yamlsrc import parse_yaml
from lanpulse.config.alerting import AlertingSettings
from lanpulse.config.grafana import GrafanaSettings
from lanpulse.core.model import Sample
from lanpulse.sim.fake_grafana import FakeGrafana

S = 1_000_000_000
RULES = (
    "rules:\n  - {name: device_down, measurement: device, field: up, below: 1, for: 30s,\n"
    "     severity: critical, summary: '{device} does not answer'}\n"
)


def _service(fake: FakeGrafana, token: str, now: list[int], tmp: Path) -> AlertingService:
    settings = AlertingSettings.model_validate(
        {
            "grafana_annotations": True,
            "state_file": None,
            "routes": [{"receivers": ["grafana"], "group_wait": "0s", "group_interval": "1s"}],
        }
    )
    grafana = GrafanaSettings.model_validate(
        {"url": fake.url, "token": token, "datasource": {"url": "http://127.0.0.1:8086"}}
    )
    rules = load_rules(parse_yaml(RULES, "rules.yaml"))
    return AlertingService.from_settings(
        settings, rules, base_dir=tmp, grafana=grafana, clock=lambda: now[0]
    )


def _down(up: int, t: int) -> list[Sample]:
    return [Sample("device", {"device": "core-sw1", "class": "switch"}, {"up": up}, t)]


async def test_firing_and_resolved_alerts_become_annotations(tmp_path: Path) -> None:
    now = [1_700_000_000 * S]
    with FakeGrafana(tokens={"tok-1": "Admin"}) as fake:
        service = _service(fake, "tok-1", now, tmp_path)
        for step in range(0, 40, 10):  # down for 30 s: pending, then firing
            now[0] = 1_700_000_000 * S + step * S
            service.observe(_down(0, now[0]), now[0])
            service.tick(now[0])
        await service.dispatcher.flush(now[0])
        now[0] += 60 * S
        service.observe(_down(1, now[0]), now[0])
        await service.dispatcher.flush(now[0])
        anns = fake.state.annotations
    assert [("firing" in a["tags"], "resolved" in a["tags"]) for a in anns] == [
        (True, False),
        (False, True),
    ]
    assert all("device:core-sw1" in a["tags"] and "rule:device_down" in a["tags"] for a in anns)
    assert anns[1]["timeEnd"] > anns[1]["time"]
    assert "core-sw1 does not answer" in anns[0]["text"]


async def test_grafana_refusing_the_token_keeps_the_notification_queued(tmp_path: Path) -> None:
    now = [1_700_000_000 * S]
    with FakeGrafana(tokens={"tok-1": "Admin"}) as fake:
        service = _service(fake, "wrong-token", now, tmp_path)
        for step in range(0, 40, 10):
            now[0] = 1_700_000_000 * S + step * S
            service.observe(_down(0, now[0]), now[0])
            service.tick(now[0])
        await service.dispatcher.flush(now[0])
        assert fake.state.annotations == []
        assert service.dispatcher.stats.failed_attempts >= 1
        assert service.dispatcher.snapshot()  # still queued for a retry, not dropped
