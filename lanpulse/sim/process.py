"""What every launcher of a real server shares: a child process in its own session, a work
directory, and a stop that ends that process group and nothing else."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Self


class Service:
    """A test server used as `with Server() as s:`: `start()` on entry, `stop()` on exit."""

    def start(self) -> Self:
        """Start serving and return once ready."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop serving."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ChildProcess(Service):
    """Base of the launchers: subclasses set `proc`, `workdir`, `_own_dir` and `start()`."""

    proc: subprocess.Popen[bytes] | None = None
    workdir: Path
    _own_dir: bool = False
    stop_timeout_s: float = 10.0

    def stop(self) -> None:
        """Stop this process group (SIGTERM, then SIGKILL); the work directory stays."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None

    def cleanup(self) -> None:
        """Stop, and delete the work directory if this launcher created it."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()
