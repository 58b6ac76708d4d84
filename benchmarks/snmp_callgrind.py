"""Repeatable cost of one SNMP request: instructions counted by callgrind, not time.

CPU time on the shared 2-core box moves by ±30 % with other people's load; instruction
counts do not. This script does N requests of one case with one client against a private
snmpd (the same targets and OIDs as `snmp_throughput.py`); run it under callgrind twice, with
N and 1, and divide the difference by N - 1 (snmpd runs in its own process, not counted):

    for n in 1 501; do PYTHONPATH=. valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python benchmarks/snmp_callgrind.py sha-aes get10 $n 2>&1 | grep Collected; done

That difference still carries start-up noise (two N=1 runs have differed by ~60k instructions
per request at N=501). `--loop-only` collects the timed loop alone, after 20 warm-up
requests, by toggling callgrind's collection around it (a two-line C helper built with `cc`
against valgrind's `callgrind.h`, loaded through ctypes); repeat runs agree to ~0.03 %:

    PYTHONPATH=. valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file=/dev/null \
        .venv/bin/python benchmarks/snmp_callgrind.py sha-aes get10 200 --loop-only 2>&1 \
        | grep Collected      # divide by 200

Tools: v2c, sha-aes, sha256-aes256; cases: get10, ifwalk, and two pieces of a v2c ifwalk
replayed from its answers (captured once from snmpd, no socket in the loop): ifwalk-decode
(`codec.decode_response` on each answer) and ifwalk-filing (the walk driver over a step that
hands back the decoded answers). Prints nothing but the CPU seconds (meaningless under
valgrind; the instruction count is the figure).
"""

from __future__ import annotations

import asyncio
import ctypes
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import snmp_throughput as bench  # the sibling script: same targets and OIDs

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.client import NativeSnmpClient
from lanpulse.collectors.snmp.codec import Response, decode_response
from lanpulse.core.model import Secret, SnmpCredentials
from lanpulse.sim.snmpd import SnmpdAgent

TOGGLE_C = """#include <valgrind/callgrind.h>
void toggle(void) { CALLGRIND_TOGGLE_COLLECT; }
"""
WARM_UP = 20


def callgrind_toggle() -> Callable[[], None]:
    """A function that switches callgrind's collection on or off (a no-op outside valgrind)."""
    folder = Path(tempfile.mkdtemp(prefix="cgtoggle-"))
    (folder / "toggle.c").write_text(TOGGLE_C)
    library = folder / "toggle.so"
    cc = ["cc", "-shared", "-fPIC", "-O2", "-o", str(library), str(folder / "toggle.c")]
    subprocess.run(cc, check=True)
    return ctypes.CDLL(str(library)).toggle  # type: ignore[no-any-return]


async def run(port: int, tool: str, case: str, repeats: int, loop_only: bool = False) -> float:
    """CPU seconds for `repeats` requests (after one warm-up of each case; with `loop_only`,
    20 more, and callgrind collects the `repeats` requests only)."""
    if tool == "v2c":
        creds = SnmpCredentials(community=Secret(bench.COMMUNITY), timeout_s=5)
        target = SnmpTarget("bench", "127.0.0.1", port, creds)
    else:
        target = bench.v3_target(port, bench.USERS[tool])
    client = NativeSnmpClient()
    try:
        work = await bench.client_work(client, target)
        if tool == "v2c":
            work.update(await replayed_walk(client, target, work["ifwalk"]))
        if not loop_only:
            _varbinds, cpu = await bench.measure(work[case], repeats)
            return cpu
        toggle = callgrind_toggle()
        await bench.measure(work[case], WARM_UP)
        toggle()
        _varbinds, cpu = await bench.measure(work[case], repeats)
        toggle()
        return cpu
    finally:
        client.close()


async def replayed_walk(
    client: NativeSnmpClient, target: SnmpTarget, walk: bench.Work
) -> dict[str, bench.Work]:
    """ifwalk-decode and ifwalk-filing: the answers of one `walk`, decoded or filed again."""
    answers: list[bytes] = []
    received = client.transport.received

    def capture(data: bytes, addr: tuple[str, int]) -> None:
        answers.append(data)
        received(data, addr)

    client.transport.received = capture  # type: ignore[method-assign]
    await walk()
    del client.transport.received  # the method again
    responses = [decode_response(a) for a in answers]

    class Replay:
        """A step answering each walk's requests with the captured Responses, in order."""

        def __init__(self) -> None:
            self.answers = iter(responses)

        async def request(self, *_args: object) -> Response:
            return next(self.answers)

    async def decode() -> int:
        return sum(len(decode_response(a).varbinds) for a in answers)

    async def filing() -> int:
        rows = await client.driver.walk(Replay(), target, bench.IF_COLUMNS)
        return sum(len(v) for v in rows.values())

    return {"ifwalk-decode": decode, "ifwalk-filing": filing}


def main() -> int:
    """argv: tool case repeats [--loop-only]."""
    tool, case, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    loop_only = "--loop-only" in sys.argv[4:]
    with SnmpdAgent(community=bench.COMMUNITY, users=tuple(bench.USERS.values())) as agent:
        cpu = asyncio.run(run(agent.port, tool, case, repeats, loop_only))
    print(f"{tool} {case} x{repeats}: {cpu:.3f} s CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
