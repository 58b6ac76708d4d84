"""The status page, `/api/v1` and the silence/ack API of a supervisor (`daemon.workers: 2`),
as real processes: the supervisor and its workers poll snmpsim (real recordings) plus one
address where nothing answers (a real timeout), and keep their samples in their spools.

The supervisor asks its workers over their pipes and merges (devices, summary, device
pages, alerts); it owns the silences: a silence made with `lanpulse silence add` reaches the
worker that holds the alert (`muted` in its `alert` measurement), survives that worker's
kill -9 and the whole daemon's restart; `lanpulse ack` reaches the alert's worker too.
The same pages load in headless chromium (Debian's, through chromedriver) without console
errors, with the workers table on the self page.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lanpulse.cluster.partition import owner, worker_names
from lanpulse.sim.snmpsim import SnmpSimAgent
from tests._chromium import CHROMEDRIVER, CHROMIUM, chromium_driver, wait_for_note
from tests._cluster import printers
from tests._daemon import ROOT, DaemonProcess, device_line, wait_for, write_config
from tests.test_cluster_workers import worker_pid
from tests.test_daemon_signals import spooled_lines

NAMES = [f"printer-{i}" for i in range(6)]
MEMBERS = worker_names(2)
TOKEN = "s3cret-alice"
RULES = """\
rules:
  - {name: device_down, measurement: device, field: up, below: 1, for: 1s, severity: critical,
     summary: "{device} does not answer"}
