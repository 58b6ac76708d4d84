"""SNMP transport throughput: lanpulse's PysnmpClient and NativeSnmpClient against net-snmp.

Starts a private snmpd on 127.0.0.1 (lanpulse.sim.snmpd), then measures, in one run:

  get10     GET with 10 OIDs per PDU, repeated N times (system group, ifNumber, sysORTable
            entries; 9 of the 10 exist on snmpd, so 9 varbinds come back per request)
  get10-v3  the same over SNMPv3 authPriv (SHA / AES-128)
  ifwalk    a GETBULK walk of all ifTable + ifXTable columns (22 + 19 columns walked
            together, one varbind per column per repetition), repeated M times; this host
            has 4 interfaces, so each walk is 160 varbinds in a few requests
  mib2walk  a GETBULK walk of the whole mib-2 subtree (.1.3.6.1.2.1: interfaces, IP, TCP/UDP
            tables, host resources incl. hrSWRunTable; ~12,000 varbinds here, varying with
            the live process and socket tables) repeated K times; big responses

each with max-repetitions 25, first through PysnmpClient ("lanpulse/pysnmp"), then through
NativeSnmpClient ("lanpulse/fast", v1/v2c only: no get10-v3 row), and as the reference the
same work done by net-snmp's `snmpget` / `snmpbulkwalk` (one process per request or walk,
so their figures include process start-up; varbinds counted from their numeric output; CPU
from getrusage(RUSAGE_CHILDREN)). Client CPU is this process's CPU time
(`time.process_time`); snmpd's own CPU is not counted on either side.

Run:  cd <repo> && PYTHONPATH=. /work/venv/bin/python benchmarks/snmp_throughput.py
Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.client import NativeSnmpClient, PysnmpClient
from lanpulse.core.model import Secret, SnmpCredentials
from lanpulse.sim.snmpd import SnmpdAgent, SnmpdUser

COMMUNITY = "bench-community"
USER = SnmpdUser("bench", "sha", "bench-auth-pass", "aes", "bench-priv-pass")
GET_OIDS = [f"1.3.6.1.2.1.1.{n}.0" for n in range(1, 8)] + [
    "1.3.6.1.2.1.2.1.0",
    "1.3.6.1.2.1.1.9.1.2.1",
    "1.3.6.1.2.1.1.9.1.3.1",
]
IF_COLUMNS = [f"1.3.6.1.2.1.2.2.1.{n}" for n in range(1, 23)] + [
    f"1.3.6.1.2.1.31.1.1.1.{n}" for n in range(1, 20)
]
MIB2 = "1.3.6.1.2.1"
NETSNMP_ENV = dict(os.environ, MIBS="", MIBDIRS="/nonexistent")  # numeric OIDs: no MIB loading


@dataclass
class Row:
    """One measured case."""

    case: str
    tool: str
    runs: int
    varbinds: int
    wall_s: float
    cpu_s: float

    @property
    def varbinds_per_s(self) -> float:
        return self.varbinds / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_s_per_1000(self) -> float:
        return 1000 * self.cpu_s / self.varbinds if self.varbinds else 0.0


async def measure_client(
    case: str,
    repeats: int,
    work: Callable[[], Awaitable[int]],
    warm: bool = True,
    tool: str = "lanpulse/pysnmp",
) -> Row:
    """Run `work` `repeats` times (after one warm-up call); `work` returns varbinds fetched."""
    if warm:
        await work()
    varbinds = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        varbinds += await work()
    return Row(
        case,
        tool,
        repeats,
        varbinds,
        time.perf_counter() - wall,
        time.process_time() - cpu,
    )


def measure_netsnmp(case: str, repeats: int, argv: list[str]) -> Row:
    """Run a net-snmp command `repeats` times; varbinds = lines of numeric output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    varbinds = 0
    wall = time.perf_counter()
    for _ in range(repeats):
        out = subprocess.run(argv, capture_output=True, env=NETSNMP_ENV, check=True).stdout
        varbinds += sum(1 for line in out.splitlines() if line.startswith(b"."))
    elapsed = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Row(case, argv[0], repeats, varbinds, elapsed, cpu)


