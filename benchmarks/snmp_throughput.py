"""SNMP transport cost: lanpulse v3 vs v2c vs the old path vs snmp_exporter, one run, one snmpd.

Starts a private snmpd on 127.0.0.1 (lanpulse.sim.snmpd) with a v2c community and two v3
users (SHA / AES-128 and SHA-256 / AES-256, authPriv), then measures in interleaved rounds
(every tool once per round, so load from other jobs hits all of them alike):

  get10     GET with 10 OIDs in one PDU (system group, ifNumber, sysORTable entries; 9 of
            the 10 exist on snmpd, so 9 varbinds per request)
  ifwalk    all ifTable + ifXTable columns (41) walked with GETBULK, max-repetitions 25
            (one varbind per column per row; ~160 varbinds per walk here)

with these tools:

  lanpulse/v2c        the unified client, SNMPv2c (lanpulse's codec)
  lanpulse/v3-sha-aes the unified client, SNMPv3 authPriv SHA / AES-128 (lanpulse's USM)
  lanpulse/v3-sha256-aes256   the same with SHA-256 / AES-256
  main/v2c            main's FastSnmpClient (commit MAIN, loaded from git into a temp
                      package): the v2c path before this change, for "no regression"
  main/v3-pysnmp      main's v3 path (pysnmp) with --pysnmp (slow: few requests)
  before/v3-*         with --before REV: REV's `lanpulse/collectors/snmp` (loaded from git
                      into a temp package), v3 only: a change's before and after in one run
  snmp_exporter/v3-*  Prometheus snmp_exporter (Debian's Go build, gosnmp) scraping the same
                      OIDs with a hand-written snmp.yml (no metrics mapped: only the SNMP
                      work and the scrape itself); its CPU from /proc/PID/stat per scrape

CPU is this process's `time.process_time()` for lanpulse (the event loop included), and the
exporter process's utime+stime for snmp_exporter (HTTP scrape included; 10 ms ticks, so
it runs enough scrapes to make that small). snmpd's own CPU counts on neither side. The
figure is CPU seconds per 1,000 varbinds, the median over the rounds.

Run:  cd <repo> && PYTHONPATH=. .venv/bin/python benchmarks/snmp_throughput.py [--rounds 5]
Prints a table, the ratios the issue asks for, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.client import NativeSnmpClient, PysnmpClient
from lanpulse.core.model import Secret, SnmpCredentials
from lanpulse.sim.snmpd import SnmpdAgent, SnmpdUser
from lanpulse.sim.snmpsim import free_udp_port

MAIN = "1d1ebb8"  # main when this branch forked
EXPORTER = "/usr/bin/prometheus-snmp-exporter"
COMMUNITY = "bench-community"
USERS = {
    "sha-aes": SnmpdUser("bench1", "sha", "bench-auth-pass", "aes", "bench-priv-pass"),
    "sha256-aes256": SnmpdUser("bench2", "sha256", "bench-auth-pass", "aes256", "bench-priv-pass"),
}
GET_OIDS = [f"1.3.6.1.2.1.1.{n}.0" for n in range(1, 8)] + [
    "1.3.6.1.2.1.2.1.0",
    "1.3.6.1.2.1.1.9.1.2.1",
    "1.3.6.1.2.1.1.9.1.3.1",
]
IF_COLUMNS = [f"1.3.6.1.2.1.2.2.1.{n}" for n in range(1, 23)] + [
    f"1.3.6.1.2.1.31.1.1.1.{n}" for n in range(1, 20)
]
IF_TABLES = ["1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1"]
Work = Callable[[], Awaitable[int]]  # one request or walk -> varbinds fetched


def v3_target(port: int, user: SnmpdUser) -> SnmpTarget:
    """The v3 authPriv target for `user`."""
    return SnmpTarget("bench", "127.0.0.1", port, user.credentials(timeout_s=5))


def main_fast_client() -> Any:
    """main's FastSnmpClient, loaded from git into a temporary package `lp_main`."""
    root = Path(tempfile.mkdtemp(prefix="lanpulse-main-"))
    package = root / "lp_main"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("snmp_fast", "snmp_ber", "snmp_shared"):
        text = subprocess.run(
            ["git", "show", f"{MAIN}:lanpulse/collectors/{name}.py"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        text = re.sub(r"lanpulse\.collectors\.(snmp_ber|snmp_shared)", r"lp_main.\1", text)
        (package / f"{name}.py").write_text(text)
    sys.path.insert(0, str(root))
    return importlib.import_module("lp_main.snmp_fast").FastSnmpClient()


def before_client(rev: str) -> Any:
    """REV's NativeSnmpClient: its `lanpulse/collectors/snmp/` loaded from git as `lp_before`."""
    root = Path(tempfile.mkdtemp(prefix="lanpulse-before-"))
    package = root / "lp_before"
    package.mkdir()
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{rev}:lanpulse/collectors/snmp"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    for name in names:
        text = subprocess.run(
            ["git", "show", f"{rev}:lanpulse/collectors/snmp/{name}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        (package / name).write_text(text.replace("lanpulse.collectors.snmp.", "lp_before."))
    sys.path.insert(0, str(root))
    return importlib.import_module("lp_before.client").NativeSnmpClient()


async def client_work(client: Any, target: SnmpTarget) -> dict[str, Work]:
    """get10 and ifwalk through `client` for `target`."""

    async def get() -> int:
        return len(await client.get(target, GET_OIDS))

    async def walk() -> int:
        return sum(len(v) for v in (await client.walk(target, IF_COLUMNS)).values())

    await get()  # discovery, key localisation, warm caches
    await walk()
    return {"get10": get, "ifwalk": walk}


async def measure(work: Work, repeats: int) -> tuple[int, float]:
    """(varbinds, CPU seconds of this process) for `repeats` calls of `work`."""
    varbinds = 0
    cpu = time.process_time()
    for _ in range(repeats):
        varbinds += await work()
    return varbinds, time.process_time() - cpu


class Exporter:
    """snmp_exporter with a hand-written snmp.yml: one module per (case, auth)."""

    def __init__(self, snmpd_port: int) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="lanpulse-snmpexp-"))
        self.port = free_udp_port()  # a free TCP port is as likely free: both unused here
        self.target = f"127.0.0.1:{snmpd_port}"
        modules: dict[str, Any] = {}
        for auth, user in USERS.items():
            creds = {
                "username": user.name,
                "security_level": "authPriv",
                "password": user.auth_password,
                "auth_protocol": (user.auth_protocol or "").upper(),
                "priv_protocol": (user.priv_protocol or "").upper(),
                "priv_password": user.priv_password,
            }
            common = {"version": 3, "max_repetitions": 25, "retries": 0, "timeout": "5s"}
            modules[f"get10-{auth}"] = {**common, "get": GET_OIDS, "auth": creds}
            modules[f"ifwalk-{auth}"] = {**common, "walk": IF_TABLES, "auth": creds}
        (self.workdir / "snmp.yml").write_text(json.dumps(modules))  # JSON is YAML
        self.proc = subprocess.Popen(
            [
                EXPORTER,
                f"--config.file={self.workdir / 'snmp.yml'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=error",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)

    def cpu_s(self) -> float:
        """The exporter's utime + stime so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def scrape(self, module: str) -> int:
        """One scrape; the varbinds it got (snmp_scrape_pdus_returned)."""
        url = f"http://127.0.0.1:{self.port}/snmp?target={self.target}&module={module}"
        body = urllib.request.urlopen(url, timeout=30).read().decode()
        match = re.search(r"^snmp_scrape_pdus_returned (\d+)", body, re.M)
        if not match:
            raise RuntimeError(f"snmp_exporter scrape of {module} failed: {body[:300]}")
        return int(match.group(1))

    def measure(self, module: str, repeats: int) -> tuple[int, float]:
        """(varbinds, exporter CPU seconds) for `repeats` scrapes."""
        varbinds = 0
        cpu = self.cpu_s()
        for _ in range(repeats):
            varbinds += self.scrape(module)
        return varbinds, self.cpu_s() - cpu

    def close(self) -> None:
        """Stop the exporter (the one process this class started)."""
        self.proc.terminate()
        self.proc.wait(10)


async def run(port: int, args: argparse.Namespace) -> dict[tuple[str, str], list[float]]:
    """Every tool and case, interleaved over rounds: (case, tool) -> CPU s per 1k varbinds."""
    v2 = SnmpTarget(
        "bench", "127.0.0.1", port, SnmpCredentials(community=Secret(COMMUNITY), timeout_s=5)
    )
    native = NativeSnmpClient()
    tools: dict[str, dict[str, Work]] = {"lanpulse/v2c": await client_work(native, v2)}
    for auth, user in USERS.items():
        tools[f"lanpulse/v3-{auth}"] = await client_work(native, v3_target(port, user))
    old = main_fast_client()
    tools["main/v2c"] = await client_work(old, v2)
    before = before_client(args.before) if args.before else None
    for auth, user in USERS.items() if before is not None else ():
        tools[f"before/v3-{auth}"] = await client_work(before, v3_target(port, user))
    pysnmp = PysnmpClient() if args.pysnmp else None
    if pysnmp is not None:
        tools["main/v3-pysnmp-sha-aes"] = await client_work(
            pysnmp, v3_target(port, USERS["sha-aes"])
        )
    exporter = Exporter(port) if Path(EXPORTER).exists() and not args.no_exporter else None
    repeats = {"get10": args.get_requests, "ifwalk": args.walk_repeats}
    figures: dict[tuple[str, str], list[float]] = {}
    try:
        for _ in range(args.rounds):
            for tool, work in tools.items():
                for case, call in work.items():
                    n = repeats[case] // (10 if "pysnmp" in tool else 1)
                    varbinds, cpu = await measure(call, max(1, n))
                    figures.setdefault((case, tool), []).append(1000 * cpu / varbinds)
            for auth in USERS if exporter else ():
                assert exporter is not None
                for case in repeats:
                    n = repeats[case] * args.exporter_share
                    varbinds, cpu = exporter.measure(f"{case}-{auth}", max(1, n))
                    figures.setdefault((case, f"snmp_exporter/v3-{auth}"), []).append(
                        1000 * cpu / varbinds
                    )
    finally:
        native.close()
        old.close()
        if before is not None:
            before.close()
        if pysnmp is not None:
            pysnmp.close()
        if exporter is not None:
            exporter.close()
    return figures


def main() -> int:
    """Parse arguments, start snmpd, measure, print the table, the ratios and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--get-requests", type=int, default=300, help="GETs per tool per round")
    parser.add_argument("--walk-repeats", type=int, default=30, help="walks per tool per round")
    parser.add_argument(
        "--exporter-share", type=int, default=1, help="exporter scrapes = requests x this"
    )
    parser.add_argument("--pysnmp", action="store_true", help="also main's v3 path (pysnmp)")
    parser.add_argument("--no-exporter", action="store_true")
    parser.add_argument("--before", metavar="REV", help="also REV's v3 client (git revision)")
    args = parser.parse_args()
    with SnmpdAgent(community=COMMUNITY, users=tuple(USERS.values())) as agent:
        figures = asyncio.run(run(agent.port, args))
    median = {key: statistics.median(values) for key, values in figures.items()}
    print(f"{'case':<8} {'tool':<34} {'cpu ms/1k vb (median)':>22}  rounds")
    for (case, tool), value in sorted(median.items()):
        spread = ", ".join(f"{1000 * v:.1f}" for v in figures[case, tool])
        print(f"{case:<8} {tool:<34} {1000 * value:>22.1f}  [{spread}]")
    ratios: dict[str, float] = {}
    for case in ("get10", "ifwalk"):
        v2c = median[case, "lanpulse/v2c"]
        ratios[f"{case} main/v2c : lanpulse/v2c"] = median[case, "main/v2c"] / v2c
        for auth in USERS:
            v3 = median[case, f"lanpulse/v3-{auth}"]
            ratios[f"{case} v3-{auth} : lanpulse/v2c (target <= 1.5)"] = v3 / v2c
            exporter = median.get((case, f"snmp_exporter/v3-{auth}"))
            if exporter:
                ratios[f"{case} v3-{auth} : snmp_exporter v3 (target <= 0.8)"] = v3 / exporter
            before = median.get((case, f"before/v3-{auth}"))
            if before:
                ratios[f"{case} v3-{auth} : before/v3-{auth}"] = v3 / before
    for name, ratio in ratios.items():
        print(f"{name:<58} {ratio:5.2f}")
    print(
        json.dumps(
            {
                "benchmark": "snmp_throughput",
                "python": sys.version.split()[0],
                "cpu_ms_per_1000_varbinds": {
                    f"{case} {tool}": round(1000 * v, 2) for (case, tool), v in median.items()
                },
                "ratios": {k: round(v, 3) for k, v in ratios.items()},
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
