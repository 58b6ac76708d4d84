"""Durations as people write them in YAML: `500ms`, `2s`, `5m`, `1h30m`, `1d`, or plain seconds."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_UNIT_SECONDS: dict[str, float] = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+")

MAX_DURATION_S = 10 * 366 * 86400.0  # beyond any sane setting (1e35s overflowed the scheduler)
DURATION_EXPECTED = (
    "a number of seconds or a number with a unit ms, s, m, h, d (e.g. 500ms, 30s, 5m)"
)


def parse_duration(value: object) -> float:
    """Seconds from `500ms`, `2s`, `5m`, `1h30m`, `1d`, or a plain number of seconds.

    Raises ValueError with a message that says what was expected; it never echoes a bool.
    """
    if isinstance(value, bool):
        # YAML turns `yes`/`on` into booleans; they are never a duration.
        raise ValueError(f"expected a duration, {DURATION_EXPECTED}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        try:
            seconds = float(text)
        except ValueError:
            if not _WHOLE.fullmatch(text):
                raise ValueError(f"bad duration {value!r}, expected {DURATION_EXPECTED}") from None
            seconds = sum(float(num) * _UNIT_SECONDS[unit] for num, unit in _PART.findall(text))
    else:
        raise ValueError(f"expected a duration, {DURATION_EXPECTED}")
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise ValueError(f"bad duration {value!r}, expected {DURATION_EXPECTED}")
    if seconds < 0:
        raise ValueError(f"negative duration {value!r}, expected a duration of 0 or more")
    if seconds > MAX_DURATION_S:
        raise ValueError(f"duration {value!r} is too long, expected at most 10 years")
    return seconds


def _positive(value: object) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError(f"duration {value!r} is zero, expected a duration above 0")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest exact spelling of a duration (`300` -> `5m`), for summaries and docs."""
    for unit in ("d", "h", "m", "s"):
        size = _UNIT_SECONDS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{round(seconds * 1000)}ms" if seconds < 1 else f"{seconds}s"


# A pydantic field type: seconds as float, written back as seconds.
Duration = Annotated[float, BeforeValidator(parse_duration), PlainSerializer(float)]
PositiveDuration = Annotated[float, BeforeValidator(_positive), PlainSerializer(float)]
