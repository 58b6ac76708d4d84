"""Repeatable cost of one SNMP request: instructions counted by callgrind, not time.

CPU time on the shared 2-core box moves by ±30 % with other people's load; instruction
counts do not. This script does N requests of one case with one client against a private
snmpd (the same targets and OIDs as `snmp_throughput.py`); run it under callgrind twice, with
N and 1, and divide the difference by N - 1 (snmpd runs in its own process, not counted):

    for n in 1 501; do PYTHONPATH=. valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python benchmarks/snmp_callgrind.py sha-aes get10 $n 2>&1 | grep Collected; done

Tools: v2c, sha-aes, sha256-aes256; cases: get10, ifwalk. Prints nothing but the
CPU seconds (meaningless under valgrind; the instruction count is the figure).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import snmp_throughput as bench  # the sibling script: same targets and OIDs

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.client import NativeSnmpClient
from lanpulse.core.model import Secret, SnmpCredentials
from lanpulse.sim.snmpd import SnmpdAgent


async def run(port: int, tool: str, case: str, repeats: int) -> float:
    """CPU seconds for `repeats` requests (after one warm-up of each case)."""
    if tool == "v2c":
        creds = SnmpCredentials(community=Secret(bench.COMMUNITY), timeout_s=5)
        target = SnmpTarget("bench", "127.0.0.1", port, creds)
    else:
        target = bench.v3_target(port, bench.USERS[tool])
    client = NativeSnmpClient()
    try:
        work = await bench.client_work(client, target)
        _varbinds, cpu = await bench.measure(work[case], repeats)
        return cpu
    finally:
        client.close()


def main() -> int:
    """argv: tool case repeats."""
    tool, case, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with SnmpdAgent(community=bench.COMMUNITY, users=tuple(bench.USERS.values())) as agent:
        cpu = asyncio.run(run(agent.port, tool, case, repeats))
    print(f"{tool} {case} x{repeats}: {cpu:.3f} s CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
