"""The root of the configuration file, and what loading it produces.

`Settings` is the validated file as written (inventory entries before inheritance);
`LoadedConfig` adds the merged `Device` records that the daemon and `lanpulse poll` use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lanpulse.config.agents import AgentsSettings
from lanpulse.config.alerting import AlertingSettings
from lanpulse.config.capacity import ReportSettings, RollupSettings
from lanpulse.config.cluster import ClusterSettings
from lanpulse.config.daemon import DaemonSettings
from lanpulse.config.discovery import DiscoverySettings
from lanpulse.config.grafana import GrafanaSettings
from lanpulse.config.influx import InfluxSettings, SpoolSettings
from lanpulse.config.inventory import (
    DefaultsSection,
    DeviceEntry,
    GroupSection,
    Name,
    SnmpSection,
)
from lanpulse.config.paths import ConfigPath
from lanpulse.config.roles import RoleSettings
from lanpulse.config.secrets import redact, safe_url
from lanpulse.config.traps import TrapsSettings
from lanpulse.config.web import WebSettings, check_exposure
from lanpulse.core.errors import ConfigError
from lanpulse.core.model import Device

# The sections of the inventory; the loader validates them entry by entry.
INVENTORY_SECTIONS: tuple[str, ...] = ("defaults", "groups", "devices")
# The sections with a path among their defaults (`spool.directory`, `alerting.state_file`...).
PATH_SECTIONS: tuple[str, ...] = ("spool", "alerting", "discovery", "reports")


class Settings(BaseModel):
    """The whole configuration file, validated. Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    influxdb: InfluxSettings | None = None
    spool: SpoolSettings = Field(default_factory=SpoolSettings)
    alerting: AlertingSettings = Field(default_factory=AlertingSettings)
    grafana: GrafanaSettings | None = None
    agents: AgentsSettings | None = None
    daemon: DaemonSettings = Field(default_factory=DaemonSettings)
    traps: TrapsSettings | None = None
    web: WebSettings = Field(default_factory=WebSettings)
    rollups: RollupSettings = Field(default_factory=RollupSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    roles: RoleSettings = Field(default_factory=RoleSettings)
    cluster: ClusterSettings | None = None
    profiles_dirs: list[ConfigPath] = Field(default_factory=list)
    # Credential sets: named SNMP settings that devices (and discovery) refer to by name.
    credentials: dict[Name, SnmpSection] = Field(default_factory=dict)
    # Inventory files (paths or globs, relative to this file) whose `devices:` are added.
    inventory: list[str] = Field(default_factory=list)
    discovery: DiscoverySettings = Field(default_factory=DiscoverySettings)
    defaults: DefaultsSection = Field(default_factory=DefaultsSection)
    groups: dict[Name, GroupSection] = Field(default_factory=dict)
    devices: list[DeviceEntry] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _path_sections(cls, data: Any) -> Any:
        """Sections whose defaults are paths are validated even when absent, so the
        defaults too are taken from the configuration's folder (config/paths.py)."""
        if isinstance(data, dict):
            data = {**data, **{k: {} for k in PATH_SECTIONS if data.get(k) is None}}
        return data

    @model_validator(mode="after")
    def _exposure(self) -> Settings:
        # Beyond loopback the API must be encrypted and authenticated (docs/alerting.md).
        check_exposure(self.daemon.http_listen, self.web)
        return self

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # Sections owned elsewhere may hold plain-string secrets: show them redacted.
        for name, value in super().__repr_args__():
            if name == "credentials" and isinstance(value, dict):
                yield name, sorted(value)  # set names only: the sets hold secrets
            elif isinstance(value, BaseModel) and name not in ("defaults",):
                yield name, redact(value.model_dump(mode="python"))
            else:
                yield name, value


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """A loaded, validated configuration: settings as written plus merged devices."""

    path: str
    settings: Settings
    devices: tuple[Device, ...]
    base_dir: Path = field(default_factory=Path.cwd)
    # The document as read and the line of each key path: later readers of a section (the
    # alert rules' templates and file:line errors) use these instead of parsing it again.
    document: object = None
    lines: Mapping[tuple[str | int, ...], int] = field(default_factory=dict)

    @property
    def profiles_dirs(self) -> tuple[Path, ...]:
        """Extra profile directories, relative ones taken from the configuration's folder."""
        return tuple(self.base_dir / Path(p).expanduser() for p in self.settings.profiles_dirs)

    def device(self, name: str) -> Device:
        """The device called `name`; a ConfigError suggesting the closest name otherwise."""
        for device in self.devices:
            if device.name == name:
                return device
        from lanpulse.config.devices import closest

        names = [d.name for d in self.devices]
        close = closest(name, names)
        if close:
            hint = f"did you mean {close!r}?"
        elif names:
            hint = (
                "expected one of: " + ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
            )
        else:
            hint = "the configuration has no devices"
        raise ConfigError(f"unknown device {name!r}, {hint}", file=self.path, key="devices")

    def summary(self) -> str:
        """One line: device counts by transport, groups, and where samples go."""
        devices = self.devices
        snmp = sum(1 for d in devices if d.snmp is not None)
        ssh = sum(1 for d in devices if d.ssh is not None)
        groups = len(self.settings.groups)
        parts = [
            f"{len(devices)} device{'s' if len(devices) != 1 else ''} ({snmp} snmp, {ssh} ssh)",
            f"{groups} group{'s' if groups != 1 else ''}",
        ]
        influx = self.settings.influxdb
        if influx is None:
            parts.append("no influxdb (samples stay in the spool)")
        else:
            parts.append(f"influxdb {influx.api} {safe_url(influx.url)}")
        if self.settings.grafana is not None:
            parts.append(f"grafana {safe_url(self.settings.grafana.url)}")
        return "ok: " + ", ".join(parts)

    def __repr__(self) -> str:
        return (
            f"LoadedConfig(path={self.path!r}, devices={len(self.devices)}, "
            f"groups={len(self.settings.groups)})"
        )

    __str__ = __repr__
