"""Issue 5's scenario end to end, with real components only.

The daemon polls snmpsim agents (one process per device, so one can be stopped) and sends
its alerts to Debian's prometheus-alertmanager and to an aiosmtpd SMTP server:

- a device's agent stops -> exactly one device-down alert at Alertmanager and one mail,
  after `for`; the daemon restarts meanwhile -> no second page (the alert state is saved);
  the agent comes back -> one resolution (mail; Alertmanager no longer holds it);
- the parent switch's agent stops (its children with it) -> one alert for the parent, which
  says how many devices are behind it; the children's are suppressed;
- a device in a maintenance window goes down -> nothing is notified (the alert is still
  evaluated and written as an `alert` sample).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lanpulse.alerts.engine import FIRING
from lanpulse.sim.alerting import Alertmanager, Mail, SmtpSink
from lanpulse.sim.snmpsim import SnmpSimAgent
from tests._agents import agent_per_device
from tests._daemon import device_line, running, until, write_config

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus-alertmanager") is None, reason="prometheus-alertmanager missing"
)

DEVICES = {  # name -> (recording, parent)
    "core-sw": ("ios_nac", None),
    "printer-1": ("brother_hl5370dw", "core-sw"),
    "printer-2": ("brother_hl5370dw", "core-sw"),
    "nas": ("brother_hl5370dw", None),
    "in-maint": ("brother_hl5370dw", None),
}
RULES = """\
rules:
  - {name: device_down, measurement: device, field: up, below: 1, for: 1s, severity: critical,
     summary: "{device} does not answer"}
"""


@pytest.fixture(scope="module")
def agents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SnmpSimAgent]]:
    with agent_per_device(tmp_path_factory, {n: r for n, (r, _) in DEVICES.items()}) as started:
        yield started


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Alertmanager]:
    with Alertmanager(tmp_path_factory.mktemp("am")) as am:
        yield am  # type: ignore[misc]


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


def am_down(am: Alertmanager) -> dict[str, dict[str, object]]:
    """device -> its device_down alert held by Alertmanager."""
    return {
        a["labels"]["device"]: a
        for a in am.alerts()
        if a["labels"].get("alertname") == "device_down"
    }


def mails_about(smtp: SmtpSink, device: str) -> list[Mail]:
    return [m for m in smtp.mails() if device in m.subject]


def config_text(tmp: Path, agents: dict[str, SnmpSimAgent], am: str, smtp_port: int) -> Path:
    (tmp / "rules.yaml").write_text(RULES)
    now = datetime.now(UTC)
    window = (now - timedelta(hours=1)).isoformat(), (now + timedelta(hours=1)).isoformat()
    alerting = f"""\
alerting:
  rules_files: [rules.yaml]
  disabled_packs: [desktop, device, interface, printer, sensor, storage]
  alertmanager: {{url: "{am}", resolve_timeout: 5m, resend_interval: 1m}}
  email: {{host: 127.0.0.1, port: {smtp_port}, from: lanpulse@example.org,
           to: [oncall@example.org]}}
  routes:
    - {{receivers: [email], group_by: [alertname, device], group_wait: 0s,
       group_interval: 1s, repeat_interval: 1h}}
  dependency_wait: 1s
  maintenance:
    - {{name: planned-work, devices: [in-maint], start: "{window[0]}", end: "{window[1]}"}}
"""
    devices = [
        device_line(name, agents[name].port, **({"parent": parent} if parent else {}))
        for name, (_, parent) in DEVICES.items()
    ]
    return write_config(tmp / "lanpulse.yaml", devices, interval="1s", extra=alerting)


async def test_down_resolve_parent_and_maintenance(
    agents: dict[str, SnmpSimAgent], alertmanager: Alertmanager, smtp: SmtpSink, tmp_path: Path
) -> None:
    config = config_text(tmp_path, agents, alertmanager.url, smtp.port)
    async with running(config) as run:
        await until(lambda: run.all_answered(2), 20)
        assert am_down(alertmanager) == {} and smtp.mails() == []

        # 1. One device stops answering; another one is down inside its maintenance window.
        agents["nas"].stop()
        agents["in-maint"].stop()
        stopped = time.monotonic()
        await until(lambda: "nas" in am_down(alertmanager), 20)
        assert time.monotonic() - stopped >= 1  # not before `for`
        await until(lambda: mails_about(smtp, "nas") != [], 20)
        fired = am_down(alertmanager)["nas"]
        # Stays one alert (re-posts are the same alert) and one mail while it stays down.
        await asyncio.sleep(2)
        assert list(am_down(alertmanager)) == ["nas"]
        assert am_down(alertmanager)["nas"]["startsAt"] == fired["startsAt"]
        assert len(mails_about(smtp, "nas")) == 1
        assert mails_about(smtp, "in-maint") == []  # maintenance: evaluated, not notified
        engine = run.daemon.alerting.service.engine
        assert any(
            a.state == FIRING and a.tags.get("device") == "in-maint" for a in engine.alerts.values()
        )

    # 2. The daemon restarts while the alert fires: its saved state means no second page.
    async with running(config) as run:
        await until(lambda: run.polled.get("nas", 0) >= 1, 20)
        await asyncio.sleep(1.5)
        assert len(mails_about(smtp, "nas")) == 1
        assert am_down(alertmanager)["nas"]["startsAt"] == fired["startsAt"]

        # 3. It comes back: one resolution.
        agents["nas"].start()
        await until(lambda: "nas" not in am_down(alertmanager), 20)
        await until(lambda: len(mails_about(smtp, "nas")) == 2, 20)
        await asyncio.sleep(1)
        assert len(mails_about(smtp, "nas")) == 2
        assert "resolved" in mails_about(smtp, "nas")[1].text().lower()

        # 4. The core switch stops, and the printers behind it become unreachable with it.
        for name in ("core-sw", "printer-1", "printer-2"):
            agents[name].stop()
        await until(lambda: "core-sw" in am_down(alertmanager), 20)
        await until(lambda: mails_about(smtp, "core-sw") != [], 20)
        await asyncio.sleep(2)  # past the children's `for` and their 1 s dependency wait
        assert set(am_down(alertmanager)) == {"core-sw"}
        (mail,) = mails_about(smtp, "core-sw")
        assert "2 of the 2 device(s) behind core-sw do not answer either" in mail.text()
        assert mails_about(smtp, "printer-1") == mails_about(smtp, "printer-2") == []
