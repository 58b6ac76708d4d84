"""The data the dashboard queries are proven on.

Mostly data written by the real daemon (`lanpulse.daemon.Daemon`) polling the demo estate
(snmpsim serving real device recordings with moving counters, `lanpulse.demo.estate`, with its
`SWITCH_FEATURES` switches for the neighbour, stack and PoE panels) into a real InfluxDB 1.6,
with two additions to the demo configuration so that every dashboard has something to show:
- one printer whose address is a UDP port nothing listens on: a device that is down (`up=0`,
  the "Devices down" panels);
- a user rules file: `device_down` without its 2-minute `for` (so the dead printer fires
  within the run), a low-threshold rule on one link (firing) and a rule with a `for` of an
  hour on one printer's supplies (pending), so the alerts panels have firing and pending rows.

Hand-made samples remain for one thing only: page counts over several days. "Pages per
day" differentiates the page counter between calendar days (7-day panel range), which a test
run of seconds cannot produce; `page_history_lines` writes those to a second database.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lanpulse.core.model import Sample
from lanpulse.core.schema import validate_sample
from lanpulse.demo.estate import start_estate
from lanpulse.sim.servers import InfluxDB16
from lanpulse.sim.snmpsim import SnmpSimAgent

POLL_INTERVAL_S = 2
POLLS = 4  # rates exist from the second poll on; four give three rate points per series
RUN_LIMIT_S = 90.0  # a bound for a loaded machine; an idle one is done in ~10 s
DEADLINE = "25s"
DOWN_DEVICE = "branch-printer"
BUSY_DEVICE, BUSY_LINK = "core-sw1", "Fa0/1"
PENDING_DEVICE = "floor2-printer"

RULES = f"""\
rules:
  # The shipped rule waits 2 minutes; here the dead printer must fire within the run.
  - name: device_down
    for: 0s
  - name: demo_link_busy
    measurement: interface
    field: in_bps
    above: 1000
    match: {{device: {BUSY_DEVICE}, if_name: "{BUSY_LINK}"}}
    severity: warning
    summary: "{{device}} {{if_name}} carries traffic"
  - name: demo_supply_watch
    measurement: printer_supply
    field: level_pct
    above: -1
    for: 1h
    match: {{device: {PENDING_DEVICE}}}
    severity: info
    summary: "{{device}} {{supply}} watched"
"""


@dataclass(frozen=True, slots=True)
class DaemonRun:
    """What the daemon did while filling the database."""

    database: str
    hostname: str  # the `instance` tag of the `lanpulse` measurement
    seconds: float
    stats: dict[str, float]


def _dead_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_config(workdir: Path, influx_url: str, database: str) -> tuple[Path, SnmpSimAgent]:
    """Start the demo estate; its config plus the dead printer and the demo rules file."""
    influx = f"influxdb:\n  url: {influx_url}\n  api: v1\n  database: {database}"
    estate = start_estate(workdir, interval_s=POLL_INTERVAL_S, influx=influx, switch_features=True)
    rules = workdir / "demo-rules.yaml"
    rules.write_text(RULES)
    # The scheduler's default deadline is 0.9 x interval (1.8 s): on a busy 2-core box one
    # snmpsim process answering every device can take longer, and a cut poll writes nothing
    # of what it had not finished. Under a load average of 10 a switch poll took 8-12 s
    # (measured): the deadline leaves room for that, the next poll is skipped meanwhile.
    text = estate.config_text.replace(
        f"  interval: {POLL_INTERVAL_S}s\n",
        f"  interval: {POLL_INTERVAL_S}s\n  deadline: {DEADLINE}\n",
        1,
    )
    assert f"deadline: {DEADLINE}" in text
    config = (
        text + f"  - {{name: {DOWN_DEVICE}, address: 127.0.0.1, port: {_dead_udp_port()}, "
        "class: printer, snmp: {community: nobody, timeout: 1s, retries: 0}, "
        "labels: {site: north}}\n"
        + f"alerting:\n  rules_files: [{rules}]\n  state_file: {workdir / 'alerts-state.json'}\n"
    )
    path = workdir / "lanpulse-demo.yaml"
    path.write_text(config)
    return path, estate.agent


def run_daemon_on_demo_estate(workdir: Path, influx: InfluxDB16, database: str) -> DaemonRun:
    """Run the real daemon on the demo estate until it made `POLLS` polls per device.

    The daemon runs in this process (its `selfmon_interval_s` is not a config setting, and
    the self-monitoring panels need several reports), with its default sinks: the v1
    writer to `influx` behind the spool, exactly as `lanpulse run` builds them.
    """
    from lanpulse.daemon import Daemon

    influx.query(f'CREATE DATABASE "{database}"')
    config, agent = demo_config(workdir, influx.url, database)
    started = time.monotonic()
    try:

        async def run() -> dict[str, float]:
            daemon = Daemon(str(config), selfmon_interval_s=POLL_INTERVAL_S)
            # Until every device was polled POLLS times: a total would be reached early by
            # the dead printer (it fails in 1 s, every interval) while slow switches lag.
            polls: Counter[str] = Counter()
            daemon.on_outcome.append(lambda device, _samples: polls.update([device.name]))
            task = asyncio.create_task(daemon.run())
            names = [d.name for d in daemon.devices]
            while min(polls[n] for n in names) < POLLS and not task.done():
                if time.monotonic() - started > RUN_LIMIT_S:
                    break
                await asyncio.sleep(0.25)
            daemon.request_stop()
            await task  # the final self report and the writer's flush happen before this
            return daemon.all_stats()

        stats = asyncio.run(run())
    finally:
        agent.stop()
    return DaemonRun(database, socket.gethostname(), time.monotonic() - started, stats)


# --- hand-made: page counts over days (a test run lasts seconds) ----------------------------

PAGE_DAYS = 4
PAGES_PER_HOUR = 37


def page_history_samples(now_ns: int) -> list[Sample]:
    """Hourly page counters of two printers over the last days (37 pages an hour)."""
    out = []
    for h in range(PAGE_DAYS * 24):
        t = now_ns - (PAGE_DAYS * 24 - h) * 3600 * 10**9
        for n, device in enumerate(("floor2-printer", "reception-printer")):
            tags = {"device": device, "class": "printer", "site": "hq"}
            out.append(
                Sample("printer", tags, {"page_count": 10_000 * (n + 1) + PAGES_PER_HOUR * h}, t)
            )
    return out


def line(sample: Sample) -> str:
    """Line protocol for one sample (integers get the `i` suffix, as the writers send them)."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace(" ", "\\ ").replace(",", "\\,").replace("=", "\\=")

    tags = "".join(f",{esc(k)}={esc(v)}" for k, v in sorted(sample.tags.items()))
    fields = ",".join(
        f"{esc(k)}={v}i" if isinstance(v, int) else f"{esc(k)}={float(v)!r}"
        for k, v in sample.fields.items()
    )
    return f"{esc(sample.measurement)}{tags} {fields} {sample.time_ns}"


def page_history_lines(now_ns: int) -> list[str]:
    """Line protocol of the page history, after checking every sample against the schema."""
    out: list[str] = []
    for sample in page_history_samples(now_ns):
        problems = validate_sample(sample)
        if problems:
            raise AssertionError(f"fixture sample is not canonical: {problems}")
        out.append(line(sample))
    return out


def test_page_history_is_canonical() -> None:
    """The one hand-made stand-in uses only canonical names."""
    lines = page_history_lines(1_700_000_000 * 10**9)
    assert len(lines) == PAGE_DAYS * 24 * 2
    assert all(ln.startswith("printer,class=printer,device=") for ln in lines)
