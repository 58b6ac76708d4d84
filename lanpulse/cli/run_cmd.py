"""`lanpulse run -c FILE`: the polling daemon, the product's main job."""

from __future__ import annotations

import argparse
import asyncio

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
    from lanpulse.daemon import Daemon

    async def main() -> int:
        daemon = Daemon(args.config, http=not args.no_http)
        return await daemon.run()

    return asyncio.run(main())
