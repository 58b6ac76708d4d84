"""Caches belong to the objects that compile what they hold (issue 14); a module-level
`lru_cache` must say on the lines above it why the process is its right owner."""

from __future__ import annotations

import re
from pathlib import Path

import lanpulse

ROOT = Path(lanpulse.__file__).parent
DECORATOR = re.compile(r"^@(functools\.)?lru_cache\b")


def test_every_module_level_lru_cache_says_why_it_lives_as_long_as_the_process() -> None:
    unexplained = []
    for path in sorted(ROOT.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if not DECORATOR.match(line):
                continue
            above = number - 1
            while above >= 0 and lines[above].startswith("@"):
                above -= 1
            if not (above >= 0 and lines[above].startswith("#")):
                unexplained.append(f"{path.relative_to(ROOT.parent)}:{number + 1}")
    assert unexplained == [], "lru_cache without a comment saying why: " + ", ".join(unexplained)
