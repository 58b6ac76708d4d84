"""`RepeatLog`: a failure logged once, its repeats summarised, its end logged once."""

from __future__ import annotations

import logging

import pytest

from lanpulse.core.repeat_log import RepeatLog


def test_once_then_a_summary_per_period_then_the_end(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    problems = RepeatLog(logging.getLogger("lanpulse.test"), every_s=60, monotonic=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="lanpulse.test"):
        for _ in range(100):  # a failing write retried every second
            problems.report("write", "influxdb: connection refused")
            now[0] += 1
        problems.report("write", "influxdb: 404 database not found")  # another error: logged
        problems.report("spool", "spool: disk full")  # another key: its own line
        assert problems.resolved("write", "writes resumed")
        assert not problems.resolved("write", "writes resumed")  # said once
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "influxdb: connection refused",
        "influxdb: connection refused (again 60 times in the last 60s)",
        "influxdb: 404 database not found",
        "spool: disk full",
        "writes resumed",
    ]
    assert problems.is_failing("spool") and not problems.is_failing("write")
