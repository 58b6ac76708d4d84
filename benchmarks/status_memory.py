"""Memory of the status page's state for an estate: `EstateView` rings and newest polls.

    PYTHONPATH=. .venv/bin/python benchmarks/status_memory.py [--devices 25500] [--ports 0]

Feeds each device 60 polls (one per minute: the ring's hour) of a `device` sample plus
`--ports` interface samples, and reports tracemalloc's figure for the rings alone (the newest
polls dropped) and with the newest polls kept, per device and in total.
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc

from lanpulse.core.model import Device, Sample
from lanpulse.web.estate import EstateView


def poll(name: str, t: float, ports: int) -> list[Sample]:
    tags = {"device": name, "class": "switch"}
    out = [Sample("device", tags, {"up": 1, "poll_seconds": 0.4, "poll_errors": 0}, int(t * 1e9))]
    for i in range(ports):
        out.append(
            Sample(
                "interface",
                {**tags, "if_index": str(i), "if_name": f"Gi0/{i}"},
                {"in_bps": 1e6 + i, "out_bps": 2e6, "oper_status": 1, "in_octets": 10**9},
                int(t * 1e9),
            )
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=25_500)
    ap.add_argument("--ports", type=int, default=0)
    args = ap.parse_args()
    clock = [0.0]
    view = EstateView(clock=lambda: clock[0])
    devices = [Device(f"sw{i}", "127.0.0.1") for i in range(args.devices)]
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    view.set_devices(devices)
    for minute in range(60):
        clock[0] = minute * 60.0
        for d in devices:
            view.observe(d, poll(d.name, clock[0], args.ports))
    gc.collect()
    with_polls = tracemalloc.get_traced_memory()[0] - base
    for v in view.views.values():
        v.samples = ()
    gc.collect()
    rings = tracemalloc.get_traced_memory()[0] - base
    n = args.devices
    print(f"devices {n}, ports {args.ports}")
    print(f"rings and views: {rings / 2**20:.1f} MiB ({rings / n:.0f} B per device)")
    print(f"with newest polls: {with_polls / 2**20:.1f} MiB ({with_polls / n:.0f} B per device)")


if __name__ == "__main__":
    main()
