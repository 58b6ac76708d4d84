"""Scale-out figures (issue 15): workers on one machine, fail-over of a ZooKeeper group.

    PYTHONPATH=. .venv/bin/python benchmarks/scaleout.py [--devices 600] [--interval 1]
        [--seconds 20] [--skip-workers] [--skip-failover]

1. Throughput: the real daemon (`python -m lanpulse run`) polls D desktops served by net-snmp
   `snmpd` agents replaying a real recording (benchmarks/estate.py's agents, C speed), at an
   interval that overloads one core, once with `daemon.workers: 1` and once with 2, in the
   same run. Polls/s comes from the daemon's /metrics (`lanpulse_polls_total`, summed over
   workers by the supervisor); CPU per poll from /proc (user + system of the daemon and its
   workers). Target: 2 workers >= 1.8x the polls/s of 1, at the same CPU per poll.
2. Fail-over: 3 members of one group on a 1-node ZooKeeper (Debian's zookeeperd), each
   with its own spool; one is killed with SIGKILL. From the spools: the time until every
   device it polled is polled again, the polls lost (slots with no poll), and the polls
   duplicated (two members in one slot).
The load of the machine (other work shares it) is printed with the figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.estate import CLASSES, start_agent
from lanpulse.sim.servers import free_tcp_port
from lanpulse.sim.zookeeper import ZooKeeper
from lanpulse.timeseries.segment import iter_records, read_segment

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
_DEVICE = re.compile(r"^device,(?:.*,)?device=([^, ]+)[, ].* (\d+)$")


def config(path: Path, agents: list[int], devices: int, interval: float, extra: str) -> Path:
    lines = [
        f"defaults:\n  interval: {interval}s\n  class: desktop\n"
        "  snmp: {version: 2c, community: bench, timeout: 2s, retries: 0}",
        f"spool:\n  directory: {path.parent / 'spool'}\n  fsync: never",
        extra,
        "devices:",
    ]
    lines += [
        f"  - {{name: pc-{i}, address: 127.0.0.1, port: {agents[i % len(agents)]}}}"
        for i in range(devices)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def start(config_path: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    log = (config_path.parent / "daemon.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "lanpulse", "--log-level", "warning", "run", "-c", str(config_path)],
        cwd=config_path.parent,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )


def tree(pid: int) -> list[int]:
    """A process and its children (the workers), from /proc."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):  # workers may be forked by any thread
        try:
            pids += [int(p) for p in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return pids


def tree_rss_mib(pid: int) -> float:
    """Resident memory of the daemon and its workers."""
    total = 0
    for p in tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except FileNotFoundError:
            continue
        total += int(next(x for x in status.splitlines() if x.startswith("VmRSS:")).split()[1])
    return round(total / 1024, 1)


def tree_cpu(pid: int) -> float:
    """User + system seconds of a process and its children (workers), from /proc."""
    total = 0.0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


def throughput(agents: list[int], workers: int, args: argparse.Namespace, tmp: Path) -> dict:
    port = free_tcp_port()
    extra = (
        f"daemon:\n  workers: {workers}\n  http_listen: 127.0.0.1:{port}\n  shutdown_deadline: 5s"
    )
    folder = tmp / f"workers-{workers}"
    folder.mkdir()
    proc = start(config(folder / "lanpulse.yaml", agents, args.devices, args.interval, extra))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if metric(port, "lanpulse_polls_total") > 0:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        time.sleep(5)  # warm-up: every device walked its labels once
        polls0, skipped0 = (
            metric(port, "lanpulse_polls_total"),
            metric(port, "lanpulse_polls_skipped_total"),
        )
        failed0 = metric(port, "lanpulse_polls_failed_total")
        cpu0, t0 = tree_cpu(proc.pid), time.monotonic()
        load0, rss0 = os.getloadavg()[0], tree_rss_mib(proc.pid)
        time.sleep(args.seconds)
        polls1, skipped1 = (
            metric(port, "lanpulse_polls_total"),
            metric(port, "lanpulse_polls_skipped_total"),
        )
        failed1 = metric(port, "lanpulse_polls_failed_total")
        cpu1, t1 = tree_cpu(proc.pid), time.monotonic()
        polls = polls1 - polls0
        return {
            "workers": workers,
            "polls_per_s": round(polls / (t1 - t0), 1),
            "demand_per_s": round(args.devices / args.interval, 1),
            "skipped_per_s": round((skipped1 - skipped0) / (t1 - t0), 1),
            "failed_per_s": round((failed1 - failed0) / (t1 - t0), 1),
            "answered_per_s": round((polls - (failed1 - failed0)) / (t1 - t0), 1),
            "rss_mib_start_end": [rss0, tree_rss_mib(proc.pid)],
            "cpu_ms_per_poll": round(1000 * (cpu1 - cpu0) / max(polls, 1), 2),
            "cores_used": round((cpu1 - cpu0) / (t1 - t0), 2),
            "loadavg_1m": round((load0 + os.getloadavg()[0]) / 2, 2),
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def poll_times(spool: Path) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for path in sorted((spool / "segments").glob("*")):
        for record in iter_records(read_segment(path), 0, 0):
            for line in record.payload.decode().splitlines():
                m = _DEVICE.match(line)
                if m:
                    out.setdefault(m.group(1), []).append(int(m.group(2)))
    return out


def failover(agents: list[int], args: argparse.Namespace, tmp: Path) -> dict:
    interval, devices, session = args.fo_interval, args.fo_devices, args.session_timeout
    with ZooKeeper(tmp / "zk") as zk:
        procs: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for name in ("p1", "p2", "p3"):
                folder = tmp / name
                folder.mkdir()
                extra = (
                    f"cluster: {{zookeeper: '{zk.hosts}', name: {name}, "
                    f"session_timeout: {session}s}}\n"
                    f"daemon: {{http_listen: null, shutdown_deadline: 5s}}"
                )
                procs[name] = start(
                    config(folder / "lanpulse.yaml", agents, devices, interval, extra)
                )
            time.sleep(8 + 3 * interval)  # start, register, settle, poll a few rounds
            before = {n: poll_times(tmp / n / "spool" / n) for n in procs}
            victim = max(before, key=lambda n: len(before[n]))
            theirs = set(before[victim])
            procs[victim].kill()
            killed = time.time_ns()
            time.sleep(session + 3 * interval + 3)
            after = {n: poll_times(tmp / n / "spool" / n) for n in procs}
        finally:
            for p in procs.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in procs.values():
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
    step = int(interval * 1e9)
    first_again, lost, duplicated = [], 0, 0
    for device in theirs:
        polls = sorted((t, n) for n in after for t in after[n].get(device, []))
        later = [t for t, n in polls if t > killed and n != victim]
        if later:
            first_again.append(later[0])
        last_before = max(t for t, n in polls if t <= killed)
        # Slots between the victim's last poll and the first poll by the new owner.
        if later:
            lost += max(0, round((later[0] - last_before) / step) - 1)
    for device in set().union(*[set(a) for a in after.values()]):
        polls = sorted((t, n) for n in after for t in after[n].get(device, []))
        duplicated += sum(
            1
            for (t1, n1), (t2, n2) in itertools.pairwise(polls)
            if n1 != n2 and t2 - t1 < step // 2
        )
    return {
        "members": 3,
        "devices": devices,
        "victim_devices": len(theirs),
        "interval_s": interval,
        "session_timeout_s": session,
        "all_polled_again_after_s": round((max(first_again) - killed) / 1e9, 2)
        if len(first_again) == len(theirs)
        else None,
        "polls_lost": lost,
        "polls_duplicated": duplicated,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devices", type=int, default=600)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--agents", type=int, default=4)
    p.add_argument("--fo-devices", type=int, default=60)
    p.add_argument("--fo-interval", type=float, default=5.0)
    p.add_argument("--session-timeout", type=float, default=4.0)
    p.add_argument("--skip-workers", action="store_true")
    p.add_argument("--skip-failover", action="store_true")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lanpulse-scaleout-"))
    desktop = next(c for c in CLASSES if c.name == "desktop")
    agents = []
    try:
        for i in range(args.agents):
            agent, _ = start_agent(desktop, tmp / f"agent-{i}")
            agents.append(agent)
        ports = [a.port for a in agents]
        print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}", flush=True)
        if not args.skip_workers:
            one = throughput(ports, 1, args, tmp)
            print(json.dumps(one), flush=True)
            two = throughput(ports, 2, args, tmp)
            print(json.dumps(two), flush=True)
            print(
                f"2 workers / 1 worker: {two['polls_per_s'] / one['polls_per_s']:.2f}x polls/s, "
                f"{two['answered_per_s'] / max(one['answered_per_s'], 0.1):.2f}x answered, "
                f"CPU per poll {two['cpu_ms_per_poll'] / one['cpu_ms_per_poll']:.2f}x",
                flush=True,
            )
        if not args.skip_failover:
            print(json.dumps(failover(ports, args, tmp)), flush=True)
    finally:
        for a in agents:
            a.cleanup()


if __name__ == "__main__":
    main()
