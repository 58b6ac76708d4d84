"""`lanpulse alerts check|test|routes|active|retry`: validate alert rules, try them on
samples, show which receivers an alert reaches; list and retry on the running daemon."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from itertools import groupby
from pathlib import Path

from lanpulse.alerts.configsrc import AlertingConfig, load_alerting_config
from lanpulse.alerts.engine import AlertEngine, EngineOptions
from lanpulse.alerts.maintenance import windows_from_settings
from lanpulse.alerts.notifiers.base import rfc3339
from lanpulse.alerts.records import active_alerts
from lanpulse.alerts.silences import LABEL_ALIASES
from lanpulse.alerts.wiring import build_notifiers, receivers_for
from lanpulse.cli.api_client import ApiClient, add_api_arguments
from lanpulse.cli.check_cmd import add_config_argument
from lanpulse.core.errors import ConfigError
from lanpulse.core.model import Sample
from lanpulse.core.schema import validate_sample


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `alerts` sub-command with `check` and `test`."""
    p = sub.add_parser("alerts", help="validate and try alert rules")
    verbs = p.add_subparsers(dest="alerts_command", metavar="ACTION")
    verbs.required = True
    check = verbs.add_parser("check", help="validate the alerting section and every rule")
    add_config_argument(check)
    check.set_defaults(func=run_check)
    test = verbs.add_parser("test", help="show which rules would be pending or firing")
    add_config_argument(test)
    source = test.add_mutually_exclusive_group(required=True)
    source.add_argument("--samples", help="samples in the `--format json` line shape (JSONL)")
    source.add_argument("--device", help="poll this inventory device (see --count)")
    test.add_argument(
        "--count",
        type=int,
        default=2,
        help="polls of --device (default 2: rate rules need two polls)",
    )
    test.add_argument("--every", default="5s", help="time between those polls (default 5s)")
    test.add_argument(
        "--format", choices=["text", "json"], default="text", help="output as text or JSON"
    )
    test.set_defaults(func=run_test)
    routes = verbs.add_parser(
        "routes", help="which receivers an alert with these labels reaches (like amtool)"
    )
    add_config_argument(routes)
    routes.add_argument(
        "--labels", required=True, help="the alert's labels: class=printer,site=hq,..."
    )
    routes.set_defaults(func=run_routes)
    retry = verbs.add_parser(
        "retry", help="send the notifications receivers refused for good (dead letters) again"
    )
    add_api_arguments(retry)
    retry.set_defaults(func=run_retry)
    active = verbs.add_parser("active", help="the running daemon's pending and firing alerts")
    add_api_arguments(active)
    active.set_defaults(func=run_active)


def run_check(args: argparse.Namespace) -> int:
    """Validate; print a one-line summary, or raise ConfigError(s) (exit 2)."""
    cfg = load_alerting_config(args.config)
    s = cfg.settings
    build_notifiers(s, cfg.base_dir)  # reads password files: a missing one is an error now
    windows_from_settings(s.maintenance)
    print(
        f"{args.config}: {len(cfg.rules.rules)} rules OK "
        f"(packs: {', '.join(cfg.rules.packs) or 'none'}; "
        f"files: {', '.join(cfg.rules.files) or 'none'}; "
        f"receivers: {', '.join(s.receivers()) or 'none'})"
    )
    return 0


def run_routes(args: argparse.Namespace) -> int:
    """Print the receivers (comma-separated) the routing sends such an alert to."""
    labels: dict[str, str] = {}
    for item in args.labels.split(","):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"expected LABEL=VALUE, got {item!r}", key="--labels")
        labels[LABEL_ALIASES.get(name.strip(), name.strip())] = value.strip()
    cfg = load_alerting_config(args.config)
    print(",".join(receivers_for(cfg.settings, labels)) or "(no receiver)")
    return 0


def run_retry(args: argparse.Namespace) -> int:
    """Ask the running daemon to queue its dead letters again."""
    answer = ApiClient.from_args(args).call("POST", "/api/v1/dead-letters/retry", {})
    print(f"{answer['queued']} notification(s) queued again")
    return 0


