"""`lanpulse dashboards`: not built yet."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `dashboards` sub-command."""
    p = sub.add_parser("dashboards", help="(not built yet)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Say that this command does not exist yet."""
    print("lanpulse dashboards: not built yet", file=sys.stderr)
    return 1
