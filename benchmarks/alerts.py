"""Alert evaluation cost per sample with the shipped default packs, on a synthetic estate.

The estate: 500 switches x 48 ports (+ host, 2 sensors), 5,000 printers (printer, 4 supplies,
2 trays), 20,000 desktops (host, 2 volumes); every device also sends its `device` sample.
One 5-minute cycle is ~146,000 samples, fed one poll (device) at a time as the daemon does,
with `tick` every 5 s and the state file checkpointed every 60 s. A few percent of the
series are unhealthy so alerts go pending, fire and resolve.

    PYTHONPATH=. /work/venv/bin/python benchmarks/alerts.py [--cycles 4] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import tempfile
import time
from pathlib import Path

from lanpulse.alerts.packs import load_rule_set
from lanpulse.alerts.service import AlertingService
from lanpulse.config.alerting import AlertingSettings
from lanpulse.core.model import Sample

S = 1_000_000_000
CYCLE_S = 300
TICK_S = 5


def estate(rng: random.Random, t: int) -> list[list[Sample]]:
    """One cycle of polls: a list of per-device sample batches."""
    polls: list[list[Sample]] = []

    def base(name: str, cls: str) -> dict[str, str]:
        return {"device": name, "class": cls, "site": f"site{hash(name) % 20}"}

    for i in range(500):
        tags = base(f"sw{i:03d}", "switch")
        batch = [Sample("device", tags, {"up": 1, "poll_seconds": 1.2}, t)]
        for p in range(1, 49):
            down = rng.random() < 0.002
            util = rng.uniform(0, 100) if rng.random() < 0.01 else rng.uniform(0, 40)
            batch.append(
                Sample(
                    "interface",
                    {**tags, "if_index": str(p), "if_name": f"Gi1/0/{p}"},
                    {
                        "in_octets": 123456789,
                        "out_octets": 98765432,
                        "in_bps": util * 1e7,
                        "out_bps": util * 5e6,
                        "in_util_pct": util,
                        "out_util_pct": util / 2,
                        "speed_bps": 1_000_000_000,
                        "oper_status": 2 if down else 1,
                        "admin_status": 1,
                        "in_errors": 0,
                        "out_errors": 0,
                        "in_discards": 0,
                        "out_discards": 0,
                        "in_errors_ps": 2.0 if rng.random() < 0.001 else 0.0,
                        "out_errors_ps": 0.0,
                        "in_discards_ps": 0.0,
                        "out_discards_ps": 0.0,
                    },
                    t,
                )
            )
        batch.append(Sample("host", tags, {"cpu_pct": rng.uniform(5, 60), "mem_used_pct": 40.0}, t))
        for n, kind in enumerate(("temperature", "fan")):
            health = 2 if rng.random() < 0.001 else 0
            batch.append(
                Sample(
                    "sensor",
                    {**tags, "sensor": f"s{n}", "sensor_type": kind},
                    {"value": 40.0, "health": health, "state": 1},
                    t,
                )
            )
        polls.append(batch)
    for i in range(5000):
        tags = base(f"prn{i:04d}", "printer")
        up = 0 if rng.random() < 0.002 else 1
        batch = [Sample("device", tags, {"up": up}, t)]
        if up:
            flags = {
                c: int(rng.random() < 0.005)
                for c in (
                    "no_paper",
                    "jammed",
                    "door_open",
                    "offline",
                    "service_requested",
                    "low_toner",
                    "no_toner",
                    "low_paper",
                )
            }
            batch.append(Sample("printer", tags, {"status": 3, "page_count": 12345, **flags}, t))
            for n, color in enumerate(("black", "cyan", "magenta", "yellow")):
                level = rng.uniform(0, 12) if rng.random() < 0.03 else rng.uniform(15, 100)
                batch.append(
                    Sample(
                        "printer_supply",
                        {
                            **tags,
                            "supply": f"{color} toner",
                            "supply_index": str(n + 1),
                            "supply_type": "toner",
                            "color": color,
                        },
                        {"level": int(level), "max_capacity": 100, "level_pct": level},
                        t,
                    )
                )
            for n in range(2):
                batch.append(
                    Sample(
                        "printer_tray",
                        {**tags, "tray": f"Tray {n + 1}", "tray_index": str(n)},
                        {"level": 250, "max_capacity": 500, "level_pct": 50.0},
                        t,
                    )
                )
        polls.append(batch)
    for i in range(20000):
        tags = base(f"pc{i:05d}", "desktop")
        up = 0 if rng.random() < 0.01 else 1
        batch = [Sample("device", tags, {"up": up}, t)]
        if up:
            cpu = 99.0 if rng.random() < 0.005 else rng.uniform(1, 50)
            batch.append(
                Sample(
                    "host",
                    tags,
                    {"cpu_pct": cpu, "mem_used_pct": rng.uniform(30, 97), "mem_total_bytes": 16e9},
                    t,
                )
            )
            for vol in ("C:", "D:"):
                used = rng.uniform(90, 99) if rng.random() < 0.02 else rng.uniform(10, 80)
                batch.append(
                    Sample(
                        "storage",
                        {**tags, "volume": vol, "storage_type": "fixed_disk"},
                        {"size_bytes": 5e11, "used_bytes": 5e9 * used, "used_pct": used},
                        t,
                    )
                )
        polls.append(batch)
    return polls


def run(cycles: int, profile: bool) -> None:
    """Build the engine with the default packs and time `cycles` cycles."""
    with tempfile.TemporaryDirectory(prefix="lanpulse-bench-") as tmp:
        _run(cycles, profile, tmp)


def _run(cycles: int, profile: bool, tmp: str) -> None:
    rules = load_rule_set([], base_dir=Path(".")).rules
    settings = AlertingSettings.model_validate({"state_file": f"{tmp}/state.json"})
    svc = AlertingService.from_settings(settings, rules, base_dir=Path(tmp))
    rng = random.Random(42)
    t0 = 1_800_000_000 * S
    prof = cProfile.Profile() if profile else None
    cpu_total = 0.0
    samples_total = 0
    alert_samples = 0
    for cycle in range(cycles):
        start = t0 + cycle * CYCLE_S * S
        polls = estate(rng, start)  # building samples is the parsers' cost, not timed
        n = sum(len(b) for b in polls)
        step = CYCLE_S * S // len(polls)
        ticks = CYCLE_S // TICK_S
        per_tick = len(polls) // ticks + 1
        if prof is not None and cycle > 0:
            prof.enable()
        c0 = time.process_time()
        for k in range(ticks):
            now = start + k * TICK_S * S
            for j, batch in enumerate(polls[k * per_tick : (k + 1) * per_tick]):
                alert_samples += len(svc.observe(batch, now + j * step // per_tick))
            alert_samples += len(svc.tick(now + TICK_S * S - 1))
        c1 = time.process_time()
        if prof is not None:
            prof.disable()
        if cycle > 0:  # the first cycle fills the state; steady state is what counts
            cpu_total += c1 - c0
            samples_total += n
        print(
            f"cycle {cycle}: {n} samples, {c1 - c0:.3f} s CPU, "
            f"{len(svc.engine.alerts)} alerts held, {svc.dispatcher.queued()} queued"
        )
    per_cycle = cpu_total / (cycles - 1)
    print(f"rules: {len(rules)} (default packs)")
    print(f"CPU per sample: {cpu_total / samples_total * 1e6:.2f} us")
    print(
        f"CPU per 5-minute cycle: {per_cycle:.3f} s = "
        f"{per_cycle / CYCLE_S * 100:.2f} % of one core (target < 5 %)"
    )
    print(f"alert samples produced: {alert_samples}")
    if prof is not None:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(20)


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=4)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    run(max(args.cycles, 2), args.profile)


if __name__ == "__main__":
    main()
