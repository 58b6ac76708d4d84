"""The one duration grammar of lanpulse, for YAML, the alert rules, the CLI and the API.

    duration := number | (number unit)+        e.g. 30, 0.5, 500ms, 90s, 5m, 1h30m, 2d, 1w
    number   := digits [ "." digits ]
    unit     := ms | s | m | h | d | w          (case and blanks do not matter)

A plain number is seconds. Anything else (`5 minutes`, `1e35s`, `1s2`, `-3s`, `nan`, a bool)
and anything longer than `MAX_SECONDS` is rejected with one line saying what was expected.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

from lanpulse.core.errors import ConfigError

# Seconds per unit; `ms` divides by 1000 instead (see _part_seconds) so that `3ms` is 3/1000
# exactly as format_duration wrote it.
_UNIT_SECONDS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_NUMBER = r"\d+(?:\.\d+)?"
_PART = re.compile(rf"({_NUMBER})(ms|s|m|h|d|w)")
_COMPOUND = re.compile(rf"(?:{_NUMBER}(?:ms|s|m|h|d|w))+")
_PLAIN = re.compile(_NUMBER)

# Ten years: far above any interval, retention or silence, far below what the scheduler's
# timedelta overflows at (1e35s did).
MAX_SECONDS = 10 * 366 * 86400

# Kept as short as before `w` and compounds were accepted: the common spellings, one line.
DURATION_EXPECTED = (
    "a number of seconds or a number with a unit ms, s, m, h, d (e.g. 500ms, 30s, 5m)"
)


class DurationError(ConfigError, ValueError):
    """A duration that does not follow the grammar above.

    A ValueError too, so pydantic validators report it at the field's key like any other.
    """


def _part_seconds(number: str, unit: str) -> float:
    return float(number) / 1000 if unit == "ms" else float(number) * _UNIT_SECONDS[unit]


def parse_duration(value: object) -> float:
    """Seconds from a duration written as in the grammar above, or a plain number of seconds.

    Raises DurationError (a ConfigError and a ValueError) saying what was expected; it never
    echoes a bool.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        # YAML turns `yes`/`on` into booleans; they are never a duration.
        raise DurationError(f"expected a duration, {DURATION_EXPECTED}")
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if text.startswith("-") and (_PLAIN.fullmatch(text[1:]) or _COMPOUND.fullmatch(text[1:])):
            raise DurationError(f"negative duration {value!r}, expected a duration of 0 or more")
        if _PLAIN.fullmatch(text):
            seconds = float(text)
        elif _COMPOUND.fullmatch(text):
            seconds = sum(_part_seconds(number, unit) for number, unit in _PART.findall(text))
        else:
            raise DurationError(f"bad duration {value!r}, expected {DURATION_EXPECTED}")
    else:
        seconds = float(value)
        if seconds != seconds:  # NaN
            raise DurationError(f"bad duration {value!r}, expected {DURATION_EXPECTED}")
        if seconds < 0:
            raise DurationError(f"negative duration {value!r}, expected a duration of 0 or more")
    if seconds > MAX_SECONDS:
        raise DurationError(f"duration {value!r} is too long, expected at most 10 years")
    return seconds


def _positive(value: object) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise DurationError(f"duration {value!r} is zero, expected a duration above 0")
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
