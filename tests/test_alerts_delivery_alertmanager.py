"""Delivery to a REAL Prometheus Alertmanager (Debian's prometheus-alertmanager), started
here on a free 127.0.0.1 port with a temporary config and storage, and stopped afterwards."""

from __future__ import annotations

import json
import shutil
import socket
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from lanpulse.alerts.dispatcher import Dispatcher
from lanpulse.alerts.engine import AlertEngine, EngineOptions
from lanpulse.alerts.notifiers.alertmanager import AlertmanagerNotifier
from lanpulse.alerts.rules import load_rules
from lanpulse.alerts.service import build_routes
from lanpulse.alerts.yamlsrc import parse_yaml
from lanpulse.config.alerting import AlertingSettings
from lanpulse.core.model import Sample
from lanpulse.sim.alerting import Alertmanager

AM_BIN = "/usr/bin/prometheus-alertmanager"
S = 1_000_000_000

pytestmark = pytest.mark.skipif(shutil.which(AM_BIN) is None, reason="alertmanager missing")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Alertmanager (the shared launcher); yields its base URL."""
    with Alertmanager(tmp_path_factory.mktemp("alertmanager")) as am:
        yield am.url


def am_alerts(url: str, alertname: str, prefix: str = "") -> list[dict[str, object]]:
    """Active alerts named `alertname` (of devices starting with `prefix`) on Alertmanager."""
    with urllib.request.urlopen(f"{url}/api/v2/alerts", timeout=5) as r:
        alerts = json.load(r)
    return [
        a
        for a in alerts
        if a["labels"].get("alertname") == alertname
        and a["labels"].get("device", "").startswith(prefix)
    ]


def ts(text: object) -> float:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()


RULES = """
rules:
  - {name: device_down, measurement: device, field: up, below: 1, for: 30s, severity: critical,
     summary: "{device} does not answer"}
