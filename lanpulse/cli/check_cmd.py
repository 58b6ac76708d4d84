"""`lanpulse check -c FILE`: validate the configuration, print one summary line or every problem.

Exit 0 with `ok: ...`; exit 2 with one `FILE:LINE: key.path: problem` line per problem (the
CLI frame prints ConfigErrors and chooses the exit code).
"""

from __future__ import annotations

import argparse
import os

from lanpulse.config.loader import load_config

CONFIG_ENV = "LANPULSE_CONFIG"
DEFAULT_CONFIG = "lanpulse.yaml"


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    """`-c/--config FILE`, defaulting to $LANPULSE_CONFIG, then ./lanpulse.yaml."""
    parser.add_argument(
        "-c",
        "--config",
        metavar="FILE",
        default=os.environ.get(CONFIG_ENV, DEFAULT_CONFIG),
        help=f"configuration file (default: ${CONFIG_ENV} or {DEFAULT_CONFIG})",
    )


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `check` sub-command."""
    p = sub.add_parser(
        "check",
        help="validate the configuration file",
        description="Validate the configuration: print one summary line, or every problem "
        "found (one per line, FILE:LINE: key: what is wrong) and exit 2.",
    )
    add_config_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the configuration and print its summary; ConfigErrors go to the CLI frame."""
    loaded = load_config(args.config)
    print(loaded.summary())
    return 0
