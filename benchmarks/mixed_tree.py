"""This checkout's code with an older revision's built-in profiles, for a budget of code alone.

    python benchmarks/mixed_tree.py REV DEST
    PYTHONPATH=DEST python benchmarks/parse_cost.py ...   # or estate.py

Issue 14's budget compares the parse cost and the estate ratios with 1d1ebb8's. Later issues
added device knowledge to the profiles (EtherLike-MIB and MAU-MIB columns on every switch
port, more metrics), which costs instructions whatever the code. Run REV's own tree and
this script's DEST (this checkout's `lanpulse/` with REV's `lanpulse/config/profiles/`) to
compare the code on the same profiles. A profile of REV that this code cannot load (it names
a quirk that became profile data since, as xerox/samsung/oki's `*_supply_descr` did) is
taken from this checkout instead; the script says which.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROFILES = Path("lanpulse/config/profiles")
_ERROR_FILE = re.compile(r"(\S+\.yaml):")  # the file of each of the loader's errors
_LOAD = "from lanpulse.config.profiles import builtin_profiles; builtin_profiles()"


def build(rev: str, dest: Path) -> list[str]:
    """Fill `dest`; the profile files taken from this checkout instead of REV's."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(
        ROOT / "lanpulse", dest / "lanpulse", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.rmtree(dest / PROFILES)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, str(PROFILES)], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    kept: list[str] = []
    for _ in range(10):  # each round replaces the files the loader refused
        check = subprocess.run(
            [sys.executable, "-c", _LOAD],
            cwd=dest,
            env={"PYTHONPATH": str(dest), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
        )
        if check.returncode == 0:
            return kept
        refused = sorted({Path(p).name for p in _ERROR_FILE.findall(check.stderr)} - set(kept))
        if not refused:
            raise SystemExit(f"REV's profiles do not load here:\n{check.stderr[-2000:]}")
        for name in refused:
            shutil.copy(ROOT / PROFILES / name, dest / PROFILES / name)
        kept += refused
    raise SystemExit("REV's profiles still do not load after ten rounds")


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    rev, dest = sys.argv[1], Path(sys.argv[2]).resolve()
    kept = build(rev, dest)
    print(f"{dest}: this checkout's code, {rev}'s profiles", end="")
    print(f" (from this checkout: {', '.join(kept)})" if kept else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