"""


async def test_firing_reposted_and_resolved_on_real_alertmanager(alertmanager: str) -> None:
    # Real wall-clock times: Alertmanager judges endsAt against its own clock.
    start = time.time_ns()
    clock = {"now": start}
    settings = AlertingSettings.model_validate(
        {"alertmanager": {"url": alertmanager, "resolve_timeout": "5m", "resend_interval": "1m"}}
    )
    notifier = AlertmanagerNotifier(alertmanager, resolve_timeout_s=300, clock=lambda: clock["now"])
    dispatcher = Dispatcher({"alertmanager": notifier}, build_routes(settings))
    engine = AlertEngine(
        load_rules(parse_yaml(RULES, "r.yaml")), options=EngineOptions(dependency_wait_s=0)
    )
    down = Sample("device", {"device": "am-sw1", "class": "switch"}, {"up": 0}, start)

    dispatcher.submit(engine.observe([down], start))
    await dispatcher.flush(start)
    assert am_alerts(alertmanager, "device_down") == []  # pending is not sent

    t_fire = start + 30 * S
    clock["now"] = t_fire
    dispatcher.submit(engine.tick(t_fire))
    await dispatcher.flush(t_fire)
    (alert,) = am_alerts(alertmanager, "device_down")
    assert alert["labels"] == {
        "alertname": "device_down",
        "severity": "critical",
        "device": "am-sw1",
        "class": "switch",
    }
    assert alert["annotations"]["summary"] == "am-sw1 does not answer"  # type: ignore[index]
    assert alert["status"]["state"] == "active"  # type: ignore[index]
    first_end = ts(alert["endsAt"])
    assert first_end == pytest.approx(t_fire / 1e9 + 300, abs=2)

    # Re-posted every resend_interval (before the 5 min resolve timeout), pushing endsAt on.
    clock["now"] = t_fire + 59 * S
    assert await dispatcher.flush(clock["now"]) == 0
    clock["now"] = t_fire + 61 * S
    assert await dispatcher.flush(clock["now"]) == 1
    (alert,) = am_alerts(alertmanager, "device_down")
    assert ts(alert["endsAt"]) == pytest.approx(first_end + 61, abs=2)

    # Resolution carries the real end time; Alertmanager no longer lists it as active.
    t_up = time.time_ns()
    clock["now"] = t_up
    up = Sample("device", {"device": "am-sw1", "class": "switch"}, {"up": 1}, t_up)
    dispatcher.submit(engine.observe([up], t_up))
    await dispatcher.flush(t_up + 3600 * S)
    assert am_alerts(alertmanager, "device_down") == []
    assert dispatcher.queued() == 0


async def test_alertmanager_down_then_up_delivers_queued(alertmanager: str) -> None:
    now = time.time_ns()
    dead = f"http://127.0.0.1:{free_port()}"
    notifier = AlertmanagerNotifier(dead, timeout_s=2, clock=lambda: now)
    settings = AlertingSettings.model_validate({"alertmanager": {"url": dead}})
    dispatcher = Dispatcher(
        {"alertmanager": notifier}, build_routes(settings), retry_initial_s=1, retry_max_s=4
    )
    engine = AlertEngine(load_rules(parse_yaml(RULES.replace("for: 30s", "for: 0s"), "r.yaml")))
    # An inventory label that is no valid Prometheus label name must not sink the batch.
    down = Sample(
        "device", {"device": "am-sw2", "class": "switch", "rack-row": "4"}, {"up": 0}, now
    )
    dispatcher.submit(engine.observe([down], now))
    await dispatcher.flush(now)
    assert dispatcher.queued() == 1 and dispatcher.stats.failed_attempts == 1
    notifier.url = f"{alertmanager}/api/v2/alerts"  # Alertmanager is back
    await dispatcher.flush(now + 1 * S)
    assert dispatcher.queued() == 0
    (alert,) = am_alerts(alertmanager, "device_down", "am-sw2")
    assert alert["labels"]["rack_row"] == "4"  # type: ignore[index]


class MailSink:
    """aiosmtpd handler keeping message subjects."""

    def __init__(self) -> None:
        self.subjects: list[str] = []
        self.bodies: list[str] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        from email import message_from_bytes

        msg = message_from_bytes(envelope.content)  # type: ignore[attr-defined]
        self.subjects.append(str(msg["Subject"]))
        self.bodies.append(str(msg.get_payload()))
        return "250 OK"


async def test_dependencies_and_maintenance_reach_real_alertmanager_and_smtp(
    alertmanager: str, tmp_path: Path
) -> None:
    """Engine + dispatcher (no daemon) against the real Alertmanager and an aiosmtpd sink:
    a child down alone pages once; the parent down pages once for the parent (naming how many
    are behind it) and never for the children; a device in maintenance never pages."""
    from aiosmtpd.controller import Controller

    from lanpulse.alerts.service import AlertingService

    sink = MailSink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        # Virtual time just behind the wall clock, so Alertmanager's own clock agrees.
        base = time.time_ns() - 280 * S
        clock = {"now": base}
        settings = AlertingSettings.model_validate(
            {
                "alertmanager": {"url": alertmanager},
                "email": {
                    "host": "127.0.0.1",
                    "port": smtp.port,
                    "from": "lanpulse@example.org",
                    "to": ["oncall@example.org"],
                },
                "routes": [
                    {
                        "receivers": ["email"],
                        "group_by": ["alertname", "device"],
                        "group_wait": "10s",
                        "group_interval": "10s",
                    }
                ],
                "maintenance": [
                    {
                        "name": "swap",
                        "devices": ["sc-pc9"],
                        "start": "2000-01-01T00:00:00Z",
                        "end": "2100-01-01T00:00:00Z",
                    }
                ],
                "dependency_wait": "60s",
                "state_file": None,
            }
        )
        rules = load_rules(parse_yaml(RULES.replace("am-", "sc-"), "r.yaml"))
        parents = {
            "sc-sw1": "sc-core",
            "sc-pc1": "sc-sw1",
            "sc-pc2": "sc-sw1",
            "sc-p1": "sc-sw1",
            "sc-pc9": "sc-core",
        }
        svc = AlertingService.from_settings(
            settings, rules, base_dir=tmp_path, parents=parents, clock=lambda: clock["now"]
        )

        async def at(x: int, up: dict[str, int] | None = None) -> None:
            clock["now"] = base + x * S
            if up:
                svc.observe(
                    [
                        Sample("device", {"device": d, "class": "switch"}, {"up": v}, clock["now"])
                        for d, v in up.items()
                    ],
                    clock["now"],
                )
            svc.tick(clock["now"])
            await svc.dispatcher.flush(clock["now"])

        everyone = ("sc-core", "sc-sw1", "sc-pc1", "sc-pc2", "sc-p1", "sc-pc9")
        await at(0, {d: 1 for d in everyone} | {"sc-pc1": 0, "sc-pc9": 0})
        await at(30)  # pc1 fires, but waits for its parent's verdict
        assert am_alerts(alertmanager, "device_down", "sc-") == []
        await at(60, {"sc-pc1": 0, "sc-sw1": 1, "sc-pc9": 0})
        await at(90)  # parent is fine: pc1 is paged, once
        assert [a["labels"]["device"] for a in am_alerts(alertmanager, "device_down", "sc-")] == [
            "sc-pc1"
        ]  # type: ignore[index]
        await at(100)
        await at(120, {"sc-pc1": 1})  # back: one resolution
        await at(130)
        assert am_alerts(alertmanager, "device_down", "sc-") == []

        # The switch dies: everything behind it goes silent (up=0) at the same poll.
        await at(140, {"sc-sw1": 0, "sc-pc1": 0, "sc-pc2": 0, "sc-p1": 0})
        await at(170)
        await at(200, {"sc-sw1": 0, "sc-pc1": 0, "sc-pc2": 0, "sc-p1": 0, "sc-core": 1})
        await at(230)
        await at(240)
        (alert,) = am_alerts(alertmanager, "device_down", "sc-")
        assert alert["labels"]["device"] == "sc-sw1"  # type: ignore[index]
        assert (
            "3 of the 3 device(s) behind sc-sw1 do not answer"
            in alert["annotations"]["description"]
        )  # type: ignore[index]
        assert sink.subjects == [
            "[lanpulse] [FIRING:1] device_down sc-pc1",
            "[lanpulse] [RESOLVED:1] device_down sc-pc1",
            "[lanpulse] [FIRING:1] device_down sc-sw1",
        ]
        assert "3 of the 3 device(s) behind sc-sw1 do not answer" in sink.bodies[-1]
        # sc-pc9 was down all along, inside its maintenance window: recorded, never sent.
        assert ("device_down", (("device", "sc-pc9"),)) in svc.engine.alerts
    finally:
        smtp.stop()
