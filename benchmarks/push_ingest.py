"""Agents' push through the whole path: HTTP, parse, map, rates, spool, alert engine.

    PYTHONPATH=. .venv/bin/python benchmarks/push_ingest.py [--hosts 20000] [--rounds 2]

A daemon (this process: `lanpulse.daemon.Daemon`, spool only, the shipped alert packs) takes
pushes from a load generator in a child process (aiohttp client, keep-alive, 32 requests in
flight): each host posts Telegraf's default Windows set (win_perf_counters: 39 logical CPUs
and _Total, 4 volumes and _Total, 4 physical disks, 4 adapters in win_net and again in the
unnamed win_perf_counters object, system, memory, paging file: 60 lines) once per round, a
round per minute of agent time. CPU is this process's user + system time (the client's is
not counted); RSS is read after the last round, with every host registered and its rate
state filled. The figure to compare with polling is ms of CPU per host and interval
(benchmarks/README.md: the pipeline polls a Windows desktop in 1.8-2.1 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import tempfile
import time
from pathlib import Path

from lanpulse.daemon import Daemon
from lanpulse.sim.servers import free_tcp_port

TOKEN = "bench-token"
LINES_PER_HOST = 60


def host_body(host: str, t_s: int, round_no: int) -> str:
    """One push of Telegraf's default Windows set for `host` at `t_s` (60 lines)."""
    tags = f"host={host}"
    lines = []
    for cpu in [*map(str, range(39)), "_Total"]:
        lines.append(
            f"win_cpu,{tags},instance={cpu},objectname=Processor Percent_DPC_Time=0,"
            f"Percent_Idle_Time=91.5,Percent_Interrupt_Time=0.1,Percent_Privileged_Time=2.5,"
            f"Percent_Processor_Time=8.5,Percent_User_Time=6.0 {t_s}"
        )
    for vol in ("C:", "D:", "E:", "F:", "_Total"):
        lines.append(
            f"win_disk,{tags},instance={vol},objectname=LogicalDisk Current_Disk_Queue_Length=0,"
            f"Free_Megabytes=81234,Percent_Disk_Read_Time=0.01,Percent_Disk_Time=0.5,"
            f"Percent_Disk_Write_Time=0.49,Percent_Free_Space=33.5,Percent_Idle_Time=99.2 {t_s}"
        )
    for disk in range(4):
        lines.append(
            f"win_diskio,{tags},instance={disk},objectname=PhysicalDisk "
            f"Current_Disk_Queue_Length=0,Disk_Read_Bytes_persec=0,Disk_Reads_persec=0,"
            f"Disk_Write_Bytes_persec=40960,Disk_Writes_persec=4.5,Percent_Disk_Time=0.5 {t_s}"
        )
    for measurement in ("win_net", "win_perf_counters"):
        for nic in range(4):
            lines.append(
                f"{measurement},{tags},instance=Intel[R]\\ Ethernet\\ {nic},"
                f"objectname=Network\\ Interface Bytes_Received_persec={15234.5 + round_no},"
                f"Bytes_Sent_persec=4821.25,Packets_Outbound_Discarded=0,"
                f"Packets_Outbound_Errors=0,Packets_Received_Discarded={12 + round_no},"
                f"Packets_Received_Errors=0,Packets_Received_persec=21.5,"
                f"Packets_Sent_persec=14.25 {t_s}"
            )
    lines.append(
        f"win_system,{tags},objectname=System Context_Switches_persec=1388.9,"
        f"Processor_Queue_Length=0,System_Calls_persec=2906.7,System_Up_Time={8072 + t_s % 10000} "
        f"{t_s}"
    )
    lines.append(
        f"win_mem,{tags},objectname=Memory Available_Bytes=14458130432,Cache_Faults_persec=1.98,"
        f"Page_Faults_persec=17.85,Pages_persec=0.99,Pool_Nonpaged_Bytes=222699520 {t_s}"
    )
    lines.append(
        f"win_swap,{tags},instance=_Total,objectname=Paging\\ File Percent_Usage=3.2 {t_s}"
    )
    lines = lines[:LINES_PER_HOST]
    return "\n".join(lines) + "\n"


