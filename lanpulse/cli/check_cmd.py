"""`lanpulse check -c FILE`: validate the configuration, print one summary line or every problem.

Exit 0 with `ok: ...`; exit 2 with one `FILE:LINE: key.path: problem` line per problem (the
CLI frame prints ConfigErrors and chooses the exit code).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from lanpulse.config.loader import load_config

CONFIG_ENV = "LANPULSE_CONFIG"
DEFAULT_CONFIG = "lanpulse.yaml"


def fallback_config() -> str:
    """The configuration file when no -c is given: $LANPULSE_CONFIG, else ./lanpulse.yaml."""
    return os.environ.get(CONFIG_ENV, DEFAULT_CONFIG)


def add_config_argument(
    parser: argparse.ArgumentParser, *, optional: bool = False, what: str = "configuration file"
) -> None:
    """`-c/--config FILE`, defaulting to $LANPULSE_CONFIG, then ./lanpulse.yaml.

    `optional` is for commands that also work without a configuration (`poll ADDRESS`,
    `dashboards export`): there ./lanpulse.yaml is the default only when it exists, and
    `args.config` is None when neither it nor $LANPULSE_CONFIG is there.
    """
    default: str | None = fallback_config()
    if optional and CONFIG_ENV not in os.environ and not Path(DEFAULT_CONFIG).is_file():
        default = None
    parser.add_argument(
        "-c",
        "--config",
        metavar="FILE",
        default=default,
        help=f"{what} (default: ${CONFIG_ENV}, else ./{DEFAULT_CONFIG})",
    )


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `check` sub-command."""
    p = sub.add_parser(
        "check",
        help="validate the configuration file",
        description="Validate the configuration: print one summary line, or every problem "
        "found (one per line, FILE:LINE: key: what is wrong) and exit 2.",
    )
    add_config_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the configuration, its profiles and alert rules; print the summary.

    ConfigErrors go to the CLI frame, which prints one line per problem and exits 2.
    """
    from lanpulse.alerts.configsrc import load_alerting_config
    from lanpulse.config.profiles import load_profiles
    from lanpulse.core.errors import ConfigError, ConfigErrors

    loaded = load_config(args.config)
    profiles = load_profiles(loaded.profiles_dirs)
    unknown = [
        ConfigError(
            f"unknown profile {d.profile!r}; see `lanpulse profiles list`",
            file=str(args.config),
            key=f"devices[{d.name}].profile",
        )
        for d in loaded.devices
        if d.profile and d.profile not in profiles.profiles
    ]
    if unknown:
        raise ConfigErrors(unknown)
    if loaded.settings.agents is not None:
        from lanpulse.config.push_maps import load_push_maps
        from lanpulse.config.secrets import resolve_path

        agents = loaded.settings.agents
        load_push_maps([resolve_path(d, loaded.base_dir) for d in agents.maps_dirs])
    rules = load_alerting_config(args.config).rules.rules
    summary = f"{loaded.summary()}, {len(profiles.selectable())} profiles, {len(rules)} alert rules"
    traps = loaded.settings.traps
    if traps is not None:
        from lanpulse.config.trapmaps import load_trap_maps

        maps = load_trap_maps(loaded.base_dir / d for d in traps.maps_dirs)
        summary += f", traps on {traps.listen} ({len(maps)} trap maps)"
    print(summary)
    from lanpulse.cluster.capacity import estimate

    print(estimate(loaded.devices).line(os.cpu_count() or 1))
    return 0
