"""Which receivers get an alert: Alertmanager's routing tree, and its flat lanpulse form.

A node matches an alert when all its matchers do. The alert descends into the first
matching child (and on to the next matching ones while a matched child has `continue`); a
node no child takes handles the alert itself. The root matches everything. Timings and
`group_by` are the node's own or inherited, resolved when the tree is built.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from lanpulse.alerts.silences import Matcher


@dataclass(frozen=True, slots=True)
class Route:
    """Which alerts (by label) go to which receivers, and the timing of their groups."""

    receivers: tuple[str, ...]
    matchers: tuple[Matcher, ...] = ()
    group_by: tuple[str, ...] = ("alertname",)
    group_wait_s: float = 30.0
    group_interval_s: float = 300.0
    repeat_interval_s: float = 4 * 3600.0
    continue_: bool = False
    # People get the whole group each time; Alertmanager keeps each alert itself, so it gets
    # only the changes, and the whole set on each repeat.
    whole_group: bool = True
    # Silenced and acknowledged alerts are not repeated to people; Alertmanager keeps getting
    # them (it would resolve them otherwise) and applies the mirrored silences itself.
    honours_holds: bool = True

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether an alert with `labels` takes this route."""
        return all(m.matches(labels) for m in self.matchers)


@dataclass(frozen=True, slots=True)
class RouteNode:
    """A node of the routing tree: its effective route and its children."""

    route: Route
    children: tuple[RouteNode, ...] = ()

    def match(self, labels: Mapping[str, str]) -> list[Route]:
        """The routes that handle `labels` below (or at) this node."""
        out: list[Route] = []
        for child in self.children:
            if child.route.matches(labels):
                out += child.match(labels)
                if not child.route.continue_:
                    break
        return out or [self.route]

    def walk(self) -> Iterator[Route]:
        """Every route of the tree, depth first."""
        yield self.route
        for child in self.children:
            yield from child.walk()


def first_matches(routes: Sequence[Route], labels: Mapping[str, str]) -> list[Route]:
    """The flat form: routes in order, stopping at the first match without `continue`."""
    out = []
    for route in routes:
        if route.matches(labels):
            out.append(route)
            if not route.continue_:
                break
    return out
