"""The `lanpulse` command: one small module per sub-command, wired here.

Every user error ends as one line on stderr and a non-zero exit, never a traceback;
`--debug` shows the traceback of an unexpected failure for a bug report.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from lanpulse import __version__
from lanpulse.core.errors import CollectError, ConfigError, ConfigErrors, LanpulseError

# Sub-command modules, each with `register(subparsers)` that sets `func` on its parser.
COMMANDS: tuple[str, ...] = (
    "check",
    "poll",
    "run",
    "demo",
    "spool",
    "profiles",
    "alerts",
    "silence",  # also registers `ack`
    "dashboards",
    "discover",
    "where",
    "status",
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="lanpulse",
        description="SNMP and SSH-CLI observability for switches, printers, storage and desktops.",
    )
    parser.add_argument("--version", action="version", version=f"lanpulse {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument(
        "--log-level", default="warning", choices=["debug", "info", "warning", "error"]
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"lanpulse.cli.{name}_cmd")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args) or 0)
    except ConfigErrors as exc:
        for err in exc.errors:
            print(err.one_line(), file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(exc.one_line(), file=sys.stderr)
        return EXIT_USAGE
    except CollectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except LanpulseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)",
            file=sys.stderr,
        )
        return EXIT_FAILED
