"""`lanpulse spool status|replay`: inspect the local spool, ship it to an InfluxDB later.

`replay` takes the spool's lock, so it runs while the daemon that owns the directory is
stopped (or against a copy). Secrets come from files or environment variables, never from
the command line, where `ps` would show them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime

from lanpulse.config.durations import parse_duration
from lanpulse.core.errors import ConfigError, LanpulseError
from lanpulse.core.model import Secret
from lanpulse.timeseries.shipper import Backoff, Shipper
from lanpulse.timeseries.spool import Spool, SpoolState, inspect_spool
from lanpulse.timeseries.writer import Writer
from lanpulse.timeseries.writer_v1 import InfluxV1Writer
from lanpulse.timeseries.writer_v2 import InfluxV2Writer


def register(sub: argparse._SubParsersAction) -> None:
    """Add `spool status` and `spool replay`."""
    p = sub.add_parser("spool", help="inspect the local spool or replay it into InfluxDB")
    actions = p.add_subparsers(dest="spool_action", metavar="ACTION")
    actions.required = True

    st = actions.add_parser("status", help="what waits in a spool directory")
    st.add_argument("--dir", required=True, help="spool directory (spool.directory)")
    st.add_argument("--json", action="store_true", help="print JSON instead of text")
    st.set_defaults(func=run_status)

    rp = actions.add_parser("replay", help="send a spool to InfluxDB, oldest first")
    rp.add_argument("--dir", required=True, help="spool directory (spool.directory)")
    rp.add_argument("--to", required=True, metavar="URL", help="InfluxDB base URL")
    rp.add_argument(
        "--api", choices=["v1", "v2"], default="v1", help="v1: InfluxDB 1.x; v2: 2.x/3.x/Cloud"
    )
    rp.add_argument("--database", help="v1: database")
    rp.add_argument("--retention-policy", help="v1: retention policy")
    rp.add_argument("--username", help="v1: user")
    rp.add_argument("--password-file", help="v1: file holding the password")
    rp.add_argument(
        "--password-env", default="INFLUX_PASSWORD", help="v1: env var with the password"
    )
    rp.add_argument("--org", help="v2: organisation")
    rp.add_argument("--bucket", help="v2: bucket")
    rp.add_argument("--token-file", help="v2: file holding the token")
    rp.add_argument("--token-env", default="INFLUX_TOKEN", help="v2: env var with the token")
    rp.add_argument("--gzip", action="store_true", help="compress request bodies")
    rp.add_argument("--batch-size", type=int, default=5000, help="points per request")
    rp.add_argument("--timeout", default="10s", help="per-request timeout")
    rp.add_argument(
        "--give-up-after", default="60s", help="stop when nothing was acknowledged this long"
    )
    rp.set_defaults(func=run_replay)


def _fmt_ns(ns: int | None) -> str:
    if ns is None:
        return "-"
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat(timespec="seconds")


def _state_dict(state: SpoolState) -> dict[str, object]:
    return {
        "directory": state.directory,
        "segments": state.segments,
        "pending_bytes": state.bytes,
        "pending_points": state.points,
        "oldest": _fmt_ns(state.oldest_ns),
        "newest": _fmt_ns(state.newest_ns),
        "rejected_files": state.rejected_files,
        "dropped_points": state.counters.dropped_points,
        "rejected_points": state.counters.rejected_points,
        "corrupt_bytes": state.counters.corrupt_bytes,
    }


def run_status(args: argparse.Namespace) -> int:
    """Print what waits in the spool (read-only; safe while the daemon runs)."""
    info = _state_dict(inspect_spool(args.dir))
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            print(f"{key + ':':17} {value}")
    return 0


def _secret(file: str | None, env: str | None, what: str, flag: str) -> Secret | None:
    if file:
        try:
            with open(file) as fh:
                return Secret(fh.read().strip())
        except OSError as exc:
            raise ConfigError(f"cannot read {what} file {file}: {exc.strerror}", key=flag) from None
    value = os.environ.get(env) if env else None
    return Secret(value) if value else None


def _duration(text: str, flag: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ConfigError(str(exc), key=flag) from None


def build_replay_writer(args: argparse.Namespace) -> Writer:
    """The writer the replay flags describe."""
    if not args.to.startswith(("http://", "https://")):
        raise ConfigError("expected http://host:port or https://host:port", key="--to")
    timeout = _duration(args.timeout, "--timeout")
    if args.api == "v1":
        if not args.database:
            raise ConfigError("--api v1 needs --database", key="--database")
        password = _secret(args.password_file, args.password_env, "password", "--password-file")
        return InfluxV1Writer(
            args.to,
            args.database,
            retention_policy=args.retention_policy,
            username=args.username,
            password=password,
            timeout_s=timeout,
            gzip=args.gzip,
        )
    if not args.bucket:
        raise ConfigError("--api v2 needs --bucket (and --org for InfluxDB 2.x)", key="--bucket")
    token = _secret(args.token_file, args.token_env, "token", "--token-file")
    return InfluxV2Writer(
        args.to, args.bucket, org=args.org, token=token, timeout_s=timeout, gzip=args.gzip
    )


def run_replay(args: argparse.Namespace) -> int:
    """Send every pending batch, oldest first; exit 1 if the server kept refusing."""
    writer = build_replay_writer(args)
    give_up = _duration(args.give_up_after, "--give-up-after")
    if not os.path.isdir(os.path.join(args.dir, "segments")):
        raise LanpulseError(f"{args.dir} is not a lanpulse spool directory (no segments/ inside)")
    spool = Spool(args.dir, max_age_s=float("inf"))
    return asyncio.run(_replay(spool, writer, args.batch_size, give_up))


async def _replay(spool: Spool, writer: Writer, batch_size: int, give_up_s: float) -> int:
    before = spool.state()
    shipper = Shipper(
        spool, writer, batch_size=batch_size, backoff=Backoff(initial_s=0.5, max_s=10.0)
    )
    await shipper.start()
    last_written, last_progress = -1, time.monotonic()
    try:
        while True:
            if await shipper.flush(min(give_up_s, 5.0)):
                break
            stats = shipper.stats()
            if stats.points_written + stats.points_rejected != last_written:
                last_written = stats.points_written + stats.points_rejected
                last_progress = time.monotonic()
            elif time.monotonic() - last_progress >= give_up_s:
                break
    finally:
        stats = shipper.stats()
        await shipper.stop(0)
    left = stats.spool_points
    rejected = stats.points_rejected - before.counters.rejected_points
    print(
        f"replayed {stats.points_written} of {before.points} points to {writer.describe()}"
        f" in {stats.batches_written} requests; {rejected} points quarantined in rejected/;"
        f" {left} points left in the spool"
    )
    if left:
        print(f"error: stopped: {stats.last_error or 'no progress'}", file=sys.stderr)
        return 1
    return 0
