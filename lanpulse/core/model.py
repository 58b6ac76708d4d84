"""Typed records that cross package boundaries.

Frozen dataclasses with slots: an estate of 25,000 devices holds many of them, and nothing
downstream may mutate what a collector or parser produced.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, get_args

from lanpulse.core.errors import PollError

DeviceClass = Literal["switch", "printer", "storage", "desktop", "server", "ups", "other"]

# What a neighbour says it is (the `neighbor` measurement's `remote_caps` tag, one vocabulary
# for LLDP and CDP; interface roles read it: docs/capacity.md). In the order of LLDP-MIB's
# LldpSystemCapabilitiesMap BITS (bit 0 first; LLDP-V2 adds the last three).
NeighborCapability = Literal[
    "other",
    "repeater",
    "bridge",
    "wlan_ap",
    "router",
    "telephone",
    "docsis",
    "station",
    "cvlan",
    "svlan",
    "tpmr",
]
NEIGHBOR_CAPABILITIES: tuple[NeighborCapability, ...] = get_args(NeighborCapability)
DEVICE_CLASSES: tuple[str, ...] = (
    "switch",
    "printer",
    "storage",
    "desktop",
    "server",
    "ups",
    "other",
)

# Text (str) only in the few fields the schema declares "text" (the `event` measurement's
# `trap_oid` and `message`); every other field is numeric.
FieldValue = int | float | str


class Secret:
    """A credential that never shows itself in `repr`, `str`, logs or error messages."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one place that must hand it to a protocol library."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


class Oid(str):
    """An OBJECT IDENTIFIER value returned by an agent (dotted, no leading dot)."""

    __slots__ = ()


# What an SNMP agent returned for one variable: INTEGER, Counter32/64, Gauge32, TimeTicks and
# Unsigned32 as int; OCTET STRING and Opaque as bytes; OBJECT IDENTIFIER as Oid; IpAddress as
# a dotted str. noSuchObject / noSuchInstance / endOfMibView never appear: absent is absent.
SnmpValue = int | bytes | str


@dataclass(frozen=True, slots=True)
class SnmpCredentials:
    """How to talk SNMP to one device (merged defaults -> group -> device)."""

    version: Literal["1", "2c", "3"] = "2c"
    community: Secret | None = None
    user: str | None = None
    auth_protocol: str | None = None  # md5, sha, sha224, sha256, sha384, sha512
    auth_password: Secret | None = None
    priv_protocol: str | None = None  # des, 3des, aes, aes192, aes256, aes192c, aes256c
    priv_password: Secret | None = None
    context: str | None = None
    timeout_s: float = 2.0
    retries: int = 1
    max_repetitions: int = 25
    engine: str = "native"  # native (lanpulse's codec) or pysnmp (the reference; 3DES)

    @property
    def security_level(self) -> str:
        """noAuthNoPriv / authNoPriv / authPriv, as net-snmp names them."""
        if self.priv_protocol:
            return "authPriv"
        if self.auth_protocol:
            return "authNoPriv"
        return "noAuthNoPriv"


@dataclass(frozen=True, slots=True)
class SshCredentials:
    """How to reach one device's command line over SSH."""

    platform: str
    port: int = 22
    user: str | None = None
    password: Secret | None = None
    key_file: str | None = None
    enable_secret: Secret | None = None
    host_key_check: bool = True
    known_hosts: str | None = None
    timeout_s: float = 10.0
    command_timeout_s: float = 30.0
    persistent: bool = False


@dataclass(frozen=True, slots=True)
class Device:
    """One inventory entry after defaults -> group -> device inheritance."""

    name: str
    address: str
    port: int = 161
    device_class: str | None = None  # None: the matched profile decides
    profile: str | None = None  # None: chosen by sysObjectID / sysDescr
    labels: Mapping[str, str] = field(default_factory=dict)
    interval_s: float = 60.0
    snmp: SnmpCredentials | None = None
    ssh: SshCredentials | None = None
    group: str | None = None
    parent: str | None = None
    deadline_s: float | None = None  # None: derived from the interval
    # SNMP + CLI devices: `measurement.field` / `measurement` / `*` -> "snmp" or "cli".
    prefer: Mapping[str, str] = field(default_factory=dict)
    poller_group: str = "default"  # the ZooKeeper poller group that polls it


