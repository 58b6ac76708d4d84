"""One poller process of a supervisor: the daemon's pipeline with a shard of the inventory.

`python -m lanpulse.cluster.worker -c FILE --index K --count N` is what the supervisor
starts. The worker polls the devices whose topology root hashes to `worker-K`, keeps its
own rate state, spool (`<spool>/worker-K`) and alert state file, and writes one JSON line
of counters to stdout every second for the supervisor's `/healthz` and `/metrics`. It
answers the supervisor's calls (status page reads, silences, acks: `calls.py`) arriving on
its stdin, stops cleanly on SIGTERM, reloads on SIGHUP (both forwarded by the supervisor)
and stops when its stdin closes (the supervisor is gone).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import socket
import sys
import threading
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lanpulse.cluster.calls import WorkerCalls
from lanpulse.cluster.partition import shard, worker_names
from lanpulse.core.library_logs import quiet_library_logs
from lanpulse.core.model import Device, Sample
from lanpulse.daemon import Daemon

if TYPE_CHECKING:
    from lanpulse.alerts.mirror import AlertmanagerSilences
    from lanpulse.alerts.service import AlertingService
    from lanpulse.config.settings import LoadedConfig

log = logging.getLogger(__name__)
REPORT_INTERVAL_S = 1.0


def member_path(path: str, member: str) -> str:
    """A per-member file or directory next to the configured one (`spool` -> `spool/worker-1`)."""
    return str(Path(path) / member)


class ShardedDaemon(Daemon):
    """The daemon polling only the devices its member owns among `members`.

    Every member loads the whole inventory (alert parents and groups need it); only the
    scheduler sees the shard. `group` limits the devices to one ZooKeeper poller group.
    """

    def __init__(
        self, config_path: str, me: str, members: Sequence[str], group: str | None = None
    ) -> None:
        self.me = me
        self.members: list[str] = list(members)
        self.group = group
        self.held: set[str] = set()
        # A group member mirrors silences to Alertmanager only while its group picks it
        # (zk.py: the first live member); local workers never (their supervisor does).
        self.mirrors = False
        self.configured_mirror: AlertmanagerSilences | None = None
        super().__init__(config_path)
        self.instance = f"{socket.gethostname()}/{me}"

    def _load_config(self) -> LoadedConfig:
        loaded = super()._load_config()
        settings = loaded.settings
        # A group member is a machine of its own; local workers share one machine.
        first = self.group is not None or not self.members or self.me == self.members[0]
        update: dict[str, Any] = {
            "spool": settings.spool.model_copy(
                update={"directory": member_path(settings.spool.directory, self.me)}
            ),
        }
        if self.group is None:  # local workers: the supervisor owns the HTTP endpoint
            update["daemon"] = settings.daemon.model_copy(update={"http_listen": None})
        if not first:
            # One trap listener, one discovery schedule, one dashboard publisher per machine.
            update["traps"] = None
            update["discovery"] = settings.discovery.model_copy(update={"interval": None})
            if settings.grafana is not None:
                update["grafana"] = settings.grafana.model_copy(update={"publish_on_start": False})
        return dataclasses.replace(loaded, settings=settings.model_copy(update=update))

    def _alert_service(self) -> AlertingService:
        service = super()._alert_service()
        self.configured_mirror = service.mirror
        if not self.mirrors:  # the supervisor, or one member of the group, mirrors
            service.mirror = None
        if service.store is not None:  # one state file per member, never shared
            path = service.store.path
            service.store = type(service.store)(path.with_name(f"{path.stem}.{self.me}.json"))
        return service

    def mirroring(self, on: bool) -> None:
        """Whether this group member mirrors the group's silences to Alertmanager."""
        self.mirrors = on and self.group is not None
        self.alerting.service.mirror = self.configured_mirror if self.mirrors else None

    def target(self, devices: Sequence[Device], members: Sequence[str]) -> list[Device]:
        """The devices this member owns among `members` (its shard of its group)."""
        mine = [d for d in devices if self.group is None or d.poller_group == self.group]
        return shard(mine, members, self.me)

    def owned(self, devices: Sequence[Device]) -> list[Device]:
        """The devices this member polls now: its shard, less those held back until their
        previous owner has let them go (zk.py)."""
        return [d for d in self.target(devices, self.members) if d.name not in self.held]

    def _apply_devices(self, devices: Sequence[Device]) -> None:
        super()._apply_devices(self.owned(devices))

    def emit(self, samples: Sequence[Sample]) -> bool:
        """A poll that ends after its device moved to another member is written, but kept
        from this alert engine: the device's alerts are the new owner's now."""
        first = samples[0] if samples else None
        if (
            first is not None
            and first.measurement == "device"
            and first.tags.get("device") not in self.scheduler.devices
        ):
            return self._submit(samples)
        return super().emit(samples)

    def rebalance(self, members: Sequence[str], held: Collection[str] = ()) -> None:
        """Membership changed: poll the new shard less `held` (devices that left stop at once)."""
        self.members = list(members)
        self.held = set(held)
        self._apply_devices(self.loaded.devices)


def report_line(daemon: Daemon, worker: int) -> str:
    """The JSON line a worker reports to its supervisor."""
    return json.dumps(
        {
            "worker": worker,
            "healthy": daemon.healthy(),
            "ready": daemon.ready,
            "stats": daemon.all_stats(),
            "notifiers": daemon.alerting.notifier_health(),
        }
    )


async def _report(daemon: Daemon, worker: int) -> None:
    while True:
        sys.stdout.write(report_line(daemon, worker) + "\n")
        sys.stdout.flush()
        await asyncio.sleep(REPORT_INTERVAL_S)


def _answer_calls(daemon: Daemon, calls: WorkerCalls, loop: asyncio.AbstractEventLoop) -> None:
    """Read the supervisor's calls from stdin (in a thread: a blocking read) and answer
    each on stdout from the event loop; EOF means the supervisor died: stop cleanly."""
    pending: set[asyncio.Task[None]] = set()

    async def reply(line: bytes) -> None:
        answer = await calls.answer(line)
        if answer is not None:
            sys.stdout.write(answer + "\n")
            sys.stdout.flush()

    def start(line: bytes) -> None:
        task = loop.create_task(reply(line))
        pending.add(task)
        task.add_done_callback(pending.discard)

    def watch() -> None:
        for line in sys.stdin.buffer:
            if line.strip():
                loop.call_soon_threadsafe(start, line)
        loop.call_soon_threadsafe(daemon.request_stop)

    threading.Thread(target=watch, name="supervisor-calls", daemon=True).start()


async def run_worker(config: str, index: int, count: int) -> int:
    """Run worker `index` of `count` until stopped."""
    daemon = ShardedDaemon(config, f"worker-{index}", worker_names(count))
    calls = WorkerCalls(
        daemon.local_status(), daemon.alerting.control, daemon.alerting.notifier_health
    )
    _answer_calls(daemon, calls, asyncio.get_running_loop())
    reporter = asyncio.create_task(_report(daemon, index))
    try:
        return await daemon.run()
    finally:
        reporter.cancel()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of a worker process."""
    p = argparse.ArgumentParser(prog="lanpulse-worker")
    p.add_argument("-c", "--config", required=True)
    p.add_argument("--index", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--log-level", default="info")
    args = p.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format=f"%(asctime)s %(levelname)s worker-{args.index} %(name)s: %(message)s",
        stream=sys.stderr,
    )
    quiet_library_logs(getattr(logging, args.log_level.upper()))
    return asyncio.run(run_worker(args.config, args.index, args.count))


if __name__ == "__main__":
    sys.exit(main())
