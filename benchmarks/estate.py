"""End-to-end cost of polling a simulated estate, against the bare SNMP transport.

    PYTHONPATH=. python benchmarks/estate.py [--rounds 5] [--devices 20] [--idle-counters]
        [--keep-excluded] [--memory-devices 25500] [--skip-memory]

Each device class (48-port switch, printer, desktop) is served by its own net-snmp `snmpd`
on 127.0.0.1 replaying a real recording through `override` directives (C speed, so the
agent is not the bottleneck; see lanpulse/sim/snmpd_replay.py). For each class it measures,
in the same run and process:

- pipeline: SnmpPoller.poll (profile plan, GET + GETBULK walks, parse, rates) + line
  protocol + durable spool + the v2 writer (influxdb-client) into a real VictoriaMetrics;
- bare transport: the same GET and walk requests through the same SNMP client, nothing else.

Before every round the agents' counters move (`snmpset` child processes raise every column
the class's profile reads as a counter; see CounterMover), so each poll computes real rates
as in production; `--idle-counters` keeps them still (every rate 0.0, the cheaper path).
`--keep-excluded` also keeps the rows profiles exclude (the Windows desktop's 23 filter
layers, miniports and tunnels besides its one adapter), for comparison with earlier runs.
CPU is this process's user+system time (agents and VictoriaMetrics run in other processes).
The two sides alternate round by round (a round polls every device once), so the load
other processes put on a shared box weighs on both alike; each pipeline round ends when the
spool has sent it, so its shipping is counted on its side.
Targets (issue 4): pipeline CPU <= 1.5 x bare transport CPU per poll; < 1 GiB RSS with an
inventory of 25,500 devices loaded and their rate state filled. Also reported: devices per
5-minute cycle per core for each class (300 s / pipeline CPU seconds per poll).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lanpulse.collectors.base import SnmpPlan
from lanpulse.collectors.snmp import SnmpCollector
from lanpulse.collectors.snmp.client import make_snmp_client
from lanpulse.config.influx import InfluxSettings, SpoolSettings
from lanpulse.config.profiles import ProfileSet
from lanpulse.config.profiles import builtin_profiles as _builtin_profiles
from lanpulse.core.model import Device, Sample, Secret, SnmpCredentials
from lanpulse.pipeline.poll import DeviceState, SnmpPoller
from lanpulse.sim.servers import VictoriaMetrics
from lanpulse.sim.snmpd import SnmpdAgent, SnmpdUser
from lanpulse.sim.snmpd_replay import CounterMover, override_lines, widen_ports
from lanpulse.timeseries.factory import build_shipper

KEEP_EXCLUDED = False  # --keep-excluded


def builtin_profiles() -> ProfileSet:
    """The built-in profiles; with --keep-excluded, without any metric's `exclude`."""
    profiles = _builtin_profiles()
    if not KEEP_EXCLUDED:
        return profiles
    return ProfileSet(
        {
            name: p.model_copy(
                update={"metrics": [m.model_copy(update={"exclude": {}}) for m in p.metrics]}
            )
            for name, p in profiles.profiles.items()
        }
    )


ROOT = Path(__file__).resolve().parents[1]
RECORDINGS = ROOT / "tests" / "fixtures" / "librenms" / "recordings"
MOVER_COMMUNITY = "bench-mover"  # write access for the counter mover only
# Octets added per round to a counter (times 1..7 across instances): ~5-40 kbit/s over the
# sub-second gap between rounds, far below every link speed, so every rate is computed.
COUNTER_STEP = 1000
DISABLED = (
    "-interfaces,ifTable,ifXTable,hr_storage,hr_device,hr_proc,hr_system,"
    "hr_filesys,hr_disk,hr_network,hr_print,hr_partition"
)


@dataclass(frozen=True)
class ClassSpec:
    """One device class of the estate: its recording and how many the estate holds."""

    name: str
    recording: str
    estate_count: int
    widen_to: int | None = None


