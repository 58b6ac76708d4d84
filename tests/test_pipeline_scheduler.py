"""PollScheduler on its own: stable jitter, skipped (never stacked) polls, a slow device not
delaying the others, and a shutdown that lets running polls finish.

The poll function here is a coroutine that sleeps: the subject is the scheduling (APScheduler
3 on the running event loop), not SNMP, which the daemon tests cover against real agents.
"""

from __future__ import annotations

import asyncio

from lanpulse.core.model import Device
from lanpulse.pipeline.scheduler import PollScheduler, jitter_offset


def test_jitter_is_stable_and_spread() -> None:
    offsets = [jitter_offset(f"printer-{n}", 300.0) for n in range(1000)]
    assert offsets == [jitter_offset(f"printer-{n}", 300.0) for n in range(1000)]
    assert all(0 <= o < 300 for o in offsets)
    # Spread over the interval: every 30 s tenth of it gets a fair share.
    buckets = [sum(1 for o in offsets if k * 30 <= o < (k + 1) * 30) for k in range(10)]
    assert min(buckets) > 60


async def test_slow_device_is_skipped_not_stacked_and_others_keep_time() -> None:
    running: dict[str, int] = {"slow": 0, "fast": 0}
    most: dict[str, int] = {"slow": 0, "fast": 0}
    done: dict[str, int] = {"slow": 0, "fast": 0}

    async def poll(device: Device) -> bool:
        running[device.name] += 1
        most[device.name] = max(most[device.name], running[device.name])
        await asyncio.sleep(0.7 if device.name == "slow" else 0.01)
        running[device.name] -= 1
        done[device.name] += 1
        return True

    scheduler = PollScheduler(poll, max_concurrent=10)
    # deadline > interval: the only way a poll can outlast its interval.
    scheduler.add(Device(name="slow", address="127.0.0.1", interval_s=0.2, deadline_s=5))
    scheduler.add(Device(name="fast", address="127.0.0.1", interval_s=0.2))
    scheduler.start()
    await asyncio.sleep(2.0)
    cut = await scheduler.shutdown(5)
    assert cut == 0
    assert most == {"slow": 1, "fast": 1}  # never two polls of one device at once
    assert scheduler.stats.polls_skipped >= 3
    assert 2 <= done["slow"] <= 4
    assert done["fast"] >= 7  # every 0.2 s, whatever the slow one does
    assert scheduler.stats.polls == done["slow"] + done["fast"]


async def test_shutdown_waits_for_running_polls_within_the_deadline() -> None:
    finished: list[str] = []

    async def poll(device: Device) -> bool:
        await asyncio.sleep(0.5)
        finished.append(device.name)
        return True

    scheduler = PollScheduler(poll, max_concurrent=10)
    scheduler.add(Device(name="a", address="127.0.0.1", interval_s=0.1, deadline_s=5))
    scheduler.start()
    while scheduler.stats.in_flight == 0:
        await asyncio.sleep(0.01)
    assert await scheduler.shutdown(5) == 0
    assert finished == ["a"]  # the running poll finished; no new one started

    scheduler = PollScheduler(poll, max_concurrent=10)
    scheduler.add(Device(name="b", address="127.0.0.1", interval_s=0.1, deadline_s=5))
    scheduler.start()
    while scheduler.stats.in_flight == 0:
        await asyncio.sleep(0.01)
    assert await scheduler.shutdown(0.05) == 1  # cut at the deadline, and counted
    assert finished == ["a"]
