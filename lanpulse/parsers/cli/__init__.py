"""CLI output parsing (pure): TextFSM templates + profile data -> canonical Samples."""

from lanpulse.parsers.cli.mapper import CliParseResult, parse_cli
from lanpulse.parsers.cli.profile import CliProfile, cli_platforms, load_cli_profile

__all__ = ["CliParseResult", "CliProfile", "cli_platforms", "load_cli_profile", "parse_cli"]