async def run(
    port: int, get_requests: int, walk_repeats: int, mib2_repeats: int, ref_share: int
) -> list[Row]:
    """Every case, client first, then net-snmp."""
    client = PysnmpClient()
    v2 = SnmpTarget(
        "bench", "127.0.0.1", port, SnmpCredentials(community=Secret(COMMUNITY), timeout_s=5)
    )
    v3 = SnmpTarget(
        "bench",
        "127.0.0.1",
        port,
        SnmpCredentials(
            version="3",
            user=USER.name,
            auth_protocol="sha",
            auth_password=Secret(USER.auth_password or ""),
            priv_protocol="aes",
            priv_password=Secret(USER.priv_password or ""),
            timeout_s=5,
        ),
    )

    async def get(target: SnmpTarget) -> int:
        return len(await client.get(target, GET_OIDS))

    async def walk(columns: list[str]) -> int:
        result = await client.walk(v2, columns)
        return sum(len(v) for v in result.values())

    rows = [
        await measure_client("get10", get_requests, lambda: get(v2)),
        await measure_client("get10-v3", get_requests, lambda: get(v3)),
        await measure_client("ifwalk", walk_repeats, lambda: walk(IF_COLUMNS)),
        await measure_client("mib2walk", mib2_repeats, lambda: walk([MIB2])),
    ]
    client.close()
    rows += await run_fast(v2, get_requests, walk_repeats, mib2_repeats)

    agent = f"127.0.0.1:{port}"
    v2_args = ["-v2c", "-c", COMMUNITY, "-On", "-t", "5"]
    v3_args = ["-v3", "-l", "authPriv", "-u", USER.name, "-a", "SHA", "-A"]
    v3_args += [USER.auth_password or "", "-x", "AES", "-X", USER.priv_password or "", "-On"]
    ref_gets = max(1, get_requests // ref_share)
    rows += [
        measure_netsnmp("get10", ref_gets, ["snmpget", *v2_args, agent, *GET_OIDS]),
        measure_netsnmp("get10-v3", ref_gets, ["snmpget", *v3_args, agent, *GET_OIDS]),
        # snmpbulkwalk walks one subtree per process: ifTable and ifXTable are two walks.
        _sum_rows(
            "ifwalk",
            [
                measure_netsnmp(
                    "ifwalk",
                    walk_repeats,
                    ["snmpbulkwalk", *v2_args, "-Cr25", agent, table],
                )
                for table in ("1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1")
            ],
        ),
        measure_netsnmp("mib2walk", mib2_repeats, ["snmpbulkwalk", *v2_args, "-Cr25", agent, MIB2]),
    ]
    return rows


async def run_fast(
    v2: SnmpTarget, get_requests: int, walk_repeats: int, mib2_repeats: int
) -> list[Row]:
    """The v1/v2c cases through NativeSnmpClient."""
    fast = NativeSnmpClient()
    tool = "lanpulse/fast"

    async def get() -> int:
        return len(await fast.get(v2, GET_OIDS))

    async def walk(columns: list[str]) -> int:
        result = await fast.walk(v2, columns)
        return sum(len(v) for v in result.values())

    rows = [
        await measure_client("get10", get_requests, get, tool=tool),
        await measure_client("ifwalk", walk_repeats, lambda: walk(IF_COLUMNS), tool=tool),
        await measure_client("mib2walk", mib2_repeats, lambda: walk([MIB2]), tool=tool),
    ]
    fast.close()
    return rows


def _sum_rows(case: str, rows: list[Row]) -> Row:
    return Row(
        case,
        rows[0].tool,
        rows[0].runs,
        sum(r.varbinds for r in rows),
        sum(r.wall_s for r in rows),
        sum(r.cpu_s for r in rows),
    )


def main() -> int:
    """Parse arguments, start snmpd, measure, print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--get-requests", type=int, default=1000, help="GET PDUs per case")
    parser.add_argument("--walk-repeats", type=int, default=50, help="ifTable+ifXTable walks")
    parser.add_argument("--mib2-repeats", type=int, default=3, help="whole mib-2 walks")
    parser.add_argument(
        "--ref-share",
        type=int,
        default=5,
        help="net-snmp snmpget runs = get-requests / this (each is a process)",
    )
    args = parser.parse_args()
    with SnmpdAgent(community=COMMUNITY, users=(USER,)) as agent:
        rows = asyncio.run(
            run(agent.port, args.get_requests, args.walk_repeats, args.mib2_repeats, args.ref_share)
        )

    print(
        f"{'case':<10} {'tool':<16} {'runs':>8} {'varbinds':>9} {'wall s':>8} "
        f"{'vb/s':>9} {'cpu s/1k vb':>12}"
    )
    for r in rows:
        print(
            f"{r.case:<10} {r.tool:<16} {r.runs:>8} {r.varbinds:>9} {r.wall_s:>8.2f} "
            f"{r.varbinds_per_s:>9.0f} {r.cpu_s_per_1000:>12.4f}"
        )
    print(
        json.dumps(
            {
                "benchmark": "snmp_throughput",
                "python": sys.version.split()[0],
                "rows": [
                    {
                        **asdict(r),
                        "varbinds_per_s": round(r.varbinds_per_s, 1),
                        "cpu_s_per_1000_varbinds": round(r.cpu_s_per_1000, 5),
                    }
                    for r in rows
                ],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
