"""What lanpulse lets the libraries it uses log.

paramiko logs a failed SSH handshake as an ERROR with its traceback; the SSH collector
(`collectors/cli.py`) reports the same failure itself, in one line (`poll`) or one log line
(the daemon). So below DEBUG paramiko's records are left out; at DEBUG they stay, for whoever
is chasing an SSH problem. Called by every entry point (the CLI and the cluster's workers).
"""

from __future__ import annotations

import logging


def quiet_library_logs(level: int) -> None:
    """Set the libraries' loggers for a process logging at `level`."""
    if level > logging.DEBUG:
        logging.getLogger("paramiko").setLevel(logging.CRITICAL)