CLASSES = (
    ClassSpec("switch", "switch/edgeswitch_es-24-250w.snmprec", 500, widen_to=48),
    ClassSpec("printer", "printer/jetdirect_m252dw.snmprec", 5000),
    ClassSpec("desktop", "desktop/windows_svr_2019_1809.snmprec", 20000),
)


def start_agent(
    spec: ClassSpec, workdir: Path, users: tuple[SnmpdUser, ...] = ()
) -> tuple[SnmpdAgent, CounterMover]:
    """snmpd replaying the class's recording (everything but sysUpTime), and the mover of
    its counters (every column the class's profile reads as a counter); `users`: SNMPv3."""
    text = (RECORDINGS / spec.recording).read_text()
    if spec.widen_to:
        first_if = next(
            line.split("|")[0].rsplit(".", 1)[1]
            for line in text.splitlines()
            if line.startswith("1.3.6.1.2.1.31.1.1.1.6.")
        )
        text = widen_ports(text, spec.widen_to, first_if)
    values = {
        line.split("|", 1)[0]: line.split("|", 2)[2]
        for line in text.splitlines()
        if line.count("|") >= 2
    }
    profile = (
        builtin_profiles()
        .select(values.get("1.3.6.1.2.1.1.2.0", ""), values.get("1.3.6.1.2.1.1.1.0", ""))
        .profile
    )
    counters = profile.counter_columns()
    lines = override_lines(
        text,
        (
            "1.3.6.1.2.1.1.1.",
            "1.3.6.1.2.1.1.2.",
            "1.3.6.1.2.1.2.",
            "1.3.6.1.2.1.25.",
            "1.3.6.1.2.1.31.",
            "1.3.6.1.2.1.43.",
            "1.3.6.1.2.1.47.",
            "1.3.6.1.2.1.99.",
            "1.3.6.1.4.1.",
        ),
        writable=counters,
    )
    agent = SnmpdAgent(
        community="bench",
        users=users,
        extra_config=(*lines, f"rwcommunity {MOVER_COMMUNITY} 127.0.0.1"),
        extra_args=("-I", DISABLED),
        workdir=workdir / spec.name,
    )
    agent.workdir.mkdir(parents=True, exist_ok=True)
    agent.start()
    return agent, CounterMover(text, counters, agent.port, MOVER_COMMUNITY)


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def devices_for(spec: ClassSpec, agent: SnmpdAgent, n: int) -> list[Device]:
    creds = SnmpCredentials(
        version="2c", community=Secret("bench"), timeout_s=5, retries=1, max_repetitions=25
    )
    return [
        Device(
            name=f"{spec.name}-{i:05d}",
            address="127.0.0.1",
            port=agent.port,
            device_class=spec.name,
            snmp=creds,
            interval_s=300,
            labels={"site": "bench"},
        )
        for i in range(n)
    ]


