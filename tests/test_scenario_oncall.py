"""Issue 16's "Done when" scenario, end to end, with real components.

The daemon polls snmpsim agents (one process per device, so one can be stopped) and sends
to Debian's prometheus-alertmanager 0.25, an aiosmtpd SMTP server (the service desk's
mail) and an HTTP sink standing in for PagerDuty's Events API v2, Slack's and Teams'
incoming webhooks, a generic webhook and a dead-man's-switch service (none of which can be
reached from here); the sink keeps every body so the documented payloads can be checked.

printer toner low -> the service desk only; core switch down -> one page to network ops
naming the devices behind it, children suppressed; a silence by command -> nothing sent,
the alert shown muted; ack -> no repeats; recovery -> resolved with durations; the daemon
stopped -> a planned-stop notice, the Watchdog goes quiet and Alertmanager's dead-man
route fires.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lanpulse.sim.alerting import Alertmanager, HttpSink, SmtpSink
from lanpulse.sim.snmpsim import SnmpSimAgent
from tests._agents import agent_per_device
from tests._daemon import ROOT, device_line, running, until, write_config
from tests.test_web_api import free_port

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus-alertmanager") is None, reason="prometheus-alertmanager missing"
)

DEVICES = {  # name -> (recording, class, parent)
    "core-sw": ("ios_nac", "switch", None),
    "printer-1": ("brother_hl5370dw", "printer", "core-sw"),
    "printer-2": ("brother_hl5370dw", "printer", "core-sw"),
    "floor2-printer": ("jetdirect_m252dw", "printer", None),
}
RULES = """\
rules:
  - {name: device_down, measurement: device, field: up, below: 1, for: 1s, severity: critical,
     summary: "{device} does not answer", runbook_url: "https://wiki.example/down/{device}"}
  - {name: toner_low, measurement: printer_supply, field: level_pct, below: 40,
     clear_above: 45, match: {supply_type: toner}, severity: warning,
     summary: "{device}: {supply} at {value}%"}
"""
AM_CONFIG = """\
route:
  receiver: blackhole
  group_wait: 1h
  routes:
    - matchers: ['alertname="Watchdog"']
      receiver: deadmans-switch
      group_wait: 0s
      group_interval: 1s
      repeat_interval: 1h
receivers:
  - name: blackhole
  - name: deadmans-switch
    webhook_configs: [{{url: "{url}/deadman", send_resolved: true}}]
"""


@pytest.fixture(scope="module")
def agents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SnmpSimAgent]]:
    with agent_per_device(tmp_path_factory, {n: r for n, (r, _, _) in DEVICES.items()}) as started:
        yield started


@pytest.fixture(scope="module")
def sink() -> Iterator[HttpSink]:
    with HttpSink() as s:
        yield s


@pytest.fixture(scope="module")
def alertmanager(
    tmp_path_factory: pytest.TempPathFactory, sink: HttpSink
) -> Iterator[Alertmanager]:
    am = Alertmanager(tmp_path_factory.mktemp("am"), config=AM_CONFIG.format(url=sink.url))
    with am:
        yield am


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


def config(tmp: Path, agents: dict[str, SnmpSimAgent], am: str, smtp: int, http: str) -> Path:
    (tmp / "rules.yaml").write_text(RULES)
    (tmp / "oncall.token").write_text("t0ken-of-the-on-call-person\n")
    alerting = f"""\
alerting:
  rules_files: [rules.yaml]
  disabled_packs: [desktop, device, interface, printer, sensor, storage]
  timezone: Europe/London
  dependency_wait: 1s
  receivers:
    - name: am
      alertmanager: {{url: "{am}", resolve_timeout: 6s, resend_interval: 2s}}
    - name: service-desk
      email: {{host: 127.0.0.1, port: {smtp}, from: lanpulse@example.org,
               to: [desk@example.org]}}
    - name: network-ops
      pagerduty: {{routing_key: pd-integration-key, url: "{http}/v2/enqueue"}}
      slack: {{url: "{http}/slack"}}
    - name: everyone-else
      webhook: {{url: "{http}/hook"}}
      teams: {{url: "{http}/teams"}}
  route:
    receiver: everyone-else
    group_by: [alertname, device]
    group_wait: 0s
    group_interval: 1s
    repeat_interval: 3s
    routes:
      - {{matchers: [class=printer], receiver: service-desk}}
      - {{matchers: [class=switch], receiver: network-ops}}