def run_active(args: argparse.Namespace) -> int:
    """List the daemon's active alerts: id (for `lanpulse ack`), state, rule, device."""
    for a in ApiClient.from_args(args).call("GET", "/api/v1/alerts"):
        held = f"muted by {a['mutedBy']}" if a["mutedBy"] else ""
        held = held or (f"acked by {a['ackedBy']}" if a["ackedBy"] else "")
        device = a["labels"].get("device", "")
        print(f"{a['id']}  {a['state']:<7}  {a['severity']:<8}  {a['rule']}  {device}  {held}")
    return 0


def _time_ns(value: object, where: tuple[str, int]) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if dt.tzinfo is not None:
                return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000
    raise ConfigError(
        "time: expected RFC 3339 with a zone (2026-01-01T00:00:00Z) or nanoseconds",
        file=where[0],
        line=where[1],
    )


def read_samples(path: str) -> list[Sample]:
    """Samples from a JSONL file ({"measurement","tags","fields","time"} per line)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=path) from None
    samples: list[Sample] = []
    for n, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"invalid JSON: {exc.msg}", file=path, line=n) from None
        if not isinstance(obj, dict) or not {"measurement", "tags", "fields"} <= obj.keys():
            raise ConfigError(
                'expected {"measurement", "tags", "fields", "time"}', file=path, line=n
            )
        tags, fields = obj["tags"], obj["fields"]
        if not isinstance(tags, dict) or not isinstance(fields, dict):
            raise ConfigError("tags and fields must be objects", file=path, line=n)
        samples.append(
            Sample(
                str(obj["measurement"]),
                {str(k): str(v) for k, v in tags.items()},
                {str(k): v for k, v in fields.items() if isinstance(v, int | float)},
                _time_ns(obj.get("time"), (path, n)),
            )
        )
    return samples


def poll_device(args: argparse.Namespace) -> list[Sample]:
    """`--device`: poll one inventory device `--count` times, as the daemon would."""
    from lanpulse.config.durations import parse_duration
    from lanpulse.pipeline.once import poll_once

    if not 1 <= args.count <= 100:
        raise ConfigError("expected a count from 1 to 100", key="--count")
    try:
        every = parse_duration(args.every)
    except ValueError as exc:
        raise ConfigError(str(exc), key="--every") from None
    return poll_once(args.config, args.device, args.count, every)


def evaluate(cfg: AlertingConfig, samples: Sequence[Sample]) -> AlertEngine:
    """Run the rules over `samples` in time order, as the daemon would."""
    s = cfg.settings
    engine = AlertEngine(
        cfg.rules.rules,
        options=EngineOptions(
            flap_transitions=s.flapping.transitions,
            flap_window_s=s.flapping.window,
            dependency_wait_s=0.0,
            down_rule=s.down_rule,
            stale_after_s=s.stale_after,
        ),
    )
    ordered = sorted(samples, key=lambda x: x.time_ns)
    for t, batch in groupby(ordered, key=lambda x: x.time_ns):
        engine.observe(list(batch), t)
        engine.tick(t)
    return engine


def run_test(args: argparse.Namespace) -> int:
    """Print the pending and firing alerts the samples lead to, and why."""
    cfg = load_alerting_config(args.config)
    samples = read_samples(args.samples) if args.samples else poll_device(args)
    for sample in samples:
        for problem in validate_sample(sample):
            print(f"warning: {problem}", file=sys.stderr)
    engine = evaluate(cfg, samples)
    alerts = active_alerts(engine)
    if args.format == "json":
        for a in alerts:
            print(
                json.dumps(
                    {
                        "rule": a.rule,
                        "state": a.state,
                        "series": a.series,
                        "value": a.value,
                        "why": a.why,
                        "since": rfc3339(a.since_ns),
                    }
                )
            )
        return 0
    print(f"{len(samples)} samples, {len(cfg.rules.rules)} rules: {len(alerts)} alerts")
    for a in alerts:
        print(f"{a.state.upper():8} {a.rule:28} {a.series}")
        since = rfc3339(a.since_ns)
        print(f"         value {a.value} since {since}; rule: {a.why}")
    return 0
