"""A fixed CPU slice for a process tree: a cgroup v1 `cpu` group with a CFS quota.

scaleout.py's `--cpu-slice S` gives the daemon S cores per worker (1 worker: S cores,
2 workers: 2 x S), as N workers on N dedicated cores of speed S would have, so both runs
are CPU-bound by the same rule and the rest of the machine (the snmpd agents, the kernel)
stays outside the slice. Needs root and the v1 `cpu` controller at /sys/fs/cgroup/cpu.

A process joins the group through `wrap()`: a shell writes its own pid to cgroup.procs
and then execs the command, so the daemon is inside before its first instruction and its
workers inherit the group when they are forked.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

CPU_CONTROLLER = Path("/sys/fs/cgroup/cpu")
PERIOD_US = 100_000  # the CFS default: the quota is refilled every 100 ms
# The group's weight against the machine's other runnable tasks (1024 each): the maximum,
# so that other work on a shared box does not take the slice away (a reservation; the
# quota caps it, and a slice of at most 1 of 2 cores leaves a core to everything else).
SHARES = 262_144


class CpuSliceError(RuntimeError):
    """The cgroup could not be created or configured (not root, no v1 cpu controller)."""


class CpuSlice:
    """One cgroup under the v1 cpu controller; `set_cores` sets its quota."""

    def __init__(self, name: str, root: Path = CPU_CONTROLLER) -> None:
        self.path = root / name
        self.period_us = PERIOD_US
        try:
            self.path.mkdir()
            (self.path / "cpu.cfs_period_us").write_text(f"{self.period_us}\n")
            (self.path / "cpu.shares").write_text(f"{SHARES}\n")
        except OSError as e:
            with contextlib.suppress(OSError):
                self.path.rmdir()
            raise CpuSliceError(f"cannot create the cgroup {self.path}: {e}") from e

    def set_cores(self, cores: float) -> None:
        """At most `cores` CPUs' worth of time per period for the whole group."""
        try:
            (self.path / "cpu.cfs_quota_us").write_text(f"{round(cores * self.period_us)}\n")
        except OSError as e:
            raise CpuSliceError(f"cannot set the quota of {self.path}: {e}") from e

    def wrap(self, argv: list[str]) -> list[str]:
        """`argv` run inside the group (same pid: the shell execs it)."""
        join = 'echo $$ > "$0" && exec "$@"'
        return ["/bin/sh", "-c", join, str(self.path / "cgroup.procs"), *argv]

    def stat(self) -> dict[str, int]:
        """cpu.stat: nr_periods, nr_throttled, throttled_time (ns), ..."""
        return {
            k: int(v)
            for k, v in (line.split() for line in (self.path / "cpu.stat").read_text().splitlines())
        }

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except FileNotFoundError:
            return []

    def remove(self) -> None:
        """rmdir the group; a process left in it (a worker that outlived its supervisor
        after Ctrl-C) is one this benchmark started: it is killed first."""
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:  # EBUSY until the killed processes are reaped
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
