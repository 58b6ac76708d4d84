"""CLI collection benchmark: polls per minute per core, persistent vs reconnecting, and the
TextFSM parse cost per command output.

    PYTHONPATH=. /work/venv/bin/python benchmarks/cli.py [--devices 4] [--polls 5]

fakenos runs in a child process, so the CPU time measured here (time.process_time of this
process) is the collector's and parser's alone: "polls per minute per core" is
polls / collector CPU seconds * 60. Wall-clock figures are dominated by fakenos, which
echoes input one byte per 10 ms, and say little about real devices.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import time
from pathlib import Path
from typing import Any

from lanpulse.collectors.cli import CliCollector
from lanpulse.core.model import Device, RawCli, Secret, SshCredentials
from lanpulse.parsers.cli import load_cli_profile, parse_cli
from lanpulse.parsers.cli.textfsm_runner import parse_table
from lanpulse.pipeline.cli_poll import plan_for, poll_cli_device_async
from lanpulse.sim.fakenos_devices import FakeDevice, FakeNosDevices, load_fixture_outputs

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "cli"
PLATFORMS = ["cisco_ios", "cisco_nxos", "arista_eos", "juniper_junos", "hp_procurve", "linux"]


def _serve(platform: str, count: int, ports: Any, stop: Any) -> None:
    outputs = load_fixture_outputs(FIXTURES / platform)
    devices = [FakeDevice(f"bench-{i}", platform, outputs) for i in range(count)]
    with FakeNosDevices(devices) as net:
        ports.put(dict(net.ports))
        stop.wait()


async def _run(devices: list[Device], polls: int, platform: str) -> tuple[float, float, int]:
    collector = CliCollector(max_workers=len(devices))
    profile = load_cli_profile(platform)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    done = 0

    async def one(device: Device) -> int:
        ok = 0
        for _ in range(polls):
            samples, errors = await poll_cli_device_async(device, collector, profile=profile)
            ok += int(not errors and samples[0].fields["up"] == 1)
        return ok

    try:
        done = sum(await asyncio.gather(*(one(d) for d in devices)))
    finally:
        collector.close()
    return time.process_time() - cpu0, time.perf_counter() - wall0, done


def bench_collection(platform: str, count: int, polls: int) -> None:
    """Persistent sessions vs a new SSH session per poll, against fakenos."""
    ports_q: Any = mp.Queue()
    stop: Any = mp.Event()
    server = mp.Process(target=_serve, args=(platform, count, ports_q, stop), daemon=True)
    server.start()
    ports: dict[str, int] = ports_q.get(timeout=60)
    try:
        plan = plan_for(load_cli_profile(platform))
        print(f"\n{platform}: {count} devices x {polls} polls, {len(plan.commands)} commands each")
        for persistent in (True, False):
            devices = [
                Device(
                    name,
                    "127.0.0.1",
                    ssh=SshCredentials(
                        platform,
                        port=port,
                        user="admin",
                        password=Secret("lanpulse-test"),
                        host_key_check=False,
                        persistent=persistent,
                        command_timeout_s=30,
                    ),
                    interval_s=300,
                )
                for name, port in ports.items()
            ]
            cpu, wall, ok = asyncio.run(_run(devices, polls, platform))
            label = "persistent sessions " if persistent else "reconnect every poll"
            print(
                f"  {label}: {ok}/{count * polls} polls ok, {cpu:.2f} s CPU, {wall:.1f} s wall"
                f" -> {ok / cpu * 60:,.0f} polls/min/core (CPU-bound),"
                f" {ok / wall * 60:,.0f} polls/min wall at {count} concurrent"
            )
    finally:
        stop.set()
        server.join(20)


def bench_parsing(iterations: int) -> None:
    """TextFSM cost per command output, and a whole poll's parse, per platform."""
    print(f"\nTextFSM parse cost per command output (median of {iterations})")
    for platform in PLATFORMS:
        profile = load_cli_profile(platform)
        outputs = load_fixture_outputs(FIXTURES / platform)
        for spec in profile.commands:
            text = outputs[spec.command]
            times = []
            for _ in range(iterations):
                t0 = time.perf_counter()
                parse_table(spec.template, text)
                times.append(time.perf_counter() - t0)
            name = spec.template.split(":", 1)[1]
            print(
                f"  {platform:14} {spec.command:32} {len(text):6d} B"
                f"  {statistics.median(times) * 1e6:8.0f} us  ({name})"
            )
        raw = RawCli("d", platform, 0, outputs)
        device = Device("d", "127.0.0.1", ssh=SshCredentials(platform))
        t0 = time.perf_counter()
        for _ in range(iterations):
            parse_cli(raw, profile, device)
        per_poll = (time.perf_counter() - t0) / iterations
        print(f"  {platform:14} whole poll parse -> samples: {per_poll * 1e3:.2f} ms")


def main() -> None:
    """Run both benchmarks and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=4)
    ap.add_argument("--polls", type=int, default=5)
    ap.add_argument("--platform", default="cisco_ios", choices=PLATFORMS[:-1])
    ap.add_argument("--parse-iterations", type=int, default=200)
    args = ap.parse_args()
    bench_parsing(args.parse_iterations)
    bench_collection(args.platform, args.devices, args.polls)


if __name__ == "__main__":
    main()
