"""Discovery sweep of a /22 (1,022 addresses) with 64 live agents, at the default pace.

Starts one snmpsim process serving 64 SNMP engines on 64 addresses of 127.20.0.0/22
(lanpulse.sim.snmpsim_estate; rewritten copies of the corpus recordings in
tests/fixtures/discovery and tests/fixtures/librenms, each with its own sysName and engine
ID), writes a configuration with two credential sets (a wrong community first, then the
right one: every silent address costs both) and `discovery:` at its defaults (rate 100
requests/s, concurrency 128, timeout 1s, 1 retry), then runs `DiscoveryRun.sweep_and_crawl`
over the whole /22 as `lanpulse discover --subnet` does. Reports:

  seconds        wall time of the sweep (target: < 30 s)
  found/expected devices found, and whether they are exactly the 64 agents
  cpu_ms         this process's CPU (user+sys) during the sweep; snmpsim's is not counted
  cpu_us_per_address  cpu_ms per address probed

Run:  cd <repo> && .venv/bin/python benchmarks/discovery_sweep.py [--credential-sets 1|2]
Prints a table line, then one JSON line.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lanpulse.config.loader import load_config  # noqa: E402
from lanpulse.discovery.runner import DiscoveryRun  # noqa: E402
from lanpulse.sim.snmpsim_estate import SimAgent, SnmpSimEstate, sorted_recording  # noqa: E402

SUBNET = "127.20.0.0/22"
LIVE = 64
RECORDINGS = [
    ROOT / "tests/fixtures/discovery/ios_c3560.snmprec",
    ROOT / "tests/fixtures/discovery/epson.snmprec",
    ROOT / "tests/fixtures/discovery/ciscowlc_cbw240ac.snmprec",
    *sorted((ROOT / "tests/fixtures/librenms/recordings/printer").glob("*.snmprec"))[:5],
]
IDENTITY = ("1.3.6.1.2.1.1.5.0|", "1.3.6.1.6.3.10.2.1.1.")


def agents(rng: random.Random) -> list[SimAgent]:
    """64 agents at random addresses of the /22, each a renamed copy of a recording."""
    hosts = [str(h) for h in ipaddress.ip_network(SUBNET).hosts()]
    texts = [p.read_text().splitlines() for p in RECORDINGS]
    out = []
    for number, address in enumerate(sorted(rng.sample(hosts, LIVE), key=ipaddress.ip_address)):
        engine = f"80000009{number + 1:08x}"
        lines = [ln for ln in texts[number % len(texts)] if not ln.startswith(IDENTITY)]
        lines += [f"1.3.6.1.2.1.1.5.0|4|bench-{number:02d}", f"1.3.6.1.6.3.10.2.1.1.0|4x|{engine}"]
        out.append(SimAgent((address,), sorted_recording(lines), engine))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--credential-sets", type=int, choices=(1, 2), default=1)
    parser.add_argument("--seed", type=int, default=22)
    args = parser.parse_args()
    live = agents(random.Random(args.seed))
    work = Path(tempfile.mkdtemp(prefix="lanpulse-bench-discovery-"))
    with SnmpSimEstate(live, workdir=work / "sim") as sim:
        sets = "[wrong, office]" if args.credential_sets == 2 else "[office]"
        config = work / "lanpulse.yaml"
        config.write_text(
            "credentials:\n"
            "  wrong: {version: 2c, community: not-this-one}\n"
            f"  office: {{version: 2c, community: {sim.community}}}\n"
            f"discovery: {{subnets: [{SUBNET}], credentials: {sets}, port: {sim.port}}}\n"
        )
        job = DiscoveryRun(load_config(config))
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.monotonic()
        found = job.sweep_and_crawl(sweep=True)
        seconds = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_ms = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    expected = {a.addresses[0] for a in live}
    got = {d.address for d in found}
    result = {
        "subnet": SUBNET,
        "addresses": job.stats.addresses,
        "credential_sets": args.credential_sets,
        "rate": job.settings.rate,
        "concurrency": job.settings.concurrency,
        "seconds": round(seconds, 2),
        "found": len(found),
        "expected": len(expected),
        "exact": got == expected,
        "requests": job.stats.requests,
        "cpu_ms": round(cpu_ms, 1),
        "cpu_us_per_address": round(cpu_ms * 1000 / max(1, job.stats.addresses), 1),
    }
    print(
        f"{SUBNET}: {result['addresses']} addresses, {args.credential_sets} credential sets: "
        f"{result['seconds']} s, found {len(found)}/{len(expected)} "
        f"({'exactly the agents' if result['exact'] else 'MISMATCH'}), "
        f"{result['requests']} requests, CPU {result['cpu_ms']} ms "
        f"= {result['cpu_us_per_address']} us/address"
    )
    print(json.dumps(result))
    return 0 if result["exact"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
