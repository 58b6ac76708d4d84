"""`lanpulse where IP|MAC|NAME`: which switch port a device is plugged into.

Answers from the endpoint table (`discovery.endpoints.file`) that the daemon refreshes on a
slow cycle, or `lanpulse discover --endpoints` once. A NAME is an inventory device name; it
is not looked up in DNS (which may not know the estate's desktops anyway).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lanpulse.cli.check_cmd import add_config_argument


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `where` sub-command."""
    p = sub.add_parser(
        "where",
        help="which switch port an IP, MAC or device is on (from the endpoint table)",
        description="Answer from the endpoint table: switch, port, VLAN and when it was last "
        "seen. Exit 1 when the table has no record of it.",
    )
    add_config_argument(p)
    p.add_argument("what", metavar="IP|MAC|NAME", help="an address, a MAC or a device name")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print one line per record found; exit 1 when none."""
    import sys

    from lanpulse.config.loader import load_config
    from lanpulse.discovery.endpoints import EndpointTable, describe

    loaded = load_config(args.config)
    settings = loaded.settings.discovery
    path = Path(settings.endpoints.file)
    table = EndpointTable.load(path)
    query = args.what.strip()
    named = next((d for d in loaded.devices if d.name == query), None)
    records = table.find(named.address if named is not None else query)
    if not records:
        known = f"{len(table.records)} records" if table.records else "empty"
        print(f"{query}: not in the endpoint table {path} ({known})", file=sys.stderr)
        return 1
    now = time.time()
    for record in sorted(records, key=lambda r: -r.last_seen):
        label = f"{named.name} " if named is not None else ""
        print(label + describe(record, now))
    return 0
