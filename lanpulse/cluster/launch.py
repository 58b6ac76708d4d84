"""`lanpulse run`: one process, N workers under a supervisor, or a ZooKeeper group member."""

from __future__ import annotations


async def run_daemon(config_path: str, log_level: str = "warning", http: bool = True) -> int:
    """Run the configured shape until stopped; returns the exit code.

    `daemon.workers: 1` (or a small estate with the default) is the single process exactly
    as before; more workers run under a supervisor; a `cluster:` section joins a poller
    group on ZooKeeper (docs/scaling.md).
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
        return await Daemon(config_path, http=http).run()
    return await Supervisor(config_path, count, log_level, http=http).run()
