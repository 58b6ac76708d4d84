"""The polling daemon: the composition root (`service.py`, `Daemon`)."""

from lanpulse.daemon.service import Daemon

__all__ = ["Daemon"]
