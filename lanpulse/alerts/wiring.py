"""Receivers and routes built from the `alerting:` section.

A receiver with one notifier kind is delivered to under its own name; one with several
kinds gets a queue per kind (`network-ops/pagerduty`, `network-ops/slack`), so a failing
kind neither blocks nor duplicates the others. Alertmanager receivers get every alert (it
routes, groups and silences itself) and a re-post every `resend_interval`; the other
receivers follow the routing tree (`route:`), the flat `routes:` list, or get everything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from lanpulse.alerts.notifiers.base import Notifier
from lanpulse.alerts.notifiers.context import BuildContext
from lanpulse.alerts.notifiers.grafana import GrafanaAnnotationNotifier
from lanpulse.alerts.notifiers.registry import BUILDERS
from lanpulse.alerts.routing import Route, RouteNode
from lanpulse.alerts.silences import Matcher, parse_matcher
from lanpulse.config.alerting import (
    AlertingSettings,
    AlertmanagerSettings,
    RouteNodeSettings,
)
from lanpulse.config.grafana import GrafanaSettings
from lanpulse.core.model import now_ns


def notifier_keys(settings: AlertingSettings) -> dict[str, list[tuple[str, str]]]:
    """Receiver name -> [(delivery key, kind)]."""
    out: dict[str, list[tuple[str, str]]] = {}
    for receiver in settings.named():
        kinds = [kind for kind, _ in receiver.kinds()]
        single = len(kinds) == 1
        out[receiver.name] = [
            (receiver.name if single else f"{receiver.name}/{k}", k) for k in kinds
        ]
    if settings.grafana_annotations:
        out["grafana"] = [("grafana", "grafana")]
    return out


def build_notifiers(
    settings: AlertingSettings,
    base_dir: Path,
    clock: Callable[[], int] = now_ns,
    grafana: GrafanaSettings | None = None,
) -> dict[str, Notifier]:
    """One notifier per delivery key (reads secret files: a missing one is an error now)."""
    out: dict[str, Notifier] = {}
    if settings.grafana_annotations and grafana is not None:
        from lanpulse.dashboards.publisher import connect

        out["grafana"] = GrafanaAnnotationNotifier(connect(grafana).annotations)
    for receiver in settings.named():
        keys = dict(notifier_keys(settings)[receiver.name])
        by_kind = {kind: key for key, kind in keys.items()}
        for kind, kind_settings in receiver.kinds():
            where = (
                f"alerting.receivers[{receiver.name}].{kind}"
                if receiver in settings.receivers_
                else f"alerting.{kind}"  # the single-receiver form, `alerting.email:`
            )
            ctx = BuildContext(base_dir, where, clock)
            out[by_kind[kind]] = BUILDERS[kind](kind_settings, ctx)
    return out


def _alertmanagers(settings: AlertingSettings) -> dict[str, AlertmanagerSettings]:
    out = {}
    for receiver in settings.named():
        keys = dict((k, key) for key, k in notifier_keys(settings)[receiver.name])
        if receiver.alertmanager is not None:
            out[keys["alertmanager"]] = receiver.alertmanager
    return out


def _expand(settings: AlertingSettings, names: Sequence[str]) -> tuple[str, ...]:
    """Receiver names -> their delivery keys, without Alertmanager's (it gets everything)."""
    keys = notifier_keys(settings)
    return tuple(key for n in names for key, kind in keys.get(n, []) if kind != "alertmanager")


def matchers_of(
    match: Mapping[str, str | list[str]], match_re: Mapping[str, str], texts: Sequence[str] = ()
) -> tuple[Matcher, ...]:
    """Route matchers from `match` (a value or a list), `match_re` and `matchers` texts."""
    out = []
    for name, value in match.items():
        if isinstance(value, list):
            alternatives = "|".join(re.escape(v) for v in value)
            out.append(Matcher(name, alternatives, is_regex=True))
        else:
            out.append(Matcher(name, value))
    out += [Matcher(name, pattern, is_regex=True) for name, pattern in match_re.items()]
    out += [parse_matcher(text) for text in texts]
    return tuple(out)


def build_routes(settings: AlertingSettings) -> list[Route]:
    """The flat routes: Alertmanager's catch-all, then the `routes:` list if used, or
    (without `routes:` and `route:`) one route sending everything to every receiver."""
    routes = [
        Route(
            receivers=(key,),
            group_by=(),
            group_wait_s=0.0,
            group_interval_s=0.0,
            repeat_interval_s=am.resend_interval,
            continue_=True,
            whole_group=False,
            honours_holds=False,
        )
        for key, am in _alertmanagers(settings).items()
    ]
    for r in settings.routes:
        receivers = _expand(settings, r.receivers)
        if receivers:
            routes.append(
                Route(
                    receivers=receivers,
                    matchers=matchers_of(r.match, r.match_re),
                    group_by=tuple(r.group_by),
                    group_wait_s=r.group_wait,
                    group_interval_s=r.group_interval,
                    repeat_interval_s=r.repeat_interval,
                    continue_=r.continue_,
                )
            )
    if settings.route is None and not settings.routes:
        everyone = _expand(settings, settings.receivers())
        if everyone:
            routes.append(Route(receivers=everyone))
    return routes


def build_tree(settings: AlertingSettings) -> RouteNode | None:
    """The routing tree of `route:`, if configured."""
    return None if settings.route is None else _node(settings, settings.route, None)


def _node(settings: AlertingSettings, n: RouteNodeSettings, parent: Route | None) -> RouteNode:
    base = parent or Route(receivers=())
    route = Route(
        receivers=_expand(settings, n.names()) if n.names() else base.receivers,
        matchers=matchers_of(n.match, n.match_re, n.matchers),
        group_by=tuple(n.group_by) if n.group_by is not None else base.group_by,
        group_wait_s=n.group_wait if n.group_wait is not None else base.group_wait_s,
        group_interval_s=(
            n.group_interval if n.group_interval is not None else base.group_interval_s
        ),
        repeat_interval_s=(
            n.repeat_interval if n.repeat_interval is not None else base.repeat_interval_s
        ),
        continue_=n.continue_,
    )
    return RouteNode(route, tuple(_node(settings, child, route) for child in n.routes))


def receivers_for(settings: AlertingSettings, labels: Mapping[str, str]) -> list[str]:
    """The receiver names an alert with `labels` reaches (`lanpulse alerts routes`)."""
    from lanpulse.alerts.dispatcher import Dispatcher

    dispatcher = Dispatcher({}, build_routes(settings), tree=build_tree(settings))
    keys = [key for route in dispatcher._routes_for(labels) for key in route.receivers]
    owner = {key: name for name, pairs in notifier_keys(settings).items() for key, _ in pairs}
    return list(dict.fromkeys(owner.get(k, k) for k in keys))
