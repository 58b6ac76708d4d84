"""`lanpulse silence add|list|expire` and `lanpulse ack`: on-call actions on the running
daemon, through its authenticated `/api/v1` (nothing to edit, nothing to reload)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from lanpulse.alerts.silences import parse_matchers
from lanpulse.cli.api_client import ApiClient, add_api_arguments
from lanpulse.config.durations import parse_duration
from lanpulse.core.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    """Add `silence` (add, list, expire) and `ack`."""
    p = sub.add_parser("silence", help="mute alerts by label on the running daemon")
    verbs = p.add_subparsers(dest="silence_command", metavar="ACTION")
    verbs.required = True
    add = verbs.add_parser("add", help="silence alerts matching LABEL=VALUE ... from now")
    add.add_argument("matchers", nargs="+", help="device=floor2-printer, rule=toner_low, ...")
    add.add_argument("--for", dest="duration", default="1h", help="how long (default 1h)")
    add.add_argument("--comment", default="", help="why (shown in `silence list`)")
    add_api_arguments(add)
    add.set_defaults(func=run_add)
    lst = verbs.add_parser("list", help="silences in force, to come, or ended within a day")
    lst.add_argument(
        "--format", choices=["text", "json"], default="text", help="output as text or JSON"
    )
    add_api_arguments(lst)
    lst.set_defaults(func=run_list)
    exp = verbs.add_parser("expire", help="end a silence now")
    exp.add_argument("id", help="silence id (a unique prefix will do)")
    add_api_arguments(exp)
    exp.set_defaults(func=run_expire)
    ack = sub.add_parser("ack", help="acknowledge a firing alert: no repeats until it resolves")
    ack.add_argument("alert", help="alert id (see `lanpulse alerts active`) or RULE/DEVICE")
    ack.add_argument("--comment", default="", help="why (shown with the alert)")
    add_api_arguments(ack)
    ack.set_defaults(func=run_ack)


def run_add(args: argparse.Namespace) -> int:
    """POST a silence; print its id."""
    try:
        matchers = parse_matchers(args.matchers)
        duration = parse_duration(args.duration)
    except ValueError as exc:
        raise ConfigError(str(exc), key="silence add") from None
    body = {
        "matchers": [m.to_api() for m in matchers],
        "duration": duration,
        "comment": args.comment,
    }
    silence = ApiClient.from_args(args).call("POST", "/api/v1/silences", body)
    print(f"silence {silence['id']} until {silence['endsAt']}: {silence['matchersText']}")
    return 0


def _line(s: dict[str, Any]) -> str:
    state = s["status"]["state"]
    comment = f"  # {s['comment']}" if s.get("comment") else ""
    return (
        f"{s['id']}  {state:<7}  until {s['endsAt']}  by {s['createdBy']}  "
        f"{s['matchersText']}{comment}"
    )


def run_list(args: argparse.Namespace) -> int:
    """Print the silences."""
    silences = ApiClient.from_args(args).call("GET", "/api/v1/silences")
    if args.format == "json":
        print(json.dumps(silences, indent=2))
    else:
        for s in silences:
            print(_line(s))
        if not silences:
            print("no silences")
    return 0


def run_expire(args: argparse.Namespace) -> int:
    """DELETE a silence."""
    ended = ApiClient.from_args(args).call("DELETE", f"/api/v1/silences/{args.id}")
    print(f"silence {ended['id']} expired")
    return 0


def run_ack(args: argparse.Namespace) -> int:
    """POST an acknowledgement."""
    body = {"alert": args.alert, "comment": args.comment}
    answer = ApiClient.from_args(args).call("POST", "/api/v1/acks", body)
    print(f"acknowledged: {', '.join(answer['acked'])}")
    return 0
