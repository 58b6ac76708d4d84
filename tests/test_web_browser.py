"""The status page in a real browser: Debian's chromium, headless, driven by Selenium through
Debian's chromium-driver, against the real daemon (a subprocess) polling the demo estate
(snmpsim) plus one dead address, writing to a real InfluxDB 1.6.

Every page loads without console errors; the filters work; a silence made in the form shows in
the API and in the `alert` measurement; cross-site and token-less posts are refused. A
screenshot of each page (desktop and phone width) is kept under tmp/artifacts/status-page.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lanpulse.demo.estate import ESTATE, start_estate
from lanpulse.sim.servers import InfluxDB16, free_tcp_port
from lanpulse.sim.snmpsim import free_udp_port
from tests._chromium import CHROMEDRIVER, CHROMIUM, chromium_driver, wait_for_note
from tests._daemon import ROOT, DaemonProcess, influx_rows, v1_section, wait_for

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402

ARTIFACTS = ROOT / "tmp" / "artifacts" / "status-page"
TOKEN = "s3cret-alice"

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="Debian chromium/chromium-driver missing",
)

RULES = """\
rules:
  - {name: device_down, measurement: device, field: up, below: 1, for: 1s, severity: critical,
     summary: "{device} does not answer"}
"""


class Site:
    """The running daemon's page address and a JSON reader for its API."""

    def __init__(self, base: str, influx: InfluxDB16, config: Path) -> None:
        self.base = base
        self.influx = influx
        self.config = config

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(self.base + path, timeout=10) as resp:
            return json.loads(resp.read())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("browser")
    port = free_tcp_port()
    with InfluxDB16(tmp / "influxd") as influx:
        estate = start_estate(
            tmp, interval_s=3, influx=v1_section(influx, "ops"), http_listen=f"127.0.0.1:{port}"
        )
        try:
            (tmp / "rules.yaml").write_text(RULES)
            (tmp / "alice.token").write_text(TOKEN + "\n")
            dead = free_udp_port()  # nothing answers there: a real timeout
            extra = (
                "alerting:\n  rules_files: [rules.yaml]\n  disabled_packs: [interface, printer,"
                " storage, sensor, desktop]\n  state_file: state.json\n  dependency_wait: 0s\n"
                "web:\n  tokens:\n    - {name: alice, token_file: alice.token}\n"
            )
            text = estate.config_text.replace("devices:\n", extra + "devices:\n")
            text += (
                f"  - {{name: dead-1, address: 127.0.0.1, port: {dead}, class: switch,"
                " snmp: {community: x, timeout: 1s, retries: 0}, labels: {site: north}}\n"
            )
            config = tmp / "lanpulse-demo.yaml"
            config.write_text(text)
            daemon = DaemonProcess(config).start()
            try:
                s = Site(f"http://127.0.0.1:{port}", influx, config)
                wait_for(lambda: s.api("/api/v1/summary")["devices"]["up"] >= 8, 60, 0.5)
                # On a loaded machine a switch poll can pass its deadline (2.7 s) and keep
                # only what it fetched: wait for one whole poll of the switch the test reads.
                wait_for(
                    lambda: bool(s.api("/api/v1/devices/core-sw1")["sections"]["interfaces"]),
                    90,
                    0.5,
                )
                yield s
            finally:
                daemon.kill()
        finally:
            estate.agent.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # /dev/shm is small in containers; a phone-sized and a desk-sized window are both used.
    with chromium_driver("--disable-dev-shm-usage", "--window-size=1280,900") as driver:
        driver.set_page_load_timeout(30)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        yield driver


def visit(driver: Any, url: str, shot: str) -> None:
    """Load `url`, keep its screenshot, and fail on any console message of level SEVERE."""
    driver.get(url)
    assert driver.find_element(By.TAG_NAME, "h1").text
    driver.save_screenshot(str(ARTIFACTS / f"{shot}.png"))
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], f"{url}: {errors}"


def sign_in(driver: Any, base: str) -> None:
    driver.get(f"{base}/login?next=/alerts")
    driver.find_element(By.ID, "token").send_keys(TOKEN)
    driver.find_element(By.ID, "login-submit").click()
    wait_for(lambda: "signed in as alice" in driver.page_source, 10)


def test_every_page_loads_without_console_errors(site: Site, browser: Any) -> None:
    pages = {
        "summary": "/",
        "devices": "/devices",
        "device-switch": "/devices/core-sw1",
        "device-printer": "/devices/custody-mfp",
        "device-storage": "/devices/nas1",
        "device-down": "/devices/dead-1",
        "alerts": "/alerts",
        "silences": "/silences",
        "self": "/self",
        "login": "/login",
    }
    for shot, path in pages.items():
        visit(browser, site.base + path, shot)
    browser.get(site.base + "/devices/core-sw1")
    command = browser.find_element(By.ID, "poll-command").text
    assert command.startswith("lanpulse poll -c ") and command.endswith(
        "--device core-sw1 --format table"
    )

    def interfaces_shown() -> bool:
        # A poll past its deadline on a loaded machine keeps only what it fetched: the
        # next whole poll brings the interfaces back.
        browser.get(site.base + "/devices/core-sw1")
        return bool(browser.find_elements(By.CSS_SELECTOR, "#interfaces tbody tr"))

    wait_for(interfaces_shown, 90, 1.0)
    browser.set_window_size(390, 844)  # a phone
    try:
        for shot, path in (("phone-summary", "/"), ("phone-device", "/devices/floor2-printer")):
            visit(browser, site.base + path, shot)
    finally:
        browser.set_window_size(1280, 900)


