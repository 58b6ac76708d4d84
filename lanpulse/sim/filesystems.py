"""Real filesystem faults for tests and benchmarks: a small tmpfs, a read-only bind mount,
a disk filled by another program. Mounting needs root; `mount` says whether it worked."""

from __future__ import annotations

import subprocess
from pathlib import Path


def mount(*argv: str) -> str | None:
    """Run `mount ARGV...`; None when it worked, else mount's own message."""
    done = subprocess.run(["mount", *argv], capture_output=True, text=True, check=False)
    return None if done.returncode == 0 else (done.stderr.strip() or "mount failed")


def umount(path: Path) -> None:
    """Lazily unmount `path` (what is still open there keeps working until closed)."""
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def fill(path: Path) -> Path:
    """Write `path` until its filesystem is full (as another program filling the disk)."""
    with path.open("wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"x" * 4096)
        except OSError:
            pass
    return path
