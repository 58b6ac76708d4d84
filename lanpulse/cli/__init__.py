"""The `lanpulse` command: one small module per sub-command, wired here.

Every user error ends as one line on stderr and a non-zero exit, never a traceback;
`--debug` shows the traceback of an unexpected failure for a bug report.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from lanpulse import __version__
from lanpulse.core.errors import CollectError, ConfigError, ConfigErrors, LanpulseError
from lanpulse.core.library_logs import quiet_library_logs

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
    "report",
    "rollups",
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
    _global_options(parser, argparse.SUPPRESS)
    parser.set_defaults(debug=False, log_level="warning", log_format="text")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"lanpulse.cli.{name}_cmd")
        module.register(sub)
    for command in sub.choices.values():  # accepted after the sub-command too
        _global_options(command, argparse.SUPPRESS)
    return parser


def _global_options(parser: argparse.ArgumentParser, default: object) -> None:
    """`--debug`, `--log-level`, `--log-format`; SUPPRESS keeps an earlier value."""
    parser.add_argument(
        "--debug", action="store_true", default=default, help="show tracebacks of internal errors"
    )
    parser.add_argument(
        "--log-level",
        default=default,
        choices=["debug", "info", "warning", "error"],
        help="least severe log messages shown (default: warning)",
    )
    parser.add_argument(
        "--log-format",
        default=default,
        choices=["text", "json"],
        help="log lines as text or as one JSON object each, for log shippers (default: text)",
    )


class JsonLogFormatter(logging.Formatter):
    """One JSON object per log record: time, level, logger, message (and the exception)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        import json

        out = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonLogFormatter()
        if args.log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    level = getattr(logging, args.log_level.upper())
    logging.basicConfig(level=level, handlers=[handler])
    quiet_library_logs(level)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # `lanpulse poll ... | head`: the reader has gone; end quietly, as `cat` does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
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
