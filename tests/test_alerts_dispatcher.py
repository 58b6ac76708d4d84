"""The dispatcher's grouping, repeat and retry logic, with an injected clock.

The notifier here is a recording implementation of lanpulse's own Notifier protocol (no
external component is involved); real deliveries are in test_alerts_delivery_*.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from lanpulse.alerts.dispatcher import Dispatcher, Route
from lanpulse.alerts.silences import Matcher
from lanpulse.core.errors import SinkError
from lanpulse.core.model import AlertEvent

S = 1_000_000_000
T0 = 1_800_000_000 * S


class Recorder:
    """Records batches; fails while `down` is set."""

    name = "rec"

    def __init__(self) -> None:
        self.batches: list[list[tuple[str, str]]] = []
        self.down = False
        self.attempts = 0

    async def send(self, events: Sequence[AlertEvent]) -> None:
        self.attempts += 1
        if self.down:
            raise SinkError("rec: cannot connect", retryable=True)
        self.batches.append(sorted((e.labels.get("device", ""), e.state) for e in events))


def event(device: str, state: str = "firing", rule: str = "device_down", t: int = T0) -> AlertEvent:
    labels = {"alertname": rule, "severity": "critical", "device": device}
    return AlertEvent(
        rule,
        "critical",
        state,
        labels,
        0.0,
        f"{device} down",
        "",
        T0,  # type: ignore[arg-type]
        ended_ns=t if state == "resolved" else None,
        time_ns=t,
    )


def dispatcher(rec: Recorder, **route: object) -> Dispatcher:
    r = Route(receivers=("rec",), **route)  # type: ignore[arg-type]
    return Dispatcher({"rec": rec}, [r], retry_initial_s=5, retry_max_s=60, max_queued=3)


async def test_group_wait_groups_alerts_then_group_interval() -> None:
    rec = Recorder()
    d = dispatcher(rec, group_wait_s=30, group_interval_s=300, repeat_interval_s=3600)
    d.submit([event("sw1")])
    d.submit([event("sw2", t=T0 + 10 * S)])
    assert await d.flush(T0 + 29 * S) == 0
    await d.flush(T0 + 30 * S)
    assert rec.batches == [[("sw1", "firing"), ("sw2", "firing")]]
    d.submit([event("sw1", "resolved", t=T0 + 60 * S)])
    assert await d.flush(T0 + 100 * S) == 0  # within group_interval
    await d.flush(T0 + 330 * S)
    assert rec.batches[-1] == [("sw1", "resolved"), ("sw2", "firing")]
    # Repeat: sw2 is still firing, re-sent after repeat_interval, not before.
    assert await d.flush(T0 + 1000 * S) == 0
    await d.flush(T0 + 330 * S + 3600 * S)
    assert rec.batches[-1] == [("sw2", "firing")]


async def test_a_receiver_that_is_down_keeps_and_retries_with_backoff() -> None:
    rec = Recorder()
    d = dispatcher(rec, group_wait_s=0)
    rec.down = True
    d.submit([event("sw1")])
    await d.flush(T0)
    assert rec.attempts == 1 and d.queued() == 1
    assert await d.flush(T0 + 4 * S) == 0  # backoff 5 s
    await d.flush(T0 + 5 * S)
    assert rec.attempts == 2
    assert await d.flush(T0 + 14 * S) == 0  # backoff 10 s
    rec.down = False
    await d.flush(T0 + 15 * S)
    assert rec.batches == [[("sw1", "firing")]] and d.queued() == 0
    assert d.stats.failed_attempts == 2 and d.stats.delivered == 1


async def test_queue_is_bounded_dropping_the_oldest() -> None:
    rec = Recorder()
    d = dispatcher(rec, group_wait_s=0, group_by=("device",))
    rec.down = True
    for i in range(5):
        d.submit([event(f"d{i}", t=T0 + i * S)])
    assert d.queued() == 3 and d.stats.dropped == 2
    rec.down = False
    await d.flush(T0 + 10 * S)
    assert sorted(b[0][0] for b in rec.batches) == ["d2", "d3", "d4"]


async def test_suppressed_and_pending_events_are_not_queued() -> None:
    rec = Recorder()
    d = dispatcher(rec, group_wait_s=0)
    quiet = AlertEvent(
        "r",
        "warning",
        "firing",
        {"device": "x", "alertname": "r"},
        None,
        "",
        "",
        T0,
        suppressed_by="maintenance:w",
    )
    pending = AlertEvent(
        "r", "warning", "pending", {"device": "y", "alertname": "r"}, None, "", "", T0
    )
    assert d.submit([quiet, pending]) == 0


async def test_routes_match_labels_and_continue() -> None:
    a, b = Recorder(), Recorder()
    routes = [
        Route(
            receivers=("a",),
            matchers=(Matcher("severity", "critical"),),
            group_wait_s=0,
            continue_=True,
        ),
        Route(receivers=("b",), group_wait_s=0),
    ]
    d = Dispatcher({"a": a, "b": b}, routes)
    d.submit([event("sw1")])
    await d.flush(T0)
    assert a.batches == b.batches == [[("sw1", "firing")]]


async def test_snapshot_restores_undelivered_notifications() -> None:
    rec = Recorder()
    d = dispatcher(rec, group_wait_s=0)
    rec.down = True
    d.submit([event("sw1")])
    await d.flush(T0)
    data = d.snapshot()
    fresh = Recorder()
    d2 = dispatcher(fresh, group_wait_s=0)
    d2.restore(data)
    await d2.flush(T0 + S)
    assert fresh.batches == [[("sw1", "firing")]]


async def test_changes_only_route_still_repeats_the_whole_set() -> None:
    """Alertmanager's route: changes as they come, the whole active set every repeat."""
    rec = Recorder()
    d = dispatcher(
        rec,
        group_wait_s=0,
        group_interval_s=0,
        repeat_interval_s=60,
        group_by=(),
        whole_group=False,
    )
    d.submit([event("sw1")])
    await d.flush(T0)
    for i in range(2, 5):  # a change every 20 s must not postpone the repeat of sw1
        d.submit([event(f"sw{i}", t=T0 + i * 10 * S)])
        await d.flush(T0 + i * 10 * S)
    assert rec.batches[1:] == [[("sw2", "firing")], [("sw3", "firing")], [("sw4", "firing")]]
    await d.flush(T0 + 60 * S)
    assert rec.batches[-1] == [(f"sw{i}", "firing") for i in range(1, 5)]


