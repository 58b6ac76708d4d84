"""Overload figures: the lateness histogram, skips per reason, one summary line a minute,
and their Prometheus text (pure: no components needed)."""

from __future__ import annotations

import logging

import pytest

from lanpulse.pipeline.overload import LatenessHistogram, SkipCounter
from lanpulse.pipeline.selfmon import prometheus_text


def test_histogram_is_cumulative_and_rendered_as_one_family() -> None:
    h = LatenessHistogram((0.1, 1.0))
    for seconds in (0.05, 0.5, 0.5, 7.0, -0.01):
        h.observe(seconds)
    fields = h.as_fields()
    assert fields['poll_lateness_seconds_bucket{le="0.1"}'] == 2
    assert fields['poll_lateness_seconds_bucket{le="1"}'] == 4
    assert fields['poll_lateness_seconds_bucket{le="+Inf"}'] == 5
    assert fields["poll_lateness_seconds_count"] == 5
    text = prometheus_text({"polls": 3, **fields, 'polls{worker="0"}': 1})
    lines = text.splitlines()
    assert lines.count("# TYPE lanpulse_poll_lateness_seconds histogram") == 1
    assert lines.count("# TYPE lanpulse_polls_total counter") == 1
    buckets = [line for line in lines if "_bucket" in line]
    assert [b.split('le="')[1].split('"')[0] for b in buckets] == ["0.1", "1", "+Inf"]
    family = lines.index("# TYPE lanpulse_polls_total counter")
    # prometheus-client gives the machine's total an empty `worker` label (same as none)
    assert lines[family + 1 : family + 3] == [
        'lanpulse_polls_total{worker=""} 3.0',
        'lanpulse_polls_total{worker="0"} 1.0',
    ]


def test_skips_log_one_summary_per_minute(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    skips = SkipCounter(clock=lambda: now[0])
    with caplog.at_level(logging.WARNING):
        for i in range(10_000):
            now[0] = i * 0.012  # 120 s of skipping, ~83 a second
            skips.skip("overlap" if i % 2 else "late")
    assert len(caplog.records) == 2  # at once, then after a minute
    assert "5000" not in caplog.records[0].getMessage()
    assert caplog.records[1].getMessage().endswith("the poller is overloaded")
    assert skips.by_reason == {"overlap": 5000, "late": 5000}
    assert skips.as_fields() == {
        'polls_skipped_by_reason{reason="late"}': 5000,
        'polls_skipped_by_reason{reason="overlap"}': 5000,
    }
