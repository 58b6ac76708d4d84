"""`lanpulse run`: one process, N workers under a supervisor, or a ZooKeeper group member."""

from __future__ import annotations

import asyncio


async def run_daemon(
    config_path: str,
    log_level: str = "warning",
    http: bool = True,
    stop_requested: asyncio.Event | None = None,
) -> int:
    """Run the configured shape until stopped; returns the exit code.

    `daemon.workers: 1` (or a small estate with the default) is the single process exactly
    as before; more workers run under a supervisor; a `cluster:` section joins a poller
    group on ZooKeeper (docs/scaling.md). `stop_requested` set while the configuration
    loaded (a SIGTERM at start-up) stops the daemon before its first poll.
    """
    from lanpulse.cluster.supervisor import Supervisor, resolve_workers
    from lanpulse.config.loader import load_config
    from lanpulse.daemon import Daemon

    loaded = load_config(config_path)
    if loaded.settings.cluster is not None:
        from lanpulse.cluster.zk import run_member

        return await run_member(config_path)
    count = resolve_workers(loaded.settings.daemon.workers, loaded.devices)
    if count == 1:
        daemon = Daemon(config_path, http=http)
        if stop_requested is not None and stop_requested.is_set():
            daemon.request_stop()
        return await daemon.run()
    if stop_requested is not None and stop_requested.is_set():
        return 0  # stopped before any worker started
    return await Supervisor(config_path, count, log_level, http=http).run()