class PipelineSide:
    """The full pipeline: SnmpPoller.poll, then the shipper (spool + v2 writer) into VM."""

    def __init__(self, devices: list[Device], vm_url: str, spool_dir: Path, concurrency: int):
        self.devices = devices
        self.client = make_snmp_client()
        self.poller = SnmpPoller(self.client, builtin_profiles())
        self.states = {d.name: DeviceState() for d in devices}
        self.shipper = build_shipper(
            InfluxSettings(url=vm_url, api="v2", bucket="lanpulse", org="bench"),
            SpoolSettings(directory=str(spool_dir), fsync="interval"),
        )
        self.sem = asyncio.Semaphore(concurrency)
        self.polled: list[tuple[Sample, ...]] = []  # the last round's, for `nonzero_rates`

    def nonzero_rates(self) -> int:
        """Non-zero rates in the last round's samples: proof that the counters moved."""
        count = sum(
            1
            for samples in self.polled
            for sample in samples
            for name, value in sample.fields.items()
            if name.endswith(("_bps", "_ps")) and name != "speed_bps" and value
        )
        self.polled.clear()
        return count

    async def start(self) -> None:
        """Select profiles (once per device in production) and fill the rate state."""
        await self.shipper.start()
        for d in self.devices:
            await self.poller.select(d, self.states[d.name])
        await self.round()

    async def _one(self, d: Device) -> None:
        async with self.sem:
            report = await self.poller.poll(d, self.states[d.name])
            if not report.outcome.up:
                why = "; ".join(map(str, report.outcome.errors))
                raise SystemExit(f"{d.name} did not answer: {why}")
            self.shipper.submit_nowait(report.outcome.samples)
            self.polled.append(report.outcome.samples)

    async def round(self) -> None:
        """Poll every device once, then wait until the spool has sent it all (so that none
        of this round's shipping work runs, and is counted, in the other side's round)."""
        await asyncio.gather(*(self._one(d) for d in self.devices))
        await self.shipper.flush(120)

    async def close(self) -> None:
        """Stop the shipper; fail when points were dropped."""
        stats = self.shipper.stats().as_fields()
        await self.shipper.stop(30)
        self.client.close()
        if stats.get("points_dropped"):
            raise SystemExit(f"points dropped: {stats}")


class BareSide:
    """The same requests through the bare transport (the I/O-only collector).

    The pipeline polls two-speed (pipeline/labels.py): the full plan on a device's first
    poll and every `label_refresh_polls`-th poll after, the fast plan (no label columns)
    otherwise. The bare transport sends the same plans on the same polls.
    """

    def __init__(self, devices: list[Device], concurrency: int):
        self.devices = devices
        self.client = make_snmp_client()
        self.poller = SnmpPoller(self.client, builtin_profiles())
        self.collector = SnmpCollector(self.client)
        self.sem = asyncio.Semaphore(concurrency)
        self.polls = 0

    async def start(self) -> None:
        """Choose the plans, and send the first (full) poll."""
        state = DeviceState()
        await self.poller.select(self.devices[0], state)
        assert state.plan is not None
        self.plans = state.plan
        await self.round()

    async def _one(self, d: Device, plan: SnmpPlan) -> None:
        async with self.sem:
            await self.collector.collect(d, plan)

    async def round(self) -> None:
        """Every device's requests of the next poll."""
        refresh = self.poller.label_refresh_polls
        full = not self.plans.labels or self.polls % refresh == 0
        plan = self.plans.full if full else self.plans.fast
        await asyncio.gather(*(self._one(d, plan) for d in self.devices))
        self.polls += 1

    async def close(self) -> None:
        """Close the client."""
        self.client.close()


async def compare(
    devices: list[Device],
    rounds: int,
    vm_url: str,
    spool_dir: Path,
    concurrency: int,
    mover: CounterMover | None,
) -> tuple[float, float, int, float, int]:
    """CPU seconds of the bare transport and of the pipeline, polls per side, pipeline wall,
    and how many non-zero rates the pipeline computed.

    The two sides alternate round by round, so that the load other processes put on a
    shared box weighs on both alike. Before each round the agent's counters move (in
    `snmpset` child processes, outside both measurements), so every poll computes rates
    as in production instead of the cheaper zero rates of idle counters.
    """
    bare = BareSide(devices, concurrency)
    pipeline = PipelineSide(devices, vm_url, spool_dir, concurrency)
    await bare.start()
    await pipeline.start()
    gc.collect()
    bare_cpu = pipe_cpu = pipe_wall = 0.0
    pipeline.polled.clear()
    rates = 0
    for _ in range(rounds):
        if mover is not None:
            mover.step(COUNTER_STEP)
        t0 = cpu()
        await bare.round()
        t1, w1 = cpu(), time.monotonic()
        await pipeline.round()
        bare_cpu, pipe_cpu = bare_cpu + t1 - t0, pipe_cpu + cpu() - t1
        pipe_wall += time.monotonic() - w1
        rates += pipeline.nonzero_rates()  # outside the measurement
    await bare.close()
    await pipeline.close()
    return bare_cpu, pipe_cpu, rounds * len(devices), pipe_wall, rates


