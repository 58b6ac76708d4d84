"""`lanpulse poll`: the one-shot troubleshooting command an operator runs first.

Exit 0 when the device answered; otherwise exit 1 with one line on stderr saying which of
timeout, authentication, unreachable or agent error it was.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import TYPE_CHECKING, Literal

from lanpulse.cli.render import render_explain, render_lines, render_table
from lanpulse.core.errors import CollectTimeout, ConfigError
from lanpulse.core.model import Device, Secret, SnmpCredentials

if TYPE_CHECKING:
    from lanpulse.config.profiles import ProfileSet

FORMATS = ("table", "json", "lp")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `poll` sub-command."""
    p = sub.add_parser(
        "poll",
        help="poll one device once and print what lanpulse would write",
        description="Poll one device (by address, or by name from a config file) and print "
        "its samples. Exit 0 when the device answered, 1 otherwise.",
    )
    p.add_argument("address", nargs="?", help="device address (or use -c FILE --device NAME)")
    p.add_argument(
        "-c",
        "--config",
        metavar="FILE",
        help="configuration file, with --device (default: $LANPULSE_CONFIG or lanpulse.yaml)",
    )
    p.add_argument("--device", help="device name from the configuration file")
    p.add_argument("--port", type=int, default=161, help="SNMP port (default: 161)")
    p.add_argument(
        "--snmp-version",
        choices=["1", "2c", "3"],
        default=None,
        help="SNMP version (default: 3 with --user, else 2c)",
    )
    p.add_argument("--community", help="v1/v2c community (default: public; env LANPULSE_COMMUNITY)")
    p.add_argument("--user", help="SNMPv3 user")
    p.add_argument("--auth-protocol", help="md5, sha, sha224, sha256, sha384, sha512")
    p.add_argument("--auth-password", help="SNMPv3 auth password (env LANPULSE_AUTH_PASSWORD)")
    p.add_argument("--priv-protocol", help="des, 3des, aes, aes192, aes256, aes192c, aes256c")
    p.add_argument("--priv-password", help="SNMPv3 privacy password (env LANPULSE_PRIV_PASSWORD)")
    p.add_argument("--profile", help="use this profile instead of choosing by sysObjectID")
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table (per measurement, codes in words, notes on dropped values), JSON lines, "
        "or InfluxDB line protocol",
    )
    p.add_argument("--count", type=int, default=1, help="poll N times, print the last poll")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between polls")
    p.add_argument("--timeout", type=float, default=None, help="seconds per request")
    p.add_argument("--retries", type=int, default=None, help="retries per request")
    p.add_argument("--explain", action="store_true", help="show profile choice and OIDs")
    p.add_argument("--cli", action="store_true", help="poll over SSH (the device's ssh settings)")
    p.set_defaults(func=run)


def _secret(value: str | None, env: str) -> Secret | None:
    value = value if value is not None else os.environ.get(env)
    return Secret(value) if value else None


def device_from_args(args: argparse.Namespace) -> Device:
    """An ad-hoc device from command-line options."""
    if not args.address:
        raise ConfigError("give an ADDRESS, or -c FILE --device NAME", key="poll")
    if args.count < 1:
        raise ConfigError("--count must be at least 1", key="poll")
    version: Literal["1", "2c", "3"] = args.snmp_version or ("3" if args.user else "2c")
    if version == "3" and not args.user:
        raise ConfigError("SNMPv3 needs --user", key="poll")
    creds = SnmpCredentials(
        version=version,
        community=_secret(args.community, "LANPULSE_COMMUNITY") or Secret("public"),
        user=args.user,
        auth_protocol=args.auth_protocol,
        auth_password=_secret(args.auth_password, "LANPULSE_AUTH_PASSWORD"),
        priv_protocol=args.priv_protocol,
        priv_password=_secret(args.priv_password, "LANPULSE_PRIV_PASSWORD"),
        timeout_s=args.timeout if args.timeout is not None else 2.0,
        retries=args.retries if args.retries is not None else 1,
    )
    return Device(
        name=args.address, address=args.address, port=args.port, snmp=creds, profile=args.profile
    )


