"""`lanpulse status [-c FILE]`: the status page's summary and device list in the terminal.

It reads the running daemon's `/api/v1/summary` and `/api/v1/devices` (the same data the
page renders), so the terminal and the browser agree.
"""

from __future__ import annotations

import argparse
from typing import Any

from lanpulse.cli.api_client import ApiClient, add_api_arguments

STATUS_STYLE = {"up": "green", "down": "bold red", "unknown": "dim"}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `status` sub-command."""
    p = sub.add_parser(
        "status",
        help="show the running daemon's estate summary and device list",
        description="Ask the running daemon (daemon.http_listen of -c FILE) for its summary "
        "and device table, as the status page shows them.",
    )
    add_api_arguments(p)
    for key in ("class", "site", "group", "status", "profile"):
        p.add_argument(f"--{key}", dest=f"f_{key}", help=f"only devices of this {key}")
    p.add_argument("--search", help="only devices with this text anywhere in their row")
    p.add_argument("--sort", default="name", help="column to sort by (-COLUMN: descending)")
    p.set_defaults(func=run)


def _query(args: argparse.Namespace) -> str:
    from urllib.parse import urlencode

    wanted = {k: getattr(args, f"f_{k}") for k in ("class", "site", "group", "status", "profile")}
    wanted["q"] = args.search
    wanted["sort"] = args.sort
    return urlencode({k: v for k, v in wanted.items() if v})


def render(summary: dict[str, Any], devices: list[dict[str, Any]]) -> list[Any]:
    """The rich renderables: a summary line, the per-class table, the devices table."""
    from rich.table import Table
    from rich.text import Text

    d = summary["devices"]
    firing = sum(summary.get("firing", {}).values())
    head = Text.assemble(
        ("estate ", "bold"),
        (summary["health"], "green" if summary["health"] == "ok" else "bold red"),
        f": {d['up']} up, ",
        (f"{d['down']} down", "bold red" if d["down"] else ""),
        f", {d['unknown']} not polled yet; {firing} firing alert(s); "
        f"spool {int(summary.get('spool', {}).get('spool_bytes', 0))} B",
    )
    classes = Table(title="by class")
    for col in ("class", "up", "down", "unknown"):
        classes.add_column(col, justify="left" if col == "class" else "right")
    for name, c in sorted(summary["by_class"].items()):
        classes.add_row(name, str(c["up"]), str(c["down"]), str(c["unknown"]))
    table = Table(title=f"devices ({len(devices)})")
    cols = ("name", "status", "class", "site", "profile", "model", "last_poll", "poll_seconds")
    for col in (*cols, "error"):
        table.add_column(col.replace("_", " "), overflow="fold")
    for row in devices:
        cells = [str(row.get(c) if row.get(c) is not None else "") for c in cols]
        cells[1] = f"[{STATUS_STYLE.get(row['status'], '')}]{row['status']}[/]"
        table.add_row(*cells, Text(row.get("error") or "", style="red"))
    return [head, classes, table]


def run(args: argparse.Namespace) -> int:
    """Print the summary and the devices; exit 1 when a device is down."""
    from rich.console import Console

    client = ApiClient.from_args(args)
    summary = client.call("GET", "/api/v1/summary")
    devices = client.call("GET", "/api/v1/devices?" + _query(args))
    console = Console()
    for part in render(summary, devices):
        console.print(part)
    return 1 if summary["devices"]["down"] else 0
