"""The notifier kinds a receiver can hold: kind -> how to build it from its settings.

Adding a kind is its settings model in `lanpulse.config.alerting` (an entry of
`NOTIFIER_KINDS` and a field of the receivers) and one module here named after the kind,
with `build(settings, ctx: BuildContext) -> Notifier`. Nothing else: the registry finds the
module by the kind's name when it is imported (a missing module or `build` fails then).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from lanpulse.alerts.notifiers.base import Notifier
from lanpulse.alerts.notifiers.context import BuildContext
from lanpulse.config.alerting import NOTIFIER_KINDS

__all__ = ["BUILDERS", "BuildContext", "Builder"]

Builder = Callable[[Any, BuildContext], Notifier]


def _builder(kind: str) -> Builder:
    build: Builder = import_module(f"{__package__}.{kind}").build
    return build


BUILDERS: dict[str, Builder] = {kind: _builder(kind) for kind in NOTIFIER_KINDS}
