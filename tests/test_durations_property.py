"""The one duration grammar (lanpulse.config.durations), by property: what format_duration
writes parses back to the same seconds, compounds add up, and any other text is rejected
with a one-line ConfigError, never another exception."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanpulse.config.durations import MAX_SECONDS, format_duration, parse_duration
from lanpulse.core.errors import ConfigError

UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


@given(st.integers(min_value=0, max_value=MAX_SECONDS * 1000))
def test_format_then_parse_round_trips(milliseconds: int) -> None:
    seconds = milliseconds / 1000
    assert parse_duration(format_duration(seconds)) == seconds


# At most 5 parts of at most 100 units: 500 weeks stays under MAX_SECONDS (10 years).
@given(
    st.lists(st.tuples(st.integers(0, 100), st.sampled_from(sorted(UNITS))), min_size=1, max_size=5)
)
def test_compound_is_the_sum_of_its_parts(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{n}{unit}" for n, unit in parts)
    assert parse_duration(text) == sum(n * UNITS[unit] for n, unit in parts)


@given(st.text(max_size=20))
def test_any_text_parses_or_is_one_line_config_error(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except ConfigError as exc:
        assert "\n" not in str(exc)
    else:
        assert 0 <= seconds <= MAX_SECONDS


@pytest.mark.parametrize(
    "absurd", ["1e35s", 1e35, "99999999999999999999w", float("inf"), "101y", "3650000d"]
)
def test_absurd_durations_are_rejected(absurd: object) -> None:
    with pytest.raises(ConfigError, match="duration"):
        parse_duration(absurd)
