"""JSON webhook, Slack, Teams and PagerDuty delivery over real HTTP to a small http.server
on 127.0.0.1.

The server stands in for Slack's and Microsoft Teams' incoming-webhook endpoints and for
PagerDuty's Events API v2 (`/v2/enqueue`), which cannot be reached from here; it captures
the bodies so their documented format can be checked. For the generic webhook it is simply
the receiving end.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanpulse.alerts.dispatcher import Dispatcher
from lanpulse.alerts.notifiers.pagerduty import PagerDutyNotifier
from lanpulse.alerts.notifiers.slack import SlackNotifier
from lanpulse.alerts.notifiers.teams import TeamsNotifier
from lanpulse.alerts.notifiers.webhook import WebhookNotifier
from lanpulse.alerts.service import build_notifiers, build_routes
from lanpulse.config.alerting import AlertingSettings
from lanpulse.core.errors import SinkError
from lanpulse.core.model import AlertEvent, Secret
from lanpulse.sim.alerting import HttpSink

S = 1_000_000_000
T0 = 1_800_000_000 * S


@pytest.fixture
def http() -> Iterator[tuple[HttpSink, str]]:
    with HttpSink() as sink:
        yield sink, sink.url


NOTES = {
    "address": "10.1.2.3",
    "location": "Floor 2, room 204",
    "value": "7%",
    "threshold": "printer_supply.level_pct below 10 for 0s",
    "began": "2027-01-15 09:00:00 CET",
    "duration": "1m",
    "grafana_url": "http://grafana.example/d/lanpulse-device?var-device=p1",
    "runbook_url": "http://wiki.example/toner",
}


def ev(state: str, device: str = "p1", severity: str = "warning") -> AlertEvent:
    labels = {"alertname": "toner_low", "severity": severity, "device": device, "site": "hq"}
    return AlertEvent(  # type: ignore[call-arg]
        "toner_low",
        severity,
        state,
        labels,
        7.0,
        f"{device}: Black at 7%",  # type: ignore[arg-type]
        "order toner",
        T0,
        ended_ns=T0 + 60 * S if state == "resolved" else None,
        time_ns=T0,
        annotations=NOTES,
    )


async def test_webhook_body_and_bearer_token(http: tuple[HttpSink, str]) -> None:
    capture, url = http
    await WebhookNotifier(f"{url}/hook", token=Secret("tok-123")).send(
        [ev("firing"), ev("resolved", "p2")]
    )
    ((path, headers, body),) = capture.posts
    assert path == "/hook" and headers["Authorization"] == "Bearer tok-123"
    assert body["status"] == "firing" and body["version"] == "4"
    assert [a["status"] for a in body["alerts"]] == ["firing", "resolved"]
    assert body["alerts"][0]["labels"]["device"] == "p1"
    assert body["alerts"][0]["annotations"]["summary"] == "p1: Black at 7%"
    assert body["alerts"][1]["endsAt"] == "2027-01-15T08:01:00.000Z"
    assert body["commonLabels"] == {"alertname": "toner_low", "severity": "warning", "site": "hq"}


async def test_slack_incoming_webhook_format(http: tuple[HttpSink, str]) -> None:
    capture, url = http
    await SlackNotifier(Secret(f"{url}/services/T000/B000/XXXX")).send([ev("firing")])
    ((_path, headers, body),) = capture.posts
    assert headers["Content-Type"] == "application/json"
    assert body["text"] == "[FIRING:1] toner_low p1"  # the notification's fallback
    assert body["blocks"][0]["type"] == "header"
    (att,) = body["attachments"]
    assert att["color"] == "#f5a623"
    first, _description, fields, actions = att["blocks"]
    assert first["text"]["text"].startswith("*FIRING warning: p1: Black at 7% (since 2027")
    shown = {
        f["text"].split("\n")[0].strip("*"): f["text"].split("\n")[1] for f in fields["fields"]
    }
    assert shown["address"] == "10.1.2.3" and shown["location"] == "Floor 2, room 204"
    assert shown["value"] == "7%" and shown["site"] == "hq" and shown["duration"] == "1m"
    assert [b["url"] for b in actions["elements"]] == [
        NOTES["grafana_url"],
        NOTES["runbook_url"],
    ]


async def test_teams_adaptive_card_format(http: tuple[HttpSink, str]) -> None:
    capture, url = http
    await TeamsNotifier(Secret(f"{url}/workflows/x")).send([ev("resolved")])
    ((_, _, body),) = capture.posts
    assert body["type"] == "message"
    (att,) = body["attachments"]
    assert att["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = att["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0]["text"] == "[RESOLVED:1] toner_low p1"
    assert card["body"][1]["color"] == "Good"
    assert card["body"][1]["text"] == "RESOLVED after 1m: toner_low on p1"
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts["device"] == "p1" and facts["address"] == "10.1.2.3"
    assert card["actions"][0]["url"] == NOTES["grafana_url"]


async def test_pagerduty_events_v2(http: tuple[HttpSink, str]) -> None:
    capture, url = http
    notifier = PagerDutyNotifier(Secret("R0UTINGKEY"), url=f"{url}/v2/enqueue")
    await notifier.send([ev("firing", severity="critical"), ev("resolved", "p2")])
    (path, _, trigger), (_, _, resolve) = capture.posts
    assert path == "/v2/enqueue"
    assert trigger["routing_key"] == "R0UTINGKEY" and trigger["event_action"] == "trigger"
    assert len(trigger["dedup_key"]) == 12
    payload = trigger["payload"]
    assert payload["summary"] == "p1: Black at 7%" and payload["source"] == "p1"
    assert payload["severity"] == "critical" and payload["class"] == "toner_low"
    assert payload["group"] == "hq" and payload["timestamp"].endswith("Z")
    assert payload["custom_details"]["address"] == "10.1.2.3"
    assert trigger["links"][0] == {"href": NOTES["grafana_url"], "text": "Grafana"}
    assert resolve == {
        "routing_key": "R0UTINGKEY",
        "event_action": "resolve",
        "dedup_key": resolve["dedup_key"],
    }
    assert resolve["dedup_key"] != trigger["dedup_key"]  # another device, another alert


async def test_http_errors_never_show_the_secret_url(http: tuple[HttpSink, str]) -> None:
    capture, url = http
    capture.statuses = [500, 404]
    secret_url = f"{url}/services/T000/B000/SECRETPART"
    with pytest.raises(SinkError) as err:
        await SlackNotifier(Secret(secret_url)).send([ev("firing")])
    assert err.value.retryable and "SECRETPART" not in str(err.value)
    with pytest.raises(SinkError) as err:
        await SlackNotifier(Secret(secret_url)).send([ev("firing")])
    assert not err.value.retryable


async def test_receiver_down_then_up_gets_the_queued_notification(tmp_path: Path) -> None:
    """A webhook receiver that is not listening: kept, retried with backoff, delivered later."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = AlertingSettings.model_validate(
        {
            "webhook": {"url": f"http://127.0.0.1:{port}/hook", "timeout": 2},
            "slack": {"url": f"http://127.0.0.1:{port}/slack"},
            "routes": [{"receivers": ["webhook", "slack"], "group_wait": 0}],
            "retry": {"initial": "2s", "maximum": "8s"},
        }
    )
    d = Dispatcher(
        build_notifiers(settings, tmp_path),
        build_routes(settings),
        retry_initial_s=2,
        retry_max_s=8,
    )
    d.submit([ev("firing")])
    await d.flush(T0)
    await d.flush(T0 + 2 * S)
    assert d.queued() == 2 and d.stats.failed_attempts == 4
    capture = HttpSink(port).start()
    try:
        assert await d.flush(T0 + 3 * S) == 0  # backoff: 4 s after the second failure
        await d.flush(T0 + 6 * S)
        assert sorted(p for p, _, _ in capture.posts) == ["/hook", "/slack"]
        assert d.queued() == 0
    finally:
        capture.stop()
