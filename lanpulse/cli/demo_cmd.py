"""`lanpulse demo`: a simulated estate on 127.0.0.1, polled by the real daemon.

Writes to InfluxDB when `--influx-url` is given and to the embedded spool otherwise, and
shows a live summary: devices up, polls, samples, busiest interfaces, lowest toner.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from lanpulse.core.model import Device, Sample


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `demo` sub-command."""
    p = sub.add_parser(
        "demo",
        help="run the daemon against a simulated estate of real device recordings",
    )
    p.add_argument("--interval", type=int, default=10, help="poll interval in seconds")
    p.add_argument("--duration", type=float, default=0, help="stop after N seconds (0: Ctrl-C)")
    p.add_argument("--workdir", help="keep config, spool and logs here (default: temporary)")
    p.add_argument("--influx-url", help="also write to this InfluxDB (v1 API)")
    p.add_argument(
        "--influx-database", default="lanpulse", help="database for --influx-url (created)"
    )
    p.add_argument(
        "--listen",
        default="127.0.0.1:0",
        help="the status page's address (default: a free port on 127.0.0.1)",
    )
    p.set_defaults(func=run)


class LiveSummary:
    """Keeps the latest samples of each device and renders a short status screen."""

    def __init__(self, spool_dir: Path | None = None) -> None:
        self.latest: dict[str, Sequence[Sample]] = {}
        self.spool_dir = spool_dir  # None: an InfluxDB takes the data

    def observe(self, device: Device, samples: Sequence[Sample]) -> None:
        """Remember a device's newest poll."""
        self.latest[device.name] = samples

    def render(self, stats: dict[str, float]) -> str:
        """A few lines for a person watching the demo."""
        devices = [s for ss in self.latest.values() for s in ss if s.measurement == "device"]
        up = sum(1 for s in devices if s.fields.get("up") == 1)
        links = sorted(
            (
                (float(s.fields.get("in_bps", 0)) + float(s.fields.get("out_bps", 0)), s)
                for ss in self.latest.values()
                for s in ss
                if s.measurement == "interface" and "in_bps" in s.fields
            ),
            key=lambda item: -item[0],
        )[:3]
        supplies = sorted(
            (
                (float(s.fields["level_pct"]), s)
                for ss in self.latest.values()
                for s in ss
                if s.measurement == "printer_supply" and "level_pct" in s.fields
            ),
            key=lambda item: item[0],
        )[:3]
        head = (
            f"[{time.strftime('%H:%M:%S')}] devices up {up}/{len(devices)}  "
            f"polls {int(stats.get('polls', 0))}  samples {int(stats.get('samples', 0))}  "
        )
        if self.spool_dir is None:
            head += f"written to InfluxDB {int(stats.get('points_written', 0))}"
        else:  # no database: say where the data went instead of "written 0"
            head += (
                f"kept in the spool {int(stats.get('spool_bytes', 0))} B "
                f"({self.spool_dir}; no InfluxDB: see `lanpulse spool status --dir "
                f"{self.spool_dir}`, or run with --influx-url)"
            )
        lines = [head]
        for bps, s in links:
            lines.append(
                f"  busiest: {s.tags['device']} {s.tags.get('if_name', '?')} {bps / 1e6:.2f} Mbit/s"
            )
        if not links:
            lines.append("  busiest: (rates appear from the second poll)")
        for pct, s in supplies:
            lines.append(
                f"  lowest supply: {s.tags['device']} {s.tags.get('supply', '?')} {pct:.0f}%"
            )
        return "\n".join(lines)


def create_database(url: str, database: str) -> None:
    """`CREATE DATABASE` on an InfluxDB 1.x (idempotent there); a failure is only reported."""
    import urllib.error
    import urllib.parse
    import urllib.request

    name = database.replace("\\", "\\\\").replace('"', '\\"')
    body = urllib.parse.urlencode({"q": f'CREATE DATABASE "{name}"'}).encode()
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/query", data=body, timeout=10) as resp:
            resp.read()
    except (urllib.error.URLError, OSError) as exc:
        print(f"note: could not create database {database!r} at {url}: {exc}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Start the estate and the daemon; print the live summary until stopped."""
    from lanpulse.daemon import Daemon
    from lanpulse.demo.estate import start_estate

    own = args.workdir is None
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="lanpulse-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    influx = None
    if args.influx_url:
        create_database(args.influx_url, args.influx_database)
        influx = (
            f"influxdb:\n  url: {args.influx_url}\n  api: v1\n  database: {args.influx_database}"
        )
    estate = start_estate(workdir, interval_s=args.interval, influx=influx, http_listen=args.listen)
    print(f"demo estate: {len(estate.config_text.splitlines())} config lines in {workdir}")
    print(f"config: {workdir / 'lanpulse-demo.yaml'}  (stop with Ctrl-C)")
    summary = LiveSummary(None if influx else workdir / "spool")

    async def main() -> int:
        config = workdir / "lanpulse-demo.yaml"
        daemon = Daemon(str(config), selfmon_interval_s=args.interval)
        daemon.on_outcome.append(summary.observe)
        runner = asyncio.create_task(daemon.run())
        while not runner.done() and (daemon.web is None or not daemon.web.listening):
            await asyncio.sleep(0.05)
        # --duration counts polling time: start-up (profiles, agents) on a loaded machine
        # must not eat the rounds the user asked to see.
        started = time.monotonic()
        if daemon.web is not None and daemon.web.listening:
            web = daemon.web
            url = f"{web.scheme}://{web.host}:{web.port}"
            print(f"status page: {url}/", flush=True)
            print(f"in a terminal: lanpulse status -c {config} --url {url}", flush=True)
        try:
            while not runner.done():
                await asyncio.sleep(min(args.interval, 5))
                print(summary.render(daemon.all_stats()), flush=True)
                if args.duration and time.monotonic() - started >= args.duration:
                    daemon.request_stop()
            return await runner
        finally:
            if not runner.done():
                daemon.request_stop()
                await runner

    try:
        code = asyncio.run(main())
    except KeyboardInterrupt:
        code = 0
    finally:
        estate.agent.stop()
        if own:
            print(f"spooled data kept in {workdir / 'spool'}", file=sys.stderr)
    if own and not (workdir / "spool").exists():
        shutil.rmtree(workdir, ignore_errors=True)
    return code
