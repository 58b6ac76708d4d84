"""Scale-out figures (issue 15): workers on one machine, fail-over, and the estate at 60 s.

    PYTHONPATH=. .venv/bin/python benchmarks/scaleout.py [--devices 600] [--interval 1]
        [--seconds 20] [--rounds 2] [--cpu-slice 0.25] [--max-concurrent-polls 32]
        [--device-class desktop] [--skip-workers] [--skip-failover]
        [--estate 0.2 --estate-versions 2c,3 --estate-workers 2 --estate-seconds 120]

1. Workers: the real daemon (`python -m lanpulse run`) polls D desktops (`--device-class`)
   served by net-snmp `snmpd` agents replaying a real recording (benchmarks/estate.py's
   agents, C speed), at an
   interval that overloads it, with `daemon.workers: 1` and 2, in interleaved rounds
   (1, 2, 1, 2, ...) so that the load of the shared machine weighs on both alike. Polls come
   from the daemon's /metrics (`lanpulse_polls_total`, summed over workers by the
   supervisor), CPU from /proc for each process (user + system). The figure that other
   people's load does not decide is the CPU per poll: with equal CPU per poll, N workers
   on N free cores do N times the polls/s of one (`capacity ratio` = N x CPU per poll of 1
   / CPU per poll of N, the supervisor's share included). Polls/s measured on the clock
   and the cores each run got are printed next to it.
   `--cpu-slice S` (root, cgroup v1; benchmarks/cpuslice.py) runs the daemon in a cgroup
   whose CFS quota is S cores per worker (1 worker: S, 2 workers: 2 x S for supervisor and
   workers together), as N workers on N dedicated cores would have; the snmpd agents and
   the kernel stay outside it. Then both runs are CPU-bound by the same rule and polls/s on
   the clock compare directly; each run also prints the slice, how often the group was
   throttled (cpu.stat) and the CPU per answered poll. The group is removed at the end,
   Ctrl-C included. `--max-concurrent-polls` sets `daemon.max_concurrent_polls` (so that
   concurrency, not CPU, does not hold the single worker back).
2. Fail-over: 3 members of one group on a 1-node ZooKeeper (Debian's zookeeperd), each
   with its own spool; one is killed with SIGKILL. From the spools: the time until every
   device it polled is polled again, the polls lost (slots with no poll), and the polls
   duplicated (two members in one slot).
3. Estate (`--estate F`): the fraction F of the Met-scale estate (500 48-port switches,
   5,000 printers, 20,000 desktops; same mix) at a 60 s interval on v2c and on v3 authPriv
   (SHA/AES-128), several snmpd agents per class, `--estate-workers` workers. After one
   interval of warm-up (every device's first poll walks its labels) it reports polls/s
   against the demand, lateness (from `lanpulse_poll_lateness_seconds`), skips, cores
   used and CPU per poll, and projects the whole estate's cores from the CPU per poll.
The load of the machine (other work shares it) is printed with the figures.

(Over 400 lines: the three measurements share the daemon start-up, /proc and /metrics
readers above them; split, each file would import the other two's helpers.)
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

from benchmarks.cpuslice import CpuSlice, CpuSliceError
from benchmarks.estate import CLASSES, start_agent
from lanpulse.sim.servers import free_tcp_port
from lanpulse.sim.snmpd import SnmpdAgent, SnmpdUser
from lanpulse.sim.zookeeper import ZooKeeper
from lanpulse.timeseries.segment import iter_records, read_segment

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
_DEVICE = re.compile(r"^device,(?:.*,)?device=([^, ]+)[, ].* (\d+)$")


def config(
    path: Path,
    agents: list[int],
    devices: int,
    interval: float,
    extra: str,
    device_class: str = "desktop",
) -> Path:
    lines = [
        f"defaults:\n  interval: {interval}s\n  class: {device_class}\n"
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


def start(config_path: Path, cpu_slice: CpuSlice | None = None) -> subprocess.Popen[bytes]:
    """The daemon on a config file; inside `cpu_slice` (and so are its workers) if given."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    log = (config_path.parent / "daemon.log").open("ab")
    argv = [
        sys.executable,
        "-m",
        "lanpulse",
        "--log-level",
        "warning",
        "run",
        "-c",
        str(config_path),
    ]
    return subprocess.Popen(
        cpu_slice.wrap(argv) if cpu_slice else argv,
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


def cpu_of(pid: int) -> float:
    """User + system seconds of one process, from /proc (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def tree_cpu(pid: int) -> float:
    """User + system seconds of a process and its children (workers), from /proc."""
    return sum(cpu_of(p) for p in tree(pid))


def histogram(port: int, name: str) -> dict[float, float]:
    """A histogram's cumulative buckets (le -> count) from /metrics (no worker label)."""
    out: dict[float, float] = {}
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith(f"{name}_bucket{{") and "worker=" not in line:
                le = line.split('le="', 1)[1].split('"', 1)[0]
                out[float("inf") if le == "+Inf" else float(le)] = float(line.split()[-1])
    return out


def quantile(before: dict[float, float], after: dict[float, float], q: float) -> str:
    """The bucket bound under which a fraction q of the window's observations fell."""
    bounds = sorted(after)
    total = after.get(float("inf"), 0) - before.get(float("inf"), 0)
    if total <= 0:
        return "n/a"
    for le in bounds:
        if after[le] - before.get(le, 0) >= q * total:
            return f"<= {le:g}s"
    return "> max"


def metric(port: int, name: str) -> float:
    """A family's value: its unlabelled series, else the sum of its per-worker series (a
    supervisor serves `polls` per worker only)."""
    per_worker = 0.0
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith((name + " ", name + '{worker=""}')):  # the supervisor's sum
                return float(line.split()[-1])
            if line.startswith(name + '{worker="'):
                per_worker += float(line.split()[-1])
    return per_worker


def throughput(
    agents: list[int],
    workers: int,
    args: argparse.Namespace,
    tmp: Path,
    cpu_slice: CpuSlice | None = None,
    agent_pids: tuple[int, ...] = (),
) -> dict:
    port = free_tcp_port()
    extra = (
        f"daemon:\n  workers: {workers}\n  http_listen: 127.0.0.1:{port}\n  shutdown_deadline: 5s"
    )
    if args.max_concurrent_polls:
        extra += f"\n  max_concurrent_polls: {args.max_concurrent_polls}"
    folder = tmp / f"workers-{workers}"
    folder.mkdir(parents=True)
    if cpu_slice:
        cpu_slice.set_cores(workers * args.cpu_slice)
    path = config(
        folder / "lanpulse.yaml", agents, args.devices, args.interval, extra, args.device_class
    )
    proc = start(path, cpu_slice)
    try:
        deadline = time.monotonic() + 240  # a loaded shared box starts Python slowly
        while time.monotonic() < deadline:
            try:
                # Every worker reporting: a late one would bring its whole count into the window.
                reporting = workers == 1 or metric(port, "lanpulse_workers_reporting") >= workers
                if reporting and metric(port, "lanpulse_polls_total") > 0:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        # Warm-up: every device polled once (its first poll walks its labels; polls wait
        # their turn in order, so as many polls as devices), then 5 s more.
        while time.monotonic() < deadline and metric(port, "lanpulse_polls_total") < args.devices:
            time.sleep(0.5)
        time.sleep(5)
        polls0, skipped0 = (
            metric(port, "lanpulse_polls_total"),
            metric(port, "lanpulse_polls_skipped_total"),
        )
        failed0 = metric(port, "lanpulse_polls_failed_total")
        workers0 = {p: cpu_of(p) for p in tree(proc.pid) if p != proc.pid}
        own0 = cpu_of(proc.pid)
        cpu0, t0 = tree_cpu(proc.pid), time.monotonic()
        load0, rss0 = os.getloadavg()[0], tree_rss_mib(proc.pid)
        stat0 = cpu_slice.stat() if cpu_slice else {}
        agents_cpu0 = sum(cpu_of(p) for p in agent_pids)
        time.sleep(args.seconds)
        stat1 = cpu_slice.stat() if cpu_slice else {}
        agents_cpu = sum(cpu_of(p) for p in agent_pids) - agents_cpu0
        polls1, skipped1 = (
            metric(port, "lanpulse_polls_total"),
            metric(port, "lanpulse_polls_skipped_total"),
        )
        failed1 = metric(port, "lanpulse_polls_failed_total")
        cpu1, t1 = tree_cpu(proc.pid), time.monotonic()
        own = cpu_of(proc.pid) - own0
        worker_cpu = sum(cpu_of(p) - c for p, c in workers0.items())
        if workers == 1:  # the single process polls itself: it is the worker
            worker_cpu, own = own, 0.0
        polls, failed = polls1 - polls0, failed1 - failed0
        sliced = (
            {
                "cpu_slice_cores": round(workers * args.cpu_slice, 3),
                "throttled_periods": f"{stat1['nr_throttled'] - stat0['nr_throttled']} of "
                f"{stat1['nr_periods'] - stat0['nr_periods']}",
                "throttled_s": round((stat1["throttled_time"] - stat0["throttled_time"]) / 1e9, 1),
            }
            if cpu_slice
            else {}
        )
        return {
            "workers": workers,
            **sliced,
            "polls_per_s": round(polls / (t1 - t0), 1),
            "demand_per_s": round(args.devices / args.interval, 1),
            "skipped_per_s": round((skipped1 - skipped0) / (t1 - t0), 1),
            "failed_per_s": round(failed / (t1 - t0), 1),
            "answered_per_s": round((polls - failed) / (t1 - t0), 1),
            "rss_mib_start_end": [rss0, tree_rss_mib(proc.pid)],
            "cpu_ms_per_poll": round(1000 * (cpu1 - cpu0) / max(polls, 1), 3),
            "cpu_ms_per_answered_poll": round(1000 * (cpu1 - cpu0) / max(polls - failed, 1), 3),
            "worker_cpu_ms_per_poll": round(1000 * worker_cpu / max(polls, 1), 3),
            "supervisor_cpu_ms_per_poll": round(1000 * own / max(polls, 1), 3),
            "polls_per_cpu_second": round(polls / max(cpu1 - cpu0, 1e-9), 1),
            "cores_used": round((cpu1 - cpu0) / (t1 - t0), 2),
            "agents_cores_used": round(agents_cpu / (t1 - t0), 2),
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

            def spools() -> dict[str, dict[str, list[int]]]:
                return {n: poll_times(tmp / n / "spool" / n) for n in procs}

            # Every member started (slow on a loaded box), registered and polling a shard
            # after the group settled: each device polled twice since all three have polls.
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                before = spools()
                if all(before.values()):
                    settled = max(min(min(t) for t in b.values()) for b in before.values())
                    counts = [
                        sum(1 for n in before for t in before[n].get(f"pc-{i}", []) if t > settled)
                        for i in range(devices)
                    ]
                    if min(counts) >= 2:
                        break
                time.sleep(interval)
            else:
                raise SystemExit("fail-over: the group did not settle within 600 s")
            victim = max(before, key=lambda n: len(before[n]))
            theirs = set(before[victim])
            procs[victim].kill()
            killed = time.time_ns()
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:  # until every device of the victim is back
                after = spools()
                back = {
                    d
                    for n in after
                    if n != victim
                    for d, ts in after[n].items()
                    if d in theirs and any(t > killed for t in ts)
                }
                if back == theirs:
                    break
                time.sleep(interval / 2)
            time.sleep(2 * interval)  # and a few more slots, for duplicates
            after = spools()
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


V3_USER = SnmpdUser("bench3", "sha", "bench-auth-pass", "aes", "bench-priv-pass")
CREDENTIALS = {
    "2c": "{version: 2c, community: bench, timeout: 5s, retries: 1}",
    "3": "{version: 3, user: bench3, auth_protocol: sha, auth_password: bench-auth-pass, "
    "priv_protocol: aes, priv_password: bench-priv-pass, timeout: 5s, retries: 1}",
}
ESTATE_INTERVAL_S = 60.0


def estate_config(
    path: Path, agents: dict[str, list[int]], fraction: float, version: str, extra: str
) -> tuple[Path, int]:
    """The estate's fraction as a config file (the issue's class mix); (path, devices)."""
    lines = [
        f"defaults:\n  interval: {ESTATE_INTERVAL_S:g}s\n  snmp: {CREDENTIALS[version]}",
        f"spool:\n  directory: {path.parent / 'spool'}\n  fsync: never",
        extra,
        "devices:",
    ]
    count = 0
    for spec in CLASSES:
        ports = agents[spec.name]
        for i in range(round(spec.estate_count * fraction)):
            lines.append(
                f"  - {{name: {spec.name}-{i:05d}, address: 127.0.0.1, "
                f"port: {ports[i % len(ports)]}, class: {spec.name}}}"
            )
            count += 1
    path.write_text("\n".join(lines) + "\n")
    return path, count


def estate(agents: dict[str, list[int]], version: str, args: argparse.Namespace, tmp: Path) -> dict:
    """The estate's fraction at 60 s on one SNMP version: sustained polls/s, lateness, cores."""
    port = free_tcp_port()
    folder = tmp / f"estate-v{version}"
    folder.mkdir()
    extra = (
        f"daemon:\n  workers: {args.estate_workers}\n  http_listen: 127.0.0.1:{port}\n"
        "  shutdown_deadline: 10s"
    )
    path, devices = estate_config(folder / "lanpulse.yaml", agents, args.estate, version, extra)
    started = time.monotonic()
    proc = start(path)
    try:
        while time.monotonic() - started < 300:
            try:
                workers = args.estate_workers
                reporting = workers == 1 or metric(port, "lanpulse_workers_reporting") >= workers
                if reporting and metric(port, "lanpulse_polls_total") > 0:
                    break
            except OSError:
                pass
            time.sleep(1)
        up = time.monotonic() - started
        time.sleep(ESTATE_INTERVAL_S + 5)  # every device polled (and its labels walked) once
        names = ("polls_total", "polls_failed_total", "polls_skipped_total")
        before = {n: metric(port, f"lanpulse_{n}") for n in names}
        late0 = histogram(port, "lanpulse_poll_lateness_seconds")
        cpu0, t0, load0 = tree_cpu(proc.pid), time.monotonic(), os.getloadavg()[0]
        rss0 = tree_rss_mib(proc.pid)
        time.sleep(args.estate_seconds)
        after = {n: metric(port, f"lanpulse_{n}") for n in names}
        late1 = histogram(port, "lanpulse_poll_lateness_seconds")
        cpu1, t1 = tree_cpu(proc.pid), time.monotonic()
        wall, polls = t1 - t0, after["polls_total"] - before["polls_total"]
        cpu_per_poll = (cpu1 - cpu0) / max(polls, 1)
        full_demand = sum(c.estate_count for c in CLASSES) / ESTATE_INTERVAL_S
        return {
            "snmp": f"v{version}" + (" authPriv sha/aes" if version == "3" else ""),
            "devices": devices,
            "workers": args.estate_workers,
            "started_in_s": round(up, 1),
            "demand_per_s": round(devices / ESTATE_INTERVAL_S, 1),
            "polls_per_s": round(polls / wall, 1),
            "failed_per_s": round(
                (after["polls_failed_total"] - before["polls_failed_total"]) / wall, 2
            ),
            "skipped_per_s": round(
                (after["polls_skipped_total"] - before["polls_skipped_total"]) / wall, 2
            ),
            "lateness_p50": quantile(late0, late1, 0.5),
            "lateness_p95": quantile(late0, late1, 0.95),
            "lateness_p99": quantile(late0, late1, 0.99),
            "cores_used": round((cpu1 - cpu0) / wall, 2),
            "cpu_ms_per_poll": round(1000 * cpu_per_poll, 2),
            "rss_mib_start_end": [rss0, tree_rss_mib(proc.pid)],
            "loadavg_1m": round((load0 + os.getloadavg()[0]) / 2, 2),
            "projected_cores_for_25500_at_60s": round(full_demand * cpu_per_poll, 2),
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()


def workers_rounds(
    agents: list[SnmpdAgent],
    args: argparse.Namespace,
    tmp: Path,
    cpu_slice: CpuSlice | None,
) -> None:
    """1 and 2 workers in interleaved rounds; medians and the capacity ratio."""
    runs: dict[int, list[dict]] = {1: [], 2: []}
    for r in range(args.rounds):
        for n in (1, 2):
            result = throughput(
                [a.port for a in agents],
                n,
                args,
                tmp / f"round-{r}",
                cpu_slice,
                tuple(a.proc.pid for a in agents if a.proc),
            )
            runs[n].append(result)
            print(json.dumps(result), flush=True)

    def median(n: int, key: str) -> float:
        values = sorted(x[key] for x in runs[n])
        return (
            values[len(values) // 2]
            if len(values) % 2
            else sum(values[len(values) // 2 - 1 :][:2]) / 2
        )

    cpu1, cpu2 = median(1, "cpu_ms_per_poll"), median(2, "cpu_ms_per_poll")
    print(
        f"medians over {args.rounds} rounds: CPU per poll {cpu1:.3f} ms (1 worker), "
        f"{cpu2:.3f} ms (2 workers: {median(2, 'worker_cpu_ms_per_poll'):.3f} in the workers, "
        f"{median(2, 'supervisor_cpu_ms_per_poll'):.3f} in the supervisor); "
        f"capacity ratio 2 x {cpu1:.3f} / {cpu2:.3f} = {2 * cpu1 / cpu2:.2f}x; "
        f"measured on the clock: {median(2, 'polls_per_s') / median(1, 'polls_per_s'):.2f}x "
        f"polls/s with {median(1, 'cores_used'):.2f} and {median(2, 'cores_used'):.2f} cores got",
        flush=True,
    )
    if cpu_slice:
        print(
            f"CPU slice {args.cpu_slice:g} core per worker: 2 workers / 1 worker = "
            f"{median(2, 'polls_per_s') / median(1, 'polls_per_s'):.2f}x polls/s, "
            f"{median(2, 'answered_per_s') / median(1, 'answered_per_s'):.2f}x answered/s; "
            f"CPU per answered poll {median(1, 'cpu_ms_per_answered_poll'):.3f} ms (1 worker), "
            f"{median(2, 'cpu_ms_per_answered_poll'):.3f} ms (2 workers)",
            flush=True,
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devices", type=int, default=600)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--agents", type=int, default=4)
    p.add_argument(
        "--device-class",
        choices=[c.name for c in CLASSES],
        default="desktop",
        help="the recording the workers and fail-over agents serve",
    )
    p.add_argument("--fo-devices", type=int, default=60)
    p.add_argument("--fo-interval", type=float, default=5.0)
    p.add_argument("--session-timeout", type=float, default=4.0)
    p.add_argument("--rounds", type=int, default=2, help="interleaved 1/2-worker rounds")
    p.add_argument("--estate", type=float, default=0.0, help="fraction of the 25,500 devices")
    p.add_argument("--estate-versions", default="2c,3")
    p.add_argument("--estate-workers", type=int, default=2)
    p.add_argument("--estate-seconds", type=float, default=120.0)
    p.add_argument("--estate-agents", type=int, default=3, help="snmpd agents per class")
    p.add_argument("--skip-workers", action="store_true")
    p.add_argument("--skip-failover", action="store_true")
    p.add_argument(
        "--cpu-slice",
        type=float,
        default=0.0,
        help="workers rounds only: cores per worker, a cgroup v1 CFS quota (root)",
    )
    p.add_argument("--max-concurrent-polls", type=int, default=None)
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lanpulse-scaleout-"))
    spec = next(c for c in CLASSES if c.name == args.device_class)
    agents: list[SnmpdAgent] = []
    cpu_slice = None
    if args.cpu_slice > 0 and not args.skip_workers:
        try:
            cpu_slice = CpuSlice(f"lanpulse-scaleout-{os.getpid()}")
        except CpuSliceError as e:
            raise SystemExit(f"--cpu-slice: {e}") from None
    # SIGTERM unwinds like Ctrl-C, through the `finally`s that stop daemons and agents.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        for i in range(args.agents):
            agent, _ = start_agent(spec, tmp / f"agent-{i}")
            agents.append(agent)
        ports = [a.port for a in agents]
        print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}", flush=True)
        if cpu_slice:
            print(
                f"CPU slice: {args.cpu_slice:g} core per worker (cgroup {cpu_slice.path}, "
                f"CFS quota per {cpu_slice.period_us // 1000} ms period); agents outside it",
                flush=True,
            )
        if not args.skip_workers:
            workers_rounds(agents, args, tmp, cpu_slice)
        if not args.skip_failover:
            print(json.dumps(failover(ports, args, tmp)), flush=True)
        if args.estate > 0:
            by_class: dict[str, list[int]] = {}
            for spec in CLASSES:
                for i in range(args.estate_agents):
                    agent, _ = start_agent(spec, tmp / f"estate-{spec.name}-{i}", (V3_USER,))
                    agents.append(agent)
                    by_class.setdefault(spec.name, []).append(agent.port)
            for version in args.estate_versions.split(","):
                print(json.dumps(estate(by_class, version, args, tmp)), flush=True)
    finally:
        for a in agents:
            a.cleanup()
        if cpu_slice:
            cpu_slice.remove()


if __name__ == "__main__":
    main()
