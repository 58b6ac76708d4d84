"""`lanpulse run -c FILE`: the polling daemon, the product's main job."""

from __future__ import annotations

import argparse
import asyncio
import signal

from lanpulse.cli.check_cmd import add_config_argument


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `run` sub-command."""
    p = sub.add_parser(
        "run",
        help="run the polling daemon",
        description="Poll every device of the configuration on its interval and write the "
        "samples to InfluxDB (or the local spool). SIGHUP reloads, SIGTERM stops cleanly. "
        "A busy daemon.http_listen address fails the start (--no-http: no endpoint).",
    )
    add_config_argument(p)
    p.add_argument(
        "--no-http",
        action="store_true",
        help="do not open daemon.http_listen (no /healthz, /metrics or /api/v1)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the configuration (failing fast on any error) and run until stopped."""
    from lanpulse.cluster.launch import run_daemon

    async def main() -> int:
        # A SIGTERM while the configuration loads (a large inventory, many profiles) must
        # not kill the process half-way: it is noted here and stops the daemon before its
        # first poll (the daemon installs its own handlers in place of these).
        loop = asyncio.get_running_loop()
        early = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, early.set)
        return await run_daemon(
            args.config,
            getattr(args, "log_level", "warning"),
            http=not args.no_http,
            stop_requested=early,
        )

    return asyncio.run(main())
