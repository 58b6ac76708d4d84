"""`lanpulse discover`: sweeps, LLDP/CDP crawls and imports -> the inventory file.

    lanpulse discover -c lanpulse.yaml --subnet 10.20.0.0/22 [--subnet ...]
    lanpulse discover -c lanpulse.yaml --seed core-sw1 [--depth 3]
    lanpulse discover -c lanpulse.yaml --import devices.csv | netbox-devices.json
    ... [--diff] [--force] [--output inventory/discovered.yaml] [--endpoints]

`--diff` prints new (+), changed (~), vanished (-) and returned (=) devices and writes
nothing. Without it the inventory file is written (hand edits kept, see
`discovery.inventory_file`), then the whole configuration is loaded again: when the result
would not load, the previous file is put back and the problems are printed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lanpulse.cli.check_cmd import add_config_argument


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `discover` sub-command."""
    p = sub.add_parser(
        "discover",
        help="find devices (subnet sweep, LLDP/CDP crawl, CSV/NetBox import) -> inventory file",
        description="Find devices and write them to the inventory file the configuration "
        "includes. Only the configured subnets (discovery.subnets and --subnet) are ever "
        "sent to. Hand edits in the file are kept unless --force.",
    )
    add_config_argument(p)
    p.add_argument("--subnet", action="append", default=[], metavar="CIDR", help="sweep it")
    p.add_argument(
        "--seed",
        action="append",
        default=[],
        metavar="DEVICE|ADDRESS",
        help="start an LLDP/CDP crawl here (repeatable)",
    )
    p.add_argument("--depth", type=int, default=None, help="crawl depth (default: discovery.depth)")
    p.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="FILE",
        help="import devices from a CSV or NetBox JSON file (repeatable)",
    )
    p.add_argument("--output", metavar="FILE", help="inventory file (default: discovery.output)")
    p.add_argument("--diff", action="store_true", help="show what would change; write nothing")
    p.add_argument("--force", action="store_true", help="overwrite keys set by hand")
    p.add_argument(
        "--endpoints", action="store_true", help="refresh the MAC -> switch port table too"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Discover, merge and write (or show the diff)."""
    from lanpulse.config.loader import load_config
    from lanpulse.core.errors import ConfigError
    from lanpulse.discovery.imports import read_import
    from lanpulse.discovery.inventory_file import merge, read_entries
    from lanpulse.discovery.records import CRAWL_SOURCES, FoundDevice
    from lanpulse.discovery.runner import DiscoveryRun, now_text

    loaded = load_config(args.config)
    settings = loaded.settings.discovery
    output = loaded.base_dir / Path(args.output or settings.output).expanduser()
    if not (args.subnet or args.seed or args.imports or args.endpoints):
        raise ConfigError(
            "nothing to do, expected --subnet, --seed, --import or --endpoints", key="discover"
        )
    job = DiscoveryRun(loaded, extra_subnets=args.subnet)
    found: list[FoundDevice] = []
    import_sources: set[str] = set()
    for path in args.imports:
        imported = read_import(path)
        import_sources.update(d.source for d in imported)
        found.extend(job.place(d) for d in imported)
    swept = job.sweep_and_crawl(
        sweep=bool(args.subnet), seeds=args.seed, depth=args.depth, progress=sys.stderr
    )
    found.extend(swept)
    entries = read_entries(output)
    own = {str(e.get("name")) for e in entries}
    scope = job.sweep_scope if args.subnet else None

    def may_vanish(entry: Mapping[str, Any]) -> bool:
        source = (entry.get("discovered") or {}).get("source")
        if source in import_sources:
            return True
        return scope is not None and source in CRAWL_SOURCES and scope.allows(entry["address"])

    result = merge(
        entries,
        found,
        now=now_text(),
        force=args.force,
        may_vanish=may_vanish,
        elsewhere=[(d.name, d.address) for d in loaded.devices if d.name not in own],
    )
    for change in result.changes:
        print(change.line())
    counts = {k: sum(1 for c in result.changes if c.kind == k) for k in ("new", "changed")}
    counts["vanished"] = sum(1 for c in result.changes if c.kind == "vanished")
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    if args.diff:
        if args.endpoints:
            print(job.refresh_endpoints(), file=sys.stderr)
        print(f"diff: {summary} (nothing written)", file=sys.stderr)
        return 0
    if found or result.changes:
        job.write_checked(output, result.entries)
        print(f"wrote {output}: {len(result.entries)} devices ({summary})", file=sys.stderr)
    if not job.includes(output):
        print(
            f"note: {output} is not in the configuration's `inventory:` list; add it so the "
            "daemon polls these devices",
            file=sys.stderr,
        )
    if args.endpoints:
        # After writing: the switches just found are walked too.
        refreshed = DiscoveryRun(load_config(args.config), extra_subnets=args.subnet)
        print(refreshed.refresh_endpoints(), file=sys.stderr)
    return 0
