"""Run a TextFSM template over command output, keeping what parses.

Many ntc-templates end a state with `^. -> Error`: one unexpected line (a banner, a
half-written line, garbage) aborts the whole parse. Here the offending line is dropped and
the parse retried, so the rows around it survive; every dropped line is counted.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import textfsm

from lanpulse.parsers.cli.profile import TEMPLATE_DIR

MAX_DROPPED_LINES = 50
_INPUT_LINE = re.compile(r"Input Line: (.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ParsedTable:
    """Rows as column -> value (str, or list for `List` values), and lines dropped."""

    rows: tuple[dict[str, str | list[str]], ...]
    dropped_lines: int = 0
    failed: str | None = None  # why nothing could be parsed at all


def template_path(ref: str) -> Path:
    """Resolve `ntc:<file>` (ntc-templates) or `lanpulse:<file>` (our own templates)."""
    kind, _, name = ref.partition(":")
    if kind == "ntc":
        import ntc_templates

        return Path(ntc_templates.__file__).parent / "templates" / name
    return TEMPLATE_DIR / name


@cache
def _template_text(ref: str) -> str:
    return template_path(ref).read_text()


_local = threading.local()


def _fsm(ref: str) -> textfsm.TextFSM:
    """A compiled template, one per thread: building one costs as much as a parse."""
    cache: dict[str, textfsm.TextFSM] | None = getattr(_local, "fsms", None)
    if cache is None:
        cache = _local.fsms = {}
    fsm = cache.get(ref)
    if fsm is None:
        fsm = cache[ref] = textfsm.TextFSM(io.StringIO(_template_text(ref)))
    return fsm


def parse_table(ref: str, text: str) -> ParsedTable:
    """Parse `text` with the template `ref`, dropping lines the template rejects."""
    lines = text.replace("\r\n", "\n").split("\n")
    dropped = 0
    fsm = _fsm(ref)
    while True:
        fsm.Reset()
        try:
            result = fsm.ParseText("\n".join(lines) + "\n")
        except textfsm.TextFSMError as exc:
            bad = _offending_index(str(exc), lines)
            if bad is None or dropped >= MAX_DROPPED_LINES:
                return ParsedTable((), dropped, f"template rejected the output: {exc}")
            del lines[bad]
            dropped += 1
            continue
        header = fsm.header
        rows = tuple(dict(zip(header, row, strict=True)) for row in result)
        return ParsedTable(rows, dropped)


def _offending_index(message: str, lines: list[str]) -> int | None:
    m = _INPUT_LINE.search(message)
    if not m:
        return None
    raw = m.group(1)
    # "Error: ... Input Line: X." appends a period; "State Error ... Input Line: X" does not.
    candidates = {raw.rstrip(), raw[:-1].rstrip() if raw.endswith(".") else raw.rstrip()}
    for i, line in enumerate(lines):
        if line.rstrip() in candidates:
            return i
    return None
