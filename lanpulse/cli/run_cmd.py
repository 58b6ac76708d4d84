"""`lanpulse run -c FILE`: the polling daemon, the product's main job."""

from __future__ import annotations

import argparse
import asyncio


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `run` sub-command."""
    p = sub.add_parser(
        "run",
        help="run the polling daemon",
        description="Poll every device of the configuration on its interval and write the "
        "samples to InfluxDB (or the local spool). SIGHUP reloads, SIGTERM stops cleanly. "
        "A busy daemon.http_listen address fails the start (--no-http: no endpoint).",
    )
    p.add_argument("-c", "--config", required=True, help="configuration file")
    p.add_argument(
        "--no-http",
        action="store_true",
        help="do not open daemon.http_listen (no /healthz, /metrics or /api/v1)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the configuration (failing fast on any error) and run until stopped."""
    from lanpulse.cluster.launch import run_daemon

    return asyncio.run(
        run_daemon(args.config, getattr(args, "log_level", "warning"), http=not args.no_http)
    )
