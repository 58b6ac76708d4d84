"""The inventory sections of the configuration: `defaults:`, `groups:` and `devices:`.

Every field is optional here (None = "not set at this level") so that defaults -> group ->
device inheritance can tell "not set" from "set to the default"; `lanpulse.config.devices`
merges the levels and checks what only the merged result can tell (v3 needs a user, ...).
"""

from __future__ import annotations

import difflib
import pathlib
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)

from lanpulse.config.durations import PositiveDuration
from lanpulse.config.network import Host, Port
from lanpulse.config.secrets import SecretFile, SecretValue, pick_secret, resolve_path
from lanpulse.config.snmp_protocols import UsmFields, VersionField
from lanpulse.core.model import DeviceClass, Secret
from lanpulse.core.schema import MEASUREMENTS

_LABEL_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_-]{1,63})*\.?")
# Labels become tags next to `device`, `class` and the measurement tags: they must not clash.
RESERVED_LABELS: frozenset[str] = frozenset({"device", "class"}).union(
    *(m.required_tags | m.optional_tags for m in MEASUREMENTS.values())
)


def _name(value: str) -> str:
    if not value or value != value.strip() or any(ord(c) < 32 for c in value):
        raise ValueError(
            f"bad name {value!r}, expected a non-empty name without surrounding spaces"
        )
    return value


def _label_key(value: str) -> str:
    if not _LABEL_KEY.fullmatch(value):
        raise ValueError(f"bad label name {value!r}, expected letters, digits and _")
    if value in RESERVED_LABELS:
        raise ValueError(
            f"label name {value!r} is reserved for a canonical tag, expected another name"
        )
    return value


def _label_value(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("was read as a boolean, expected a text value (quote it)")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and not value:
        raise ValueError("is empty, expected a non-empty text value")
    return value


def _existing_file(value: str, info: ValidationInfo) -> str:
    context = info.context if isinstance(info.context, Mapping) else {}
    base_dir = context.get("base_dir")
    target = resolve_path(value, base_dir if isinstance(base_dir, pathlib.Path) else None)
    if not target.is_file():
        what = "is not a file" if target.exists() else "does not exist"
        raise ValueError(f"file {value!r} {what}, expected the path of a readable file")
    return str(target)


# One per process, on purpose: the names come from the installed netmiko, which no
# configuration changes; importing netmiko costs ~0.3 s, paid once and only when needed.
@lru_cache(maxsize=1)
def ssh_platforms() -> frozenset[str]:
    """The netmiko device types (`cisco_ios`, `arista_eos`, ...), imported only when needed."""
    from netmiko.ssh_dispatcher import CLASS_MAPPER

    return frozenset(CLASS_MAPPER)


def _platform(value: str) -> str:
    platforms = ssh_platforms()
    if value not in platforms:
        close = difflib.get_close_matches(value, sorted(platforms), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "expected a netmiko device_type"
        raise ValueError(f"unknown ssh platform {value!r}, {hint}")
    return value


Name = Annotated[str, AfterValidator(_name)]
Address = Host
_ZNODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def _znode_name(value: str) -> str:
    if not _ZNODE_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a poller group or member name, expected letters, digits, "
            "'_', '.' and '-' (up to 128, starting with a letter or digit)"
        )
    return value


# A ZooKeeper poller group or member name: one znode path segment (docs/scaling.md).
ZnodeName = Annotated[str, AfterValidator(_znode_name)]
LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, BeforeValidator(_label_value)]
Labels = dict[LabelKey, LabelValue]
Platform = Annotated[str, AfterValidator(_platform)]
ExistingFile = Annotated[str, AfterValidator(_existing_file)]


def _check_prefer_key(key: str) -> str:
    from lanpulse.core.schema import MEASUREMENTS

    measurement, _, field_name = key.partition(".")
    if key == "*":
        return key
    spec = MEASUREMENTS.get(measurement)
    if spec is None:
        raise ValueError(f"expected `*`, a measurement or measurement.field; got {key!r}")
    if field_name and field_name not in spec.fields:
        raise ValueError(f"{measurement} has no field {field_name!r}")
    return key