def device_from_config(args: argparse.Namespace) -> Device:
    """The named device from a configuration file, with command-line overrides."""
    from dataclasses import replace

    from lanpulse.config.loader import load_config

    if not args.device:
        raise ConfigError("-c FILE needs --device NAME", key="poll")
    loaded = load_config(args.config)
    device = loaded.device(args.device)
    if args.profile:
        device = replace(device, profile=args.profile)
    if device.snmp is not None and (args.timeout is not None or args.retries is not None):
        snmp = replace(
            device.snmp,
            timeout_s=args.timeout if args.timeout is not None else device.snmp.timeout_s,
            retries=args.retries if args.retries is not None else device.snmp.retries,
        )
        device = replace(device, snmp=snmp)
    return device


def profiles_for(args: argparse.Namespace) -> ProfileSet:
    """The profiles the daemon would use: built-in plus the config's `profiles_dirs`."""
    from lanpulse.config.profiles import builtin_profiles, load_profiles

    if not args.config:
        return builtin_profiles()
    from lanpulse.config.loader import load_config

    return load_profiles(load_config(args.config).settings.profiles_dirs)


async def _poll(device: Device, args: argparse.Namespace) -> int:
    from lanpulse.collectors.snmp.client import make_snmp_client
    from lanpulse.pipeline.poll import DeviceState, SnmpPoller

    profiles = profiles_for(args)
    if device.profile:
        profiles.get(device.profile)  # an unknown name: one line (ConfigError), no poll
    # The poller's own "poll X failed" warning would repeat the one error line printed below.
    if logging.getLogger().getEffectiveLevel() >= logging.WARNING:
        logging.getLogger("lanpulse.pipeline.poll").setLevel(logging.ERROR)
    client = make_snmp_client()
    try:
        poller = SnmpPoller(client, profiles)
        state = DeviceState()
        report = None
        for i in range(args.count):
            if i:
                await asyncio.sleep(args.interval)
            report = await poller.poll(device, state)
            if not report.outcome.up:
                break
    finally:
        client.close()
    assert report is not None
    out = sys.stdout
    if args.explain:
        out.write(render_explain(device, report))
    samples = list(report.outcome.samples)
    if args.format == "table":
        out.write(render_table(samples))
    else:
        out.write(render_lines(samples, args.format))
    if not report.outcome.up:
        failure = report.outcome.errors[0]
        reason = str(failure)
        if issubclass(failure.kind, CollectTimeout) and closed_udp_port(
            device.address, device.port
        ):
            reason = (
                f"unreachable: nothing listens on {device.address}:{device.port}/udp "
                "(the port is closed: is the agent running, on this port?)"
            )
        print(f"error: {device.name}: {reason}", file=sys.stderr)
        return 1
    return 0


def closed_udp_port(address: str, port: int) -> bool:
    """True when a loopback address answers a datagram to `port` with port-unreachable.

    Only for loopback: there the kernel reports a closed port at once, where a remote host's
    silence says nothing (a firewall, a wrong community).
    """
    import ipaddress
    import socket

    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if not ip.is_loopback:
        return False
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.3)
        try:
            sock.connect((address, port))
            sock.send(b"\x30\x00")  # an empty SEQUENCE: no agent would act on it
            sock.recv(64)
        except ConnectionRefusedError:
            return True
        except OSError:
            return False
    return False


def run(args: argparse.Namespace) -> int:
    """Poll the device and print its samples."""
    if args.device and not args.config:  # the same fall-backs as every other -c
        from lanpulse.cli.check_cmd import fallback_config

        args.config = fallback_config()
    device = device_from_config(args) if args.config else device_from_args(args)
    if args.cli or (device.snmp is None and device.ssh is not None):
        from lanpulse.cli.poll_cli import run_cli_poll

        return run_cli_poll(args)  # an SSH-only device is polled over SSH without --cli
    if device.snmp is None:
        raise ConfigError("device has no snmp settings (use --cli for ssh)", key="poll")
    return asyncio.run(_poll(device, args))