web:
  tokens: [{{name: oncall-alice, token_file: oncall.token}}]
"""
    devices = [
        device_line(
            name, agents[name].port, **{"class": cls, **({"parent": parent} if parent else {})}
        )
        for name, (_, cls, parent) in DEVICES.items()
    ]
    return write_config(
        tmp / "lanpulse.yaml",
        devices,
        interval="1s",
        http_listen=f"127.0.0.1:{free_port()}",
        extra=alerting,
    )


async def cli(cfg: Path, *args: str) -> str:
    """`lanpulse ARGS -c CFG` as a person would type it (in a thread: the daemon under test
    runs in this event loop and must keep answering)."""
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "lanpulse", *args, "-c", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def am_get(am: Alertmanager, path: str) -> Any:
    with urllib.request.urlopen(f"{am.url}/api/v2/{path}", timeout=5) as resp:
        return json.load(resp)


def pd_events(sink: HttpSink, action: str, source: str) -> list[dict[str, Any]]:
    return [
        b
        for b in sink.bodies("/v2/enqueue")
        if b["event_action"] == action and (action == "resolve" or b["payload"]["source"] == source)
    ]


def texts(sink: HttpSink, path: str) -> str:
    return json.dumps(sink.bodies(path))


async def test_oncall_scenario(
    agents: dict[str, SnmpSimAgent],
    alertmanager: Alertmanager,
    smtp: SmtpSink,
    sink: HttpSink,
    tmp_path: Path,
) -> None:
    cfg = config(tmp_path, agents, alertmanager.url, smtp.port, sink.url)
    async with running(cfg) as run:
        service = lambda: run.daemon.alerting.service  # noqa: E731
        await until(lambda: run.all_answered(2), 30)

        # 1. Toner low on floor2-printer: the service desk's mail, nobody else.
        def desk(word: str) -> list[str]:
            return [m.text() for m in smtp.mails() if word in m.subject]

        await until(lambda: desk("toner_low") != [], 30)
        page = desk("toner_low")[0]
        assert "floor2-printer: Yellow Cartridge HP CF402X at 36%" in page
        assert "address: 127.0.0.1" in page and "value: 36%" in page
        assert "threshold: printer_supply.level_pct below 40" in page
        assert "GMT" in page or "BST" in page  # alerting.timezone: Europe/London
        for path in ("/v2/enqueue", "/slack", "/hook", "/teams"):
            assert "toner_low" not in texts(sink, path), path

        # 2. The core switch stops, the printers behind it with it: one page to network ops.
        for name in ("core-sw", "printer-1", "printer-2"):
            agents[name].stop()
        await until(lambda: pd_events(sink, "trigger", "core-sw") != [], 30)
        await until(lambda: "core-sw" in texts(sink, "/slack"), 10)
        await asyncio.sleep(2.5)  # past the children's `for` and their dependency wait
        triggers = pd_events(sink, "trigger", "core-sw")
        assert len({t["dedup_key"] for t in triggers}) == 1  # one incident
        description = triggers[0]["payload"]["custom_details"]["description"]
        assert "2 of the 2 device(s) behind core-sw do not answer either" in description
        assert "printer-1, printer-2" in description
        assert triggers[0]["links"][0]["text"] == "Runbook" or any(
            link["href"] == "https://wiki.example/down/core-sw" for link in triggers[0]["links"]
        )
        everywhere = "".join(texts(sink, p) for p in ("/v2/enqueue", "/slack", "/hook", "/teams"))
        assert '"printer-1' not in everywhere.replace("printer-1, printer-2", "")
        assert desk("device_down") == []  # the printers' own down alerts: suppressed
        held = {a["labels"].get("device") for a in am_get(alertmanager, "alerts")}
        assert "core-sw" in held and not {"printer-1", "printer-2"} & held

        # 3. A silence by command: nothing more for floor2-printer, shown muted.
        out = await cli(
            cfg,
            "silence",
            "add",
            "device=floor2-printer",
            "--for",
            "1h",
            "--comment",
            "toner on order",
        )
        assert out.startswith("silence ")
        mails = len(desk("toner_low"))
        await asyncio.sleep(4)  # longer than repeat_interval (3 s)
        assert len(desk("toner_low")) == mails
        (toner,) = [s for s in service().written.values() if s.tags["rule"] == "toner_low"]
        assert toner.fields["muted"] == 1 and toner.fields["state"] == 2
        listed = await cli(cfg, "silence", "list")
        assert "device=floor2-printer" in listed and "oncall-alice" in listed
        await until(
            lambda: any(s["status"]["state"] == "active" for s in am_get(alertmanager, "silences")),
            10,
        )  # mirrored to Alertmanager, which then shows the alert as suppressed
        await until(
            lambda: any(
                a["labels"].get("alertname") == "toner_low" and a["status"]["state"] == "suppressed"
                for a in am_get(alertmanager, "alerts")
            ),
            15,
        )

        # 4. Ack the core switch: no more repeats to network ops.
        out = await cli(cfg, "ack", "device_down/core-sw")
        assert out.startswith("acknowledged: ")
        await asyncio.sleep(1.5)
        pages = len(pd_events(sink, "trigger", "core-sw"))
        await asyncio.sleep(4)
        assert len(pd_events(sink, "trigger", "core-sw")) == pages

        # 5. Recovery: resolved, with how long it lasted.
        for name in ("core-sw", "printer-1", "printer-2"):
            agents[name].start()
        await until(lambda: pd_events(sink, "resolve", "") != [], 40)
        await until(lambda: "RESOLVED after" in texts(sink, "/slack"), 10)
        assert pd_events(sink, "resolve", "")[0]["dedup_key"] == triggers[0]["dedup_key"]
        assert "RESOLVED after" in texts(sink, "/slack") and "device_down on core-sw" in texts(
            sink, "/slack"
        )
        assert not service().book.acks  # the ack ended with the alert
        # Notifier health per receiver, in /metrics and /healthz.
        assert run.daemon.web is not None
        base = f"http://127.0.0.1:{run.daemon.web.port}"
        metrics = await asyncio.to_thread(lambda: urllib.request.urlopen(f"{base}/metrics").read())
        assert b'lanpulse_notifications_sent_total{receiver="network-ops/pagerduty"}' in metrics
        assert b'lanpulse_notifications_queued{receiver="service-desk"} 0' in metrics
        health = await asyncio.to_thread(
            lambda: json.load(urllib.request.urlopen(f"{base}/healthz"))
        )
        assert health["notifiers"]["network-ops/slack"]["sent"] >= 2
        assert health["notifiers"]["am"]["failing"] is False
        assert sink.bodies("/deadman")  # the Watchdog reached the dead-man's switch
        # Expiring the silence by command expires its Alertmanager mirror too.
        (silence,) = [s for s in service().book.silences.values()]
        await cli(cfg, "silence", "expire", silence.id[:8])
        await until(
            lambda: all(
                s["status"]["state"] == "expired" for s in am_get(alertmanager, "silences")
            ),
            15,
        )

    # 6. Stopped: a planned-stop notice; the Watchdog goes quiet, the dead-man route fires.
    assert "lanpulse_stopped" in texts(sink, "/hook") + texts(sink, "/slack")
    await until(
        lambda: any(
            b["status"] == "resolved" and b["alerts"][0]["labels"]["alertname"] == "Watchdog"
            for b in sink.bodies("/deadman")
        ),
        30,
    )
