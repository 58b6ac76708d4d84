"""`lanpulse check`: not built yet."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `check` sub-command."""
    p = sub.add_parser("check", help="(not built yet)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Say that this command does not exist yet."""
    print("lanpulse check: not built yet", file=sys.stderr)
    return 1
