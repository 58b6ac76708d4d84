"""The one rule for relative paths in the configuration, applied once, while it is loaded.

Prometheus's rule: a relative path is taken from the folder of the configuration file, never
from the working directory, so `lanpulse run`, `report`, `spool`, `where`, `discover`, the
workers and a systemd unit started in `/` all mean the same file. `~` is expanded.

Every path-valued key is a `ConfigPath`. The loader validates with `context={"base_dir":
the file's folder}`, and the validator makes the path absolute there; defaults are
validated too (`validate_default=True` on each defaulted path), so `spool.directory`'s
default `var/spool` is `<config folder>/var/spool`. Code after loading reads absolute paths
and joins nothing. A model built in code without that context keeps what it was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, ValidationInfo

from lanpulse.config.secrets import resolve_path


def _absolute(value: str, info: ValidationInfo) -> str:
    context = info.context if isinstance(info.context, Mapping) else {}
    base = context.get("base_dir")
    if not isinstance(base, Path):
        return value
    return str(resolve_path(value, base))


# A file or directory named in the configuration (see the module's rule).
ConfigPath = Annotated[str, AfterValidator(_absolute)]