def load_generator(port: int, hosts: int, rounds: int, ready: object, go: object) -> None:
    """The agents: a child process, so their CPU is not counted as the daemon's."""
    import aiohttp

    start_s = int(time.time()) - rounds * 60
    bodies = [
        [host_body(f"pc-{h:05d}", start_s + r * 60, r).encode() for h in range(hosts)]
        for r in range(rounds)
    ]
    ready.set()  # type: ignore[attr-defined]
    go.wait()  # type: ignore[attr-defined]

    async def run() -> None:
        url = f"http://127.0.0.1:{port}/write?db=telegraf&precision=s&p={TOKEN}"
        connector = aiohttp.TCPConnector(limit=32)
        async with aiohttp.ClientSession(connector=connector) as session:
            for round_bodies in bodies:
                queue = list(round_bodies)

                async def worker(queue: list[bytes]) -> None:
                    while queue:
                        body = queue.pop()
                        while True:
                            async with session.post(url, data=body) as response:
                                if response.status == 204:
                                    break
                                if response.status not in (429, 503):
                                    raise RuntimeError(f"HTTP {response.status}")
                            await asyncio.sleep(float(response.headers["Retry-After"]))

                await asyncio.gather(*(worker(queue) for _ in range(32)))

    asyncio.run(run())


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main(hosts: int, rounds: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="push-bench-"))
    port = free_tcp_port()
    (tmp / "token").write_text(TOKEN)
    (tmp / "lanpulse.yaml").write_text(
        f"spool: {{directory: {tmp / 'spool'}, fsync: never, max_bytes: 8GiB}}\n"
        "daemon: {http_listen: null, selfmon_interval: 60s}\n"
        f"agents:\n  listen: 127.0.0.1:{port}\n  tokens: [{{name: all, token_file: token}}]\n"
        "  max_inflight: 64\n"
        "devices: []\n"
    )
    daemon = Daemon(str(tmp / "lanpulse.yaml"))
    task = asyncio.create_task(daemon.run(install_signals=False))
    assert daemon.agents is not None
    while daemon.agents.receiver.port is None:
        await asyncio.sleep(0.05)
    rss0 = rss_mib()
    ctx = multiprocessing.get_context("spawn")
    ready, go = ctx.Event(), ctx.Event()
    client = ctx.Process(target=load_generator, args=(port, hosts, rounds, ready, go))
    client.start()
    await asyncio.to_thread(ready.wait)
    cpu0, wall0 = cpu_s(), time.monotonic()
    go.set()
    await asyncio.to_thread(client.join)
    stats = daemon.all_stats()
    cpu, wall = cpu_s() - cpu0, time.monotonic() - wall0
    rss = rss_mib()
    daemon.request_stop()
    await task
    lines = stats["push_lines_accepted"]
    print(
        f"hosts {hosts}, rounds {rounds}, lines accepted {lines:.0f}, client exit {client.exitcode}"
    )
    print(f"samples {stats['push_samples']:.0f}, passed through {stats['push_unmapped']:.0f}")
    busy, backlog = stats.get("push_refused_busy", 0), stats.get("push_refused_backlog", 0)
    print(f"refused: busy {busy:.0f}, backlog {backlog:.0f}")
    print(f"daemon CPU {cpu:.1f} s over {wall:.1f} s wall")
    print(f"lines/s per core: {lines / cpu:,.0f}")
    print(f"ms CPU per host push ({LINES_PER_HOST} lines): {cpu / (hosts * rounds) * 1000:.2f}")
    print(f"RSS {rss:.0f} MiB ({rss - rss0:+.0f} MiB for {hosts} hosts)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(args.hosts, args.rounds))
