"""`lanpulse demo`: not built yet."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `demo` sub-command."""
    p = sub.add_parser("demo", help="(not built yet)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Say that this command does not exist yet."""
    print("lanpulse demo: not built yet", file=sys.stderr)
    return 1
