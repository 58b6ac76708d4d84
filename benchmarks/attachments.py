"""CPU and memory of attaching devices to switch ports at the estate's size.

    PYTHONPATH=. python benchmarks/attachments.py [--desktops 20000] [--rounds 5]

Builds an endpoint table of N desktops on 48-port access switches (plus printers and
phones nobody names), the identities the daemon would pass (inventory addresses and agents'
push source addresses), and times `Attachments.build` and the `device_port` samples: what
the daemon does each time the endpoint file or an agent's address changes. CPU time
(`time.process_time`), best of the rounds: the machine is shared.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from lanpulse.discovery.attachments import Attachments, Identity
from lanpulse.discovery.endpoints import Endpoint, EndpointTable


def estate(desktops: int) -> tuple[EndpointTable, list[Identity]]:
    """N desktops (named, pushing from their address) and N/4 unnamed endpoints."""
    records: dict[str, Endpoint] = {}
    identities = []
    for i in range(desktops + desktops // 4):
        mac = ":".join(
            f"{b:02x}" for b in (0x52, 0x54, i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255)
        )
        ip = f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
        switch, port = f"sw{i // 48}", f"Gi1/0/{i % 48 + 1}"
        records[mac] = Endpoint(mac, ip, switch, port, 20, 0.0, 1.0)
        if i < desktops:
            identities.append(Identity(f"pc-{i:05d}", (ip,)))
    return EndpointTable(records), identities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--desktops", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    table, identities = estate(args.desktops)
    classes = {who.name: ("desktop", {"site": "hq"}) for who in identities}
    build, emit = [], []
    for _ in range(args.rounds):
        t0 = time.process_time()
        attached = Attachments.build(table, identities)
        t1 = time.process_time()
        samples = attached.samples(classes, 0)
        t2 = time.process_time()
        build.append(t1 - t0)
        emit.append(t2 - t1)
    assert len(attached.by_device) == args.desktops and len(samples) == args.desktops
    tracemalloc.start()
    kept = Attachments.build(table, identities)
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{args.desktops} desktops ({len(table.records)} endpoints): build "
        f"{min(build) * 1000:.0f} ms CPU, device_port samples {min(emit) * 1000:.0f} ms CPU, "
        f"attachments held {size / 2**20:.1f} MiB ({len(kept.by_device)} attached)"
    )


if __name__ == "__main__":
    main()