@dataclass(frozen=True, slots=True)
class Sample:
    """One point of a canonical measurement (see `lanpulse.core.schema`)."""

    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]
    time_ns: int

    @property
    def time(self) -> datetime:
        """The timestamp as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time_ns / 1e9, tz=UTC)

    def to_json(self) -> dict[str, object]:
        """The `--format json` shape: measurement, tags, fields, RFC 3339 time."""
        return {
            "measurement": self.measurement,
            "tags": dict(self.tags),
            "fields": dict(self.fields),
            "time": self.time.isoformat().replace("+00:00", "Z"),
        }


def make_sample(
    measurement: str, tags: Mapping[str, str], fields: Mapping[str, FieldValue], time_ns: int
) -> Sample:
    """`Sample(measurement, tags, fields, time_ns)`.

    It set the slots directly once; benchmarks/parse_cost.py measured that trick, together
    with `object.__new__` rows (parsers/rows.py), at 0.045 ms of a 48-port switch's 3.7 ms
    pipeline poll (about 1 %, under the 5 % that would justify it), so it is the plain
    constructor now. The name stays for the callers on other branches.
    """
    return Sample(measurement, tags, fields, time_ns)


@dataclass(frozen=True, slots=True)
class RawSnmp:
    """What one SNMP poll fetched: scalars by full OID, table columns by column OID -> index,
    and the parts that failed while the rest was kept (`part`: an OID, a column or a table)."""

    device: str
    started_ns: int
    scalars: Mapping[str, SnmpValue]
    columns: Mapping[str, Mapping[str, SnmpValue]]
    errors: tuple[PollError, ...] = ()


@dataclass(frozen=True, slots=True)
class RawTrap:
    """One accepted trap or inform, as received (collectors/traps.py -> parsers/traps.py).

    `varbinds` are (dotted OID, value) in the order sent, after sysUpTime.0 and snmpTrapOID.0
    (a v1 trap's fields are translated as RFC 3584 section 3.1 says). `security_name` is the
    v3 user; for v1/v2c the community stays out of the record.
    """

    source: str  # the sender's IP address
    version: Literal["1", "2c", "3"]
    trap_oid: str
    varbinds: tuple[tuple[str, SnmpValue], ...]
    received_ns: int
    inform: bool = False
    uptime_ticks: int | None = None
    security_name: str = ""


@dataclass(frozen=True, slots=True)
class RawCli:
    """What one CLI poll fetched: command -> output text, plus the commands that failed
    (`part` is the command; the message does not repeat it)."""

    device: str
    platform: str
    started_ns: int
    outputs: Mapping[str, str]
    errors: tuple[PollError, ...] = ()


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """The result of polling one device once; a failed poll is data too."""

    device: str
    samples: tuple[Sample, ...]
    errors: tuple[PollError, ...]
    duration_s: float
    started_ns: int
    up: bool


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A change of an alert's state, produced by the alert engine for notifiers and storage."""

    rule: str
    severity: str
    state: Literal["inactive", "pending", "firing", "resolved", "flapping"]
    labels: Mapping[str, str]
    value: float | None
    summary: str
    description: str
    started_ns: int
    ended_ns: int | None = None
    time_ns: int = 0
    # Why this event is recorded but not notified (maintenance, parent down, flapping...);
    # None means notifiers get it (for firing, resolved and flapping events).
    suppressed_by: str | None = None
    # What a person needs to act, beyond labels: address, location, value with its threshold,
    # began/lasted in the configured zone, links (grafana_url, runbook_url, status_url).
    annotations: Mapping[str, str] = field(default_factory=dict)


def now_ns() -> int:
    """Wall-clock UTC now in nanoseconds; the one clock samples are stamped with."""
    return time.time_ns()