async def test_a_flapping_notice_is_not_shown_as_firing_in_later_messages() -> None:
    # Issue 16: printers answering again for minutes still appeared as "FLAPPING ... does
    # not answer" in [FIRING] mails (the notice stayed in the group's firing set).
    rec = Recorder()
    d = dispatcher(rec, group_wait_s=0, group_interval_s=60, repeat_interval_s=600)
    d.submit([event("p1", "flapping"), event("p2")])
    await d.flush(T0)
    assert rec.batches == [[("p1", "flapping"), ("p2", "firing")]]
    d.submit([event("p3", t=T0 + 100 * S)])
    await d.flush(T0 + 100 * S)
    assert rec.batches[-1] == [("p2", "firing"), ("p3", "firing")]
    await d.flush(T0 + 800 * S)  # the repeat neither
    assert rec.batches[-1] == [("p2", "firing"), ("p3", "firing")]


async def test_held_alerts_are_not_repeated_to_people() -> None:
    rec = Recorder()
    held: set[str] = set()
    d = dispatcher(rec, group_wait_s=0, group_interval_s=60, repeat_interval_s=600)
    d.held = lambda labels: labels["device"] in held
    d.submit([event("sw1"), event("sw2")])
    await d.flush(T0)
    held.add("sw1")  # acknowledged (or silenced)
    await d.flush(T0 + 600 * S)
    assert rec.batches[-1] == [("sw2", "firing")]
    held.add("sw2")
    assert await d.flush(T0 + 1200 * S) == 0  # nothing left to repeat
    d.submit([event("sw1", "resolved", t=T0 + 1300 * S)])
    await d.flush(T0 + 1300 * S)  # the resolution still goes out
    assert rec.batches[-1] == [("sw1", "resolved")]


async def test_a_refused_notification_is_dead_lettered_and_raises_notifier_failing() -> None:
    class Refusing(Recorder):
        async def send(self, events: Sequence[AlertEvent]) -> None:
            self.attempts += 1
            if self.down:
                raise SinkError("smtp: 554 rejected", retryable=False)
            self.batches.append(sorted((e.labels.get("device", ""), e.state) for e in events))

    mail, hook = Refusing(), Recorder()
    d = Dispatcher(
        {"mail": mail, "hook": hook},
        [Route(receivers=("mail", "hook"), group_wait_s=0, group_interval_s=0)],
    )
    mail.down = True
    d.submit([event("sw1")])
    await d.flush(T0)
    assert d.dead["mail"][0].labels["device"] == "sw1"
    assert d.health.of("mail").dead_lettered == 1
    d.submit([event("sw2", t=T0 + S)])
    await d.flush(T0 + S)
    await d.flush(T0 + 2 * S)
    assert ("", "firing") in [b for batch in hook.batches for b in batch]  # notifier_failing
    assert all(e.labels.get("receiver") != "hook" for e in d.dead.get("mail", []))
    text = d.health.prometheus({"mail": 0, "hook": 0})
    assert 'lanpulse_notifications_dead_lettered_total{receiver="mail"} 2' in text
    mail.down = False
    assert d.retry_dead() == 2  # by command or on reload
    await d.flush(T0 + 10 * S)
    assert ("sw1", "firing") in mail.batches[-1]
    assert d.health.of("mail").failing_since_ns is None  # delivered again: resolved
