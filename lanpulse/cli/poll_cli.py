"""`lanpulse poll --cli -c FILE --device NAME`: one SSH poll, printed like the SNMP one."""

from __future__ import annotations

import argparse
import sys

from lanpulse.cli.render import render_lines, render_table
from lanpulse.core.errors import ConfigError


def run_cli_poll(args: argparse.Namespace) -> int:
    """Poll the device's command line once; exit 0 when it answered, 1 otherwise."""
    from lanpulse.cli.poll_cmd import device_from_config
    from lanpulse.pipeline.cli_poll import poll_cli_device

    if not args.config:
        raise ConfigError("--cli needs -c FILE --device NAME (the device's ssh settings)")
    device = device_from_config(args)
    if device.ssh is None:
        raise ConfigError(f"device {device.name!r} has no ssh section", file=args.config, key="ssh")
    samples, errors = poll_cli_device(device)
    if args.format == "table":
        sys.stdout.write(render_table(samples))
    else:
        sys.stdout.write(render_lines(samples, args.format))
    up = any(s.measurement == "device" and s.fields.get("up") == 1 for s in samples)
    for err in errors if not up else []:
        print(f"error: {err}", file=sys.stderr)
        break
    for err in errors if up else []:
        print(f"warning: {err}", file=sys.stderr)
    return 0 if up else 1
