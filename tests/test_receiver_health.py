"""Receivers' health reports: one process's `/metrics` lines, and several workers' merged
by the supervisor (`merge_reports`) into the same lines (pure; the 2-worker daemon's
`/metrics` with a real SMTP receiver is in test_cluster_workers.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lanpulse.alerts.receiver_health import NotifierHealth, merge_reports, prometheus_lines

COUNTS = ("sent", "failed", "dropped", "dead_lettered", "queued")

report = st.dictionaries(
    st.sampled_from(["email", "pager", "teams"]),
    st.fixed_dictionaries(
        {
            **{key: st.integers(0, 10**6) for key in COUNTS},
            "failing": st.booleans(),
            "last_error": st.sampled_from(["", "timed out", "550 refused"]),
        }
    ),
    max_size=3,
)


def test_one_process_lines_come_from_its_report() -> None:
    health = NotifierHealth()
    health.delivered("email", 3, 1)
    for attempt in (1, 2, 3):
        health.failed("pager", attempt, "timed out", 2)
    text = health.prometheus({"pager": 4})
    assert text == prometheus_lines(health.as_json({"pager": 4}))
    assert 'lanpulse_notifications_sent_total{receiver="email"} 3\n' in text
    assert 'lanpulse_notifications_failed_total{receiver="pager"} 3\n' in text
    assert 'lanpulse_notifications_queued{receiver="pager"} 4\n' in text
    assert 'lanpulse_notifier_failing{receiver="pager"} 1\n' in text
    assert NotifierHealth().prometheus({}) == ""


@given(st.lists(report, max_size=4))
def test_merged_reports_sum_counts_and_any_failing_fails(reports: list[dict]) -> None:
    merged = merge_reports(reports)
    assert set(merged) == {name for r in reports for name in r}
    for name, health in merged.items():
        mine = [r[name] for r in reports if name in r]
        for key in COUNTS:
            assert health[key] == sum(h[key] for h in mine)
        assert health["failing"] == any(h["failing"] for h in mine)
        failing_errors = {h["last_error"] for h in mine if h["failing"] and h["last_error"]}
        if failing_errors:
            assert health["last_error"] in failing_errors
    assert merge_reports(reversed(reports)).keys() == merged.keys()
    assert merge_reports([merged]) == merged  # a merged report merges to itself