def test_the_devices_table_filters_and_sorts(site: Site, browser: Any) -> None:
    browser.get(site.base + "/devices")
    Select(browser.find_element(By.ID, "f-class")).select_by_visible_text("printer")
    browser.find_element(By.ID, "apply").click()
    wait_for(lambda: "class=printer" in browser.current_url, 10)
    rows = browser.find_elements(By.CSS_SELECTOR, "#devices tbody tr")
    assert len(rows) == 3
    assert all(r.find_elements(By.TAG_NAME, "td")[2].text == "printer" for r in rows)
    browser.get(site.base + "/devices")
    box = browser.find_element(By.ID, "f-q")
    box.send_keys("custody", Keys.ENTER)  # the keyboard alone submits the filter
    wait_for(lambda: "q=custody" in browser.current_url, 10)
    names = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#devices tbody td a")]
    assert names == ["custody-mfp"]
    browser.get(site.base + "/devices?status=down")
    rows = browser.find_elements(By.CSS_SELECTOR, "#devices tbody tr")
    names = [r.find_element(By.TAG_NAME, "a").text for r in rows]
    # dead-1 never answers; a loaded machine may time out a slow printer's poll as well
    assert "dead-1" in names
    assert all(r.find_elements(By.TAG_NAME, "td")[1].text == "down" for r in rows)
    browser.get(site.base + "/devices?sort=-name")
    names = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#devices tbody td a")]
    # the demo estate and the dead address
    assert names == sorted(names, reverse=True) and len(names) == len(ESTATE) + 1
    down_north = site.api("/api/v1/devices?site=north&status=down&class=switch")
    assert [d["name"] for d in down_north] == ["dead-1"]


def test_a_silence_made_in_the_form_reaches_the_api_and_the_alert_measurement(
    site: Site, browser: Any
) -> None:
    wait_for(lambda: any(a["state"] == "firing" for a in site.api("/api/v1/alerts")), 60, 0.5)
    sign_in(browser, site.base)
    browser.get(site.base + "/alerts")
    browser.find_element(By.ID, "matchers").send_keys("device=dead-1,rule=device_down")
    duration = browser.find_element(By.ID, "duration")
    duration.clear()
    duration.send_keys("2h")
    browser.find_element(By.ID, "comment").send_keys("cabling work in the north")
    browser.find_element(By.ID, "silence-submit").click()
    wait_for_note(browser, "added", 15)
    browser.save_screenshot(str(ARTIFACTS / "alerts-after-silence.png"))
    made = [s for s in site.api("/api/v1/silences") if s["comment"] == "cabling work in the north"]
    assert len(made) == 1 and made[0]["createdBy"] == "alice"
    assert made[0]["matchersText"] == "device=dead-1,alertname=device_down"

    def muted() -> bool:
        rows = influx_rows(
            site.influx,
            "ops",
            "SELECT last(muted) FROM alert WHERE device = 'dead-1' AND rule = 'device_down'",
        )
        return bool(rows) and rows[0]["last"] == 1

    wait_for(muted, 60, 0.5)
    visit(browser, site.base + "/silences", "silences-after")
    assert "cabling work in the north" in browser.page_source


def test_posts_without_the_form_token_or_from_another_site_are_refused(
    site: Site, browser: Any
) -> None:
    sign_in(browser, site.base)
    cookie = browser.get_cookie("lanpulse_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    headers = {"Cookie": f"lanpulse_session={cookie['value']}"}
    body = b"matchers=device%3Dx&duration=1h"

    def post(extra: dict[str, str], data: bytes) -> int:
        req = urllib.request.Request(
            site.base + "/alerts/silence",
            data=data,
            headers={**headers, **extra, "Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    assert post({}, body) == 403  # no CSRF token
    assert post({}, body + b"&csrf=forged") == 403
    browser.get(site.base + "/alerts")
    csrf = browser.find_element(By.NAME, "csrf").get_attribute("value")
    assert post({"Origin": "http://evil.example"}, body + f"&csrf={csrf}".encode()) == 403
    before = len(site.api("/api/v1/silences"))
    time.sleep(0.2)
    assert len(site.api("/api/v1/silences")) == before


def test_lanpulse_status_prints_the_same_summary_and_devices(site: Site) -> None:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    cmd = [sys.executable, "-m", "lanpulse", "status", "-c", str(site.config)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1, done.stderr  # dead-1 is down
    out = done.stdout
    assert "estate ok" in out and "firing alert(s)" in out
    for name in ("core-sw1", "custody-mfp", "dead-1", "nas1"):
        assert name in out
    assert "timeout" in out  # dead-1's last error, in words
    # $LANPULSE_CONFIG stands in for -c; filters narrow the list
    env["LANPULSE_CONFIG"] = str(site.config)
    cmd = [sys.executable, "-m", "lanpulse", "status", "--class", "printer"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert "custody-mfp" in done.stdout and "core-sw1" not in done.stdout, done.stderr
    assert "devices (3)" in done.stdout
