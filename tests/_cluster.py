"""Helpers for the ZooKeeper group tests: members as processes, polls read from spools."""

from __future__ import annotations

import itertools
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from lanpulse.demo.estate import RECORDINGS
from lanpulse.sim.servers import free_tcp_port
from lanpulse.sim.snmpsim import SnmpSimAgent
from tests._daemon import DaemonProcess, write_config
from tests.test_daemon_signals import spooled_lines
from tests.test_snmp_client import warm_up

BROTHER = RECORDINGS / "brother_hl5370dw.snmprec"

# One page per device that stops answering for a second (the packs are off).
DOWN_RULES = """\
rules:
  - {name: device_down, measurement: device, field: up, below: 1, for: 1s, severity: critical,
     summary: "{device} does not answer"}
"""


@contextmanager
def printers(folder: Path, names: Iterable[str]) -> Iterator[SnmpSimAgent]:
    """One snmpsim serving the Brother printer recording once per name (community = name),
    answering before it is handed out."""
    agent = SnmpSimAgent(workdir=folder)
    names = list(names)
    for name in names:
        agent.add(BROTHER, name)
    agent.start()
    try:
        warm_up(agent, names[0])
        yield agent
    finally:
        agent.cleanup()


def email_alerting(folder: Path, smtp_port: int, extra: str = "", rules: str = DOWN_RULES) -> str:
    """An `alerting:` section paging by mail (one message per device) with `rules`."""
    rules_file = folder / "rules.yaml"
    rules_file.write_text(rules)
    return f"""\
alerting:
  rules_files: [{rules_file}]
  disabled_packs: [desktop, device, interface, printer, sensor, storage]
  email: {{host: 127.0.0.1, port: {smtp_port}, from: lanpulse@example.org,
           to: [oncall@example.org]}}
  routes:
    - {{receivers: [email], group_by: [alertname, device], group_wait: 0s,
       group_interval: 1s, repeat_interval: 1h}}
{extra}"""


_DEVICE = re.compile(r"^device,(?:.*,)?device=([^, ]+)[, ].* (\d+)$")


def poll_times(spool: Path) -> dict[str, list[int]]:
    """device -> timestamps (ns) of its `device` samples in one spool."""
    out: dict[str, list[int]] = {}
    for line in spooled_lines(spool, "device"):
        m = _DEVICE.match(line)
        if m:
            out.setdefault(m.group(1), []).append(int(m.group(2)))
    return out


class Member:
    """One poller-group member: its own folder, config, spool and HTTP port."""

    def __init__(
        self,
        tmp: Path,
        name: str,
        hosts: str,
        devices: list[str],
        *,
        group: str = "default",
        root: str = "/lanpulse",
        session_timeout: str = "2s",
        extra: str = "",
        cluster_extra: str = "",
    ) -> None:
        self.name = name
        self.dir = tmp / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_tcp_port()
        cluster = (
            f"cluster: {{zookeeper: '{hosts}', group: {group}, name: {name}, root: {root},"
            f" session_timeout: {session_timeout}{', ' + cluster_extra if cluster_extra else ''}}}"
        )
        self.config = write_config(
            self.dir / "lanpulse.yaml",
            devices,
            interval="1s",
            http_listen=f"127.0.0.1:{self.port}",
            extra=cluster + "\n" + extra,
        )
        self.process = DaemonProcess(self.config)

    def start(self) -> Member:
        # Python's start-up and the config load take long on a loaded CI box.
        self.process.start(timeout_s=120)
        return self

    @property
    def spool(self) -> Path:
        return self.dir / "spool" / self.name

    def polls(self) -> dict[str, list[int]]:
        return poll_times(self.spool)

    def health(self) -> tuple[int, dict[str, float]]:
        url = f"http://127.0.0.1:{self.port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return resp.status, json.load(resp)
        except urllib.error.HTTPError as exc:
            return exc.code, json.load(exc)
        except OSError:
            return 0, {}


def merged(members: list[Member]) -> dict[str, list[tuple[int, str]]]:
    """device -> sorted (timestamp, member) of every poll by any member."""
    out: dict[str, list[tuple[int, str]]] = {}
    for m in members:
        for device, times in m.polls().items():
            out.setdefault(device, []).extend((t, m.name) for t in times)
    return {d: sorted(v) for d, v in out.items()}


def double_polls(members: list[Member], interval_s: float = 1.0) -> list[str]:
    """Polls of one device by two members closer than half an interval (same slot)."""
    bad = []
    for device, polls in merged(members).items():
        for (t1, m1), (t2, m2) in itertools.pairwise(polls):
            if m1 != m2 and (t2 - t1) < interval_s * 0.5e9:
                bad.append(f"{device}: {m1}@{t1} {m2}@{t2}")
    return bad