PreferKey = Annotated[str, AfterValidator(_check_prefer_key)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    def set_values(self) -> dict[str, Any]:
        """Only the keys written at this level, with `X_file` folded into `X`."""
        out: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if name.endswith("_file") and isinstance(value, Secret):
                name = name[: -len("_file")]
            out[name] = value
        return out


class SnmpSection(_Section, UsmFields):
    """`snmp:` at any level; `None` means "inherit" (v3 protocols and passwords: UsmFields)."""

    version: VersionField | None = None
    community: SecretValue | None = None
    community_file: SecretFile | None = None
    user: Annotated[str, Field(min_length=1)] | None = None
    context: str | None = None
    timeout: PositiveDuration | None = None
    retries: Annotated[int, Field(ge=0, le=10)] | None = None
    max_repetitions: Annotated[int, Field(ge=1, le=1000)] | None = None
    engine: Literal["native", "pysnmp"] | None = None

    @model_validator(mode="after")
    def _one_source_per_secret(self) -> SnmpSection:
        pick_secret(self.community, self.community_file, "community")
        pick_secret(self.auth_password, self.auth_password_file, "auth_password")
        pick_secret(self.priv_password, self.priv_password_file, "priv_password")
        return self


class SshSection(_Section):
    """`ssh:` at any level; `None` means "inherit"."""

    platform: Platform | None = None
    port: Port | None = None
    user: Annotated[str, Field(min_length=1)] | None = None
    password: SecretValue | None = None
    password_file: SecretFile | None = None
    key_file: ExistingFile | None = None
    enable_secret: SecretValue | None = None
    enable_secret_file: SecretFile | None = None
    host_key_check: bool | None = None
    known_hosts: ExistingFile | None = None
    timeout: PositiveDuration | None = None
    command_timeout: PositiveDuration | None = None
    persistent: bool | None = None

    @model_validator(mode="after")
    def _one_source_per_secret(self) -> SshSection:
        pick_secret(self.password, self.password_file, "password")
        pick_secret(self.enable_secret, self.enable_secret_file, "enable_secret")
        return self


class InheritedSection(_Section):
    """What `defaults:` and each group may set for the devices below them."""

    interval: PositiveDuration | None = None
    deadline: PositiveDuration | None = None
    port: Port | None = None
    device_class: DeviceClass | None = Field(default=None, alias="class")
    profile: Annotated[str, Field(min_length=1)] | None = None
    labels: Labels | None = None
    # For a device polled over SNMP and SSH: which source wins for a field both give.
    # Keys: `measurement.field`, `measurement` or `*`; values: `snmp` or `cli`.
    prefer: dict[PreferKey, Literal["snmp", "cli"]] | None = None
    snmp: SnmpSection | None = None
    ssh: SshSection | None = None
    # The name of an entry of the root `credentials:` section (a credential set): its SNMP
    # settings sit between the group's and the device's own `snmp:`. Inventories written by
    # `lanpulse discover` name the set, never the secret.
    credentials: Name | None = None
    # The ZooKeeper poller group whose members poll the device (docs/scaling.md).
    poller_group: ZnodeName | None = None


class DefaultsSection(InheritedSection):
    """`defaults:`, applied to every device."""


class GroupSection(InheritedSection):
    """One entry of `groups:`, applied to the devices that name it."""


class AgentFacts(_Section):
    """What a device says about itself (SNMP system group, engine ID, chassis serial)."""

    sys_name: str | None = None
    sys_object_id: str | None = None
    sys_descr: str | None = None
    sys_location: str | None = None
    engine_id: str | None = None
    serial: str | None = None


class DiscoveredFacts(AgentFacts):
    """What `lanpulse discover` last saw of a device (kept in the inventory file it writes).

    Only discovery writes it; it is compared with the next sweep for `--diff` (changed
    sysName, model, address) and to flag devices that vanished. Times are ISO 8601 UTC.
    """

    source: Literal["sweep", "lldp", "cdp", "import", "netbox"] | None = None
    addresses: list[str] | None = None  # every address the device answered on
    first_seen: str | None = None
    last_seen: str | None = None
    vanished_since: str | None = None  # set while a sweep of its subnet does not find it


class DeviceEntry(InheritedSection):
    """One entry of `devices:` as written (before inheritance)."""

    name: Name
    address: Address
    group: Annotated[str, Field(min_length=1)] | None = None
    parent: Annotated[str, Field(min_length=1)] | None = None
    discovered: DiscoveredFacts | None = None