"""
ARTIFACTS = ROOT / "tmp" / "artifacts" / "status-page-workers"


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Site:
    """A running 2-worker daemon: its folder, config, page address and CLI."""

    def __init__(self, tmp: Path, agent: SnmpSimAgent) -> None:
        self.tmp = tmp
        self.port = free_port(socket.SOCK_STREAM)
        self.base = f"http://127.0.0.1:{self.port}"
        (tmp / "rules.yaml").write_text(RULES)
        (tmp / "alice.token").write_text(TOKEN + "\n")
        dead = free_port(socket.SOCK_DGRAM)
        # 2 s and 2 s timeouts: a loaded shared machine must not make a printer look down.
        devices = [
            device_line(n, agent.port, labels="{site: north}", snmp="timeout: 2s, retries: 1")
            for n in NAMES
        ]
        devices.append(device_line("dead-1", dead, snmp="timeout: 1s, retries: 0"))
        extra = (
            "alerting:\n  rules_files: [rules.yaml]\n  disabled_packs: [interface, printer,"
            " storage, sensor, desktop]\n  state_file: state.json\n  dependency_wait: 0s\n"
            "web:\n  tokens:\n    - {name: alice, token_file: alice.token}\n"
        )
        self.config = write_config(
            tmp / "lanpulse.yaml",
            devices,
            interval="2s",
            http_listen=f"127.0.0.1:{self.port}",
            daemon="workers: 2",
            extra=extra,
        )
        self.daemon = DaemonProcess(self.config)

    def start(self) -> Site:
        # Three Python processes start at once: on a loaded 2-core machine that took 16 s.
        self.daemon.start(timeout_s=90)
        wait_for(lambda: self.ok("/api/v1/summary"), 30, 0.3)
        return self

    def ok(self, path: str) -> bool:
        try:
            return self.api(path) is not None
        except (OSError, ValueError):
            return False

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(self.base + path, timeout=15) as resp:
            return json.loads(resp.read())

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lanpulse", *args, "-c", str(self.config)],
            cwd=self.tmp,
            capture_output=True,
            text=True,
            timeout=60,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        )

    def firing(self) -> list[dict[str, Any]]:
        return [a for a in self.api("/api/v1/alerts") if a["state"] == "firing"]

    def alert_lines(self, worker: str) -> list[str]:
        return [
            line
            for line in spooled_lines(self.tmp / "spool" / worker, "alert")
            if ",device=dead-1," in line
        ]


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    with printers(tmp_path_factory.mktemp("status-workers"), NAMES) as served:
        yield served


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, agent: SnmpSimAgent) -> Iterator[Site]:
    s = Site(tmp_path_factory.mktemp("supervised"), agent)
    try:
        yield s.start()
    finally:
        s.daemon.kill()


def test_the_self_page_and_api_show_every_worker(site: Site) -> None:
    wait_for(lambda: all(w["polls"] > 2 for w in site.api("/api/v1/self")["workers"]), 30)
    body = site.api("/api/v1/self")
    assert body["mode"] == "2 workers"
    workers = body["workers"]
    assert [w["id"] for w in workers] == [0, 1]
    assert all(w["state"] == "up" and w["pid"] and w["restarts"] == 0 for w in workers)
    assert sum(w["devices"] for w in workers) == len(NAMES) + 1
    for w in workers:  # each owns what the hash gives it
        mine = [n for n in [*NAMES, "dead-1"] if owner(n, MEMBERS) == f"worker-{w['id']}"]
        assert w["devices"] == len(mine)
        assert set(w["lateness"]) == {"mean_s", "over_1s"}
        assert set(w["spool"]) == {"spool_points", "spool_bytes", "spool_age_seconds"}
    wait_for(lambda: all(w["polls_per_s"] > 0 for w in site.api("/api/v1/self")["workers"]), 15)
    assert body["stats"]["workers"] == 2
    page = urllib.request.urlopen(site.base + "/self", timeout=15).read().decode()
    assert 'id="workers"' in page and "worker-0" in page and "worker-1" in page
    assert "2 workers under one supervisor" in page


def test_summary_devices_and_device_pages_merge_the_workers(site: Site) -> None:
    wait_for(lambda: site.api("/api/v1/summary")["devices"]["up"] == len(NAMES), 60, 0.5)
    wait_for(lambda: site.api("/api/v1/summary")["devices"]["down"] == 1, 60, 0.5)
    summary = site.api("/api/v1/summary")
    assert summary["by_site"]["north"]["up"] == len(NAMES)
    rows = site.api("/api/v1/devices?sort=-name")
    assert [r["name"] for r in rows] == sorted([*NAMES, "dead-1"], reverse=True)
    assert [r["name"] for r in site.api("/api/v1/devices?status=down")] == ["dead-1"]
    assert len(site.api("/api/v1/devices?q=printer-")) == len(NAMES)
    # Both workers hold devices, and each device's page comes from its own worker.
    holders = {owner(n, MEMBERS) for n in NAMES}
    assert holders == set(MEMBERS), "the fixture's names must land on both workers"
    for name in NAMES:
        wait_for(lambda n=name: site.api(f"/api/v1/devices/{n}")["summary"]["status"] == "up", 30)
        detail = site.api(f"/api/v1/devices/{name}")
        assert detail["summary"]["name"] == name
        assert f"--device {name}" in detail["poll_command"]
    with pytest.raises(urllib.error.HTTPError) as missing:
        site.api("/api/v1/devices/nope")
    assert missing.value.code == 404
    wait_for(lambda: bool(site.firing()), 30, 0.5)
    assert summary["health"] in ("ok", "degraded")
    # `lanpulse status` reads the same merged API.
    done = site.cli("status")
    assert done.returncode == 1, done.stderr  # dead-1 is down
    assert all(name in done.stdout for name in [*NAMES, "dead-1"]), done.stdout
    assert "firing alert(s)" in done.stdout


def test_silence_and_ack_reach_the_worker_and_survive_restarts(site: Site) -> None:
    holder = owner("dead-1", MEMBERS)
    wait_for(lambda: bool(site.firing()), 30, 0.5)
    (alert,) = site.firing()
    done = site.cli("silence", "add", "device=dead-1", "--for", "1h", "--comment", "on order")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("silence ")
    wait_for(lambda: bool(site.firing()[0]["mutedBy"]), 10, 0.3)
    silence_id = site.firing()[0]["mutedBy"]
    assert [s["id"] for s in site.api("/api/v1/silences")] == [silence_id]
    # The worker polling dead-1 re-marks its `alert` measurement at once.
    wait_for(lambda: any("muted=1i" in line for line in site.alert_lines(holder)), 15)
    listed = site.cli("silence", "list")
    assert "device=dead-1" in listed.stdout and "on order" in listed.stdout
    done = site.cli("ack", "device_down/dead-1")
    assert done.returncode == 0 and alert["id"] in done.stdout, done.stderr
    assert site.firing()[0]["ackedBy"] == "alice"
    wait_for(lambda: any("acked=1i" in line for line in site.alert_lines(holder)), 15)
    assert "api: alice added silence" in site.daemon.log()

    # kill -9 the worker holding the alert: restarted, it adopts the silence again.
    assert site.daemon.proc is not None
    os.kill(worker_pid(site.daemon.proc.pid, MEMBERS.index(holder)), signal.SIGKILL)
    wait_for(lambda: site.api("/api/v1/self")["stats"]["worker_restarts"] == 1, 30, 0.5)
    wait_for(lambda: bool(site.firing()) and site.firing()[0]["mutedBy"] == silence_id, 40, 0.5)

    # The whole daemon stopped and started: the supervisor's state file keeps the silence.
    site.daemon.signal(signal.SIGTERM)
    assert site.daemon.wait(40) == 0
    site.daemon = DaemonProcess(site.config)
    site.start()
    assert [s["id"] for s in site.api("/api/v1/silences")] == [silence_id]
    wait_for(lambda: bool(site.firing()) and site.firing()[0]["mutedBy"] == silence_id, 40, 0.5)
    done = site.cli("silence", "expire", silence_id[:8])
    assert done.returncode == 0, done.stderr
    wait_for(lambda: site.firing()[0]["mutedBy"] is None, 10, 0.3)
    assert [s["status"]["state"] for s in site.api("/api/v1/silences")] == ["expired"]
    wait_for(lambda: "muted=0i" in site.alert_lines(holder)[-1], 15)


@pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="Debian chromium/chromium-driver missing",
)
def test_the_pages_load_in_chromium_with_the_workers_table(site: Site) -> None:
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium_driver("--disable-dev-shm-usage", "--window-size=1280,900") as driver:
        driver.set_page_load_timeout(30)
        for shot, path in {
            "summary": "/",
            # Every device, whatever its status: on a loaded machine a printer can miss a
            # poll's deadline and be "down" for an interval.
            "devices": "/devices",
            "device": f"/devices/{NAMES[0]}",
            "alerts": "/alerts",
            "silences": "/silences",
            "self": "/self",
        }.items():
            driver.get(site.base + path)
            assert driver.find_element(By.TAG_NAME, "h1").text
            driver.save_screenshot(str(ARTIFACTS / f"{shot}.png"))
            errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            assert errors == [], f"{path}: {errors}"
            if shot == "devices":
                names = [
                    e.text for e in driver.find_elements(By.CSS_SELECTOR, "#devices tbody td a")
                ]
                assert sorted(names) == sorted([*NAMES, "dead-1"]), names
            if shot == "self":
                rows = driver.find_elements(By.CSS_SELECTOR, "#workers tbody tr")
                assert len(rows) == 2 and "up" in rows[0].text and "up" in rows[1].text
        # The silence form, signed in: the supervisor's book, the holding worker's alert.
        driver.get(f"{site.base}/login?next=/alerts")
        driver.find_element(By.ID, "token").send_keys(TOKEN)
        driver.find_element(By.ID, "login-submit").click()
        wait_for(lambda: "signed in as alice" in driver.page_source, 10)
        driver.get(site.base + "/alerts")
        driver.find_element(By.ID, "matchers").send_keys("device=dead-1")
        driver.find_element(By.ID, "comment").send_keys("form on workers")
        driver.find_element(By.ID, "silence-submit").click()
        wait_for_note(driver, "added", 15)
        driver.save_screenshot(str(ARTIFACTS / "alerts-after-silence.png"))
    (made,) = [s for s in site.api("/api/v1/silences") if s["comment"] == "form on workers"]
    assert made["createdBy"] == "alice"
    wait_for(lambda: site.firing()[0]["mutedBy"] == made["id"], 15, 0.3)
