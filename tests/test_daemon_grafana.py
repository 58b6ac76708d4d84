"""The daemon and Grafana: dashboards published at start-up, alerts drawn as annotations.

`lanpulse.sim.fake_grafana.FakeGrafana` stands in for a real Grafana server (none can be
installed here); it enforces the HTTP API's auth header, folder and dashboard rules.
"""

from __future__ import annotations

from pathlib import Path

from lanpulse.sim.fake_grafana import FakeGrafana
from lanpulse.sim.snmpsim import free_udp_port
from tests._daemon import device_line, running, until, write_config


async def test_publish_on_start_and_alert_annotations(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - {name: device_down, measurement: device, field: up, below: 1, for: 0s,\n"
        "     severity: critical, summary: '{device} does not answer'}\n"
    )
    with FakeGrafana(tokens={"tok-1": "Admin"}) as fake:
        extra = (
            f"grafana:\n  url: {fake.url}\n  token: tok-1\n  publish_on_start: true\n"
            "  datasource: {url: 'http://127.0.0.1:8086'}\n"
            f"alerting:\n  rules_files: [{rules}]\n  grafana_annotations: true\n"
            "  state_file: null\n"
            "  routes: [{receivers: [grafana], group_wait: 0s, group_interval: 1s}]\n"
        )
        dead = device_line("gone", free_udp_port(), snmp="timeout: 0.3s")
        config = write_config(tmp_path / "lanpulse.yaml", [dead], interval="1s", extra=extra)
        async with running(config):
            await until(lambda: len(fake.state.dashboards) >= 8, timeout_s=30)
            await until(lambda: bool(fake.state.annotations), timeout_s=30)
        annotation = fake.state.annotations[0]
    assert "device:gone" in annotation["tags"] and "firing" in annotation["tags"]
    assert "gone does not answer" in annotation["text"]