async def memory(agents: dict[str, SnmpdAgent], total: int) -> dict[str, float]:
    """RSS with the estate's devices loaded and their rate state filled by a real parse."""
    from lanpulse.parsers.snmp_profile import parse_snmp

    client = make_snmp_client()
    profiles = builtin_profiles()
    poller = SnmpPoller(client, profiles)
    before = rss_mib()
    states: dict[str, DeviceState] = {}
    inventory: list[Device] = []
    scale = total / sum(s.estate_count for s in CLASSES)
    for spec in CLASSES:
        agent = agents[spec.name]
        probe = devices_for(spec, agent, 1)[0]
        st = DeviceState()
        await poller.select(probe, st)
        assert st.plan is not None and st.selection is not None
        raw = await poller.collector.collect(probe, st.plan.full)
        count = int(spec.estate_count * scale)
        for d in devices_for(spec, agent, count):
            state = DeviceState(selection=st.selection, plan=st.plan)
            parse_snmp(raw, st.selection.profile, d, state.rates)
            states[d.name] = state
            inventory.append(d)
    client.close()
    gc.collect()
    after = rss_mib()
    series = sum(len(rows) for s in states.values() for rows in s.rates.series.values())
    return {
        "devices": len(inventory),
        "rate_series": series,
        "rss_before_mib": round(before, 1),
        "rss_after_mib": round(after, 1),
        "maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--devices", type=int, default=20, help="devices per class per round")
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--memory-devices", type=int, default=25500)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument(
        "--idle-counters", action="store_true", help="counters stand still (every rate 0.0)"
    )
    ap.add_argument(
        "--keep-excluded",
        action="store_true",
        help="also the rows profiles exclude (Windows' filter layers, miniports, tunnels)",
    )
    args = ap.parse_args()
    global KEEP_EXCLUDED
    KEEP_EXCLUDED = args.keep_excluded
    work = Path(tempfile.mkdtemp(prefix="lanpulse-bench-"))
    started = {spec.name: start_agent(spec, work) for spec in CLASSES}
    agents = {name: agent for name, (agent, _) in started.items()}
    vm = VictoriaMetrics(workdir=work / "vm").start()
    results = {}
    try:
        for spec in CLASSES:
            devs = devices_for(spec, agents[spec.name], args.devices)
            bare_cpu, pipe_cpu, polls, wall, rates = await compare(
                devs,
                args.rounds,
                vm.url,
                work / f"spool-{spec.name}",
                args.concurrency,
                None if args.idle_counters else started[spec.name][1],
            )
            bare_polls = pipe_polls = polls
            per_poll = pipe_cpu / pipe_polls
            results[spec.name] = {
                "polls": pipe_polls,
                "bare_cpu_ms_per_poll": round(bare_cpu / bare_polls * 1000, 2),
                "pipeline_cpu_ms_per_poll": round(per_poll * 1000, 2),
                "ratio": round(pipe_cpu / pipe_polls / (bare_cpu / bare_polls), 3),
                "devices_per_5min_per_core": int(300 / per_poll),
                "wall_s": round(wall, 2),
                "nonzero_rates_per_poll": round(rates / pipe_polls, 1),
            }
            print(f"{spec.name:8s} {results[spec.name]}", flush=True)
        if not args.skip_memory:
            results["memory"] = await memory(agents, args.memory_devices)
            print(f"memory   {results['memory']}", flush=True)
    finally:
        for a in agents.values():
            a.cleanup()
        vm.cleanup()
    print(json.dumps(results))
    worst = max(r["ratio"] for k, r in results.items() if k != "memory")
    print(f"worst pipeline/transport CPU ratio: {worst} (target <= 1.5)")
    if "memory" in results:
        print(
            f"RSS with {results['memory']['devices']} devices: "
            f"{results['memory']['rss_after_mib']} MiB (target < 1024)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
