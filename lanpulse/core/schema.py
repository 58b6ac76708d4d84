"""The canonical measurements of SCHEMA.md, as data, with a validator for samples.

Dashboards, alert rules and tests are written against these names; parsers must produce
nothing else. Additions go here and in docs/schema.md; renames are not allowed.

(~490 lines: one table of every measurement is the point of the module, read top to bottom
beside docs/schema.md; the validator below it is ~60 lines.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from lanpulse.core.model import DEVICE_CLASSES, Sample


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field: integer or float, and its allowed range when it has one."""

    # "int": must be an integer, written as one. "number": a real quantity; an int is
    # accepted and written as a float, so the field has one type in InfluxDB whichever
    # device reported it. "text": a string field (only `event` has them: a trap's OID and
    # message would be unbounded tags).
    kind: str = "number"
    minimum: float | None = None
    maximum: float | None = None
    values: frozenset[int] | None = None  # a closed set of codes
    # Written with this many decimal places ("%.3f"): the stored value is rounded to them.
    # Rates are computed to 3 decimals (parsers/rates.py), so for them the stored float is
    # the computed one, bit for bit; fixed-point text is only cheaper to write than the
    # shortest repr (about half the CPU), and rates are most of a poll's floats.
    decimals: int | None = None


@dataclass(frozen=True, slots=True)
class MeasurementSpec:
    """Tags (required and optional, beyond device/class/labels) and fields of a measurement."""

    name: str
    fields: Mapping[str, FieldSpec]
    required_tags: frozenset[str] = frozenset()
    optional_tags: frozenset[str] = frozenset()
    device_scoped: bool = True  # carries device and class tags


INT = FieldSpec("int")
COUNTER = FieldSpec("int", minimum=0)
NONNEG = FieldSpec("number", minimum=0)
# Sizes in bytes and link speeds are whole numbers: integers stay integers (SCHEMA.md).
BYTES = FieldSpec("int", minimum=0)
PCT = FieldSpec("number", minimum=0, maximum=100)
RATE = FieldSpec("number", minimum=0, decimals=3)  # per second, from counters
RATE_PCT = FieldSpec("number", minimum=0, maximum=100, decimals=3)  # a rate's share of a link
FLAG = FieldSpec("int", values=frozenset({0, 1}))
HEALTH = FieldSpec("int", values=frozenset({0, 1, 2, 3}))
NUMBER = FieldSpec("number")
TEXT = FieldSpec("text")

PRINTER_CONDITIONS: tuple[str, ...] = (
    "low_paper",
    "no_paper",
    "low_toner",
    "no_toner",
    "door_open",
    "jammed",
    "offline",
    "service_requested",
    "input_tray_missing",
    "output_tray_missing",
    "marker_supply_missing",
    "output_near_full",
    "output_full",
    "input_tray_empty",
    "overdue_prevent_maint",
)


def _m(
    name: str,
    fields: dict[str, FieldSpec],
    required: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    device_scoped: bool = True,
) -> MeasurementSpec:
    return MeasurementSpec(name, fields, frozenset(required), frozenset(optional), device_scoped)


MEASUREMENTS: dict[str, MeasurementSpec] = {
    m.name: m
    for m in (
        _m(
            "device",
            {
                "up": FLAG,
                "poll_seconds": NONNEG,
                "uptime_seconds": NONNEG,
                "poll_errors": COUNTER,
            },
            optional=("vendor", "model", "profile", "error"),
        ),
        _m(
            "interface",
            {
                "in_octets": COUNTER,
                "out_octets": COUNTER,
                "in_bps": RATE,
                "out_bps": RATE,
                "in_util_pct": RATE_PCT,
                "out_util_pct": RATE_PCT,
                "speed_bps": BYTES,
                "oper_status": FieldSpec("int", values=frozenset(range(1, 8))),
                "admin_status": FieldSpec("int", values=frozenset({1, 2, 3})),
                "in_errors": COUNTER,
                "out_errors": COUNTER,
                "in_discards": COUNTER,
                "out_discards": COUNTER,
                "in_errors_ps": RATE,
                "out_errors_ps": RATE,
                "in_discards_ps": RATE,
                "out_discards_ps": RATE,
                # CLI extras (issue 7): CRC errors broken out where the CLI shows them.
                "in_crc_errors": COUNTER,
                "in_crc_errors_ps": RATE,
                # EtherLike-MIB (issue 21, the desktop's port): 1 unknown, 2 half, 3 full.
                "duplex": FieldSpec("int", values=frozenset({1, 2, 3})),
                "fcs_errors": COUNTER,
                "alignment_errors": COUNTER,
                "late_collisions": COUNTER,
                "fcs_errors_ps": RATE,
                "alignment_errors_ps": RATE,
                "late_collisions_ps": RATE,
                # MAU-MIB auto-negotiation (issue 21): what both ends offer, and whether the
                # link runs below the best of it (parsers/quirks/mau.py).
                "autoneg": FLAG,
                "partner_autoneg": FLAG,
                "port_capable_bps": BYTES,
                "partner_capable_bps": BYTES,
                "capable_bps": BYTES,
                "slower_than_capable": FLAG,
                "link_losses": COUNTER,  # ifMauMediaAvailableStateExits: a flapping link
                "link_losses_ps": RATE,
            },
            required=("if_index", "if_name"),
            # role: uplink, access, server... (a profile or config rule; the dashboards'
            # Role filter reads it where present)
            optional=("if_alias", "if_type", "role"),
        ),
        _m(
            "printer",
            {
                "status": FieldSpec("int", values=frozenset({1, 2, 3, 4, 5})),
                "device_status": FieldSpec("int", values=frozenset({1, 2, 3, 4, 5})),
                "page_count": COUNTER,
                # Issue 22: vendor MIB counters (HP, Xerox), mono and colour pages.
                "page_count_mono": COUNTER,
                "page_count_color": COUNTER,
                # Pages by function (Kyocera KMCOMMON-MIB kmMFPCounterItem): host print
                # jobs, copies, received faxes.
                "page_count_print": COUNTER,
                "page_count_copy": COUNTER,
                "page_count_fax": COUNTER,
                **{c: FLAG for c in PRINTER_CONDITIONS},
                "alerts_critical": COUNTER,
                "alerts_warning": COUNTER,
            },
        ),
        _m(
            "printer_supply",
            {
                "level": INT,
                "max_capacity": INT,
                "level_pct": PCT,
                "some_remaining": FLAG,
                # Issue 22: the level's sentinel state, so a supply of unknown level is
                # still written (0 measured, 1 some remaining, 2 unknown, 3 other).
                "level_state": FieldSpec("int", values=frozenset({0, 1, 2, 3})),
            },
            required=("supply", "supply_index", "supply_type"),
            optional=("color",),
        ),
        _m(
            "printer_tray",
            {
                "level": INT,
                "max_capacity": INT,
                "level_pct": PCT,
                "level_state": FieldSpec("int", values=frozenset({0, 1, 2, 3})),
            },
            required=("tray", "tray_index"),
        ),
        _m(
            "storage",
            {"size_bytes": BYTES, "used_bytes": BYTES, "free_bytes": BYTES, "used_pct": PCT},
            required=("volume", "storage_type"),
        ),
        _m(
            "disk",
            {"health": HEALTH, "state": INT, "temperature_c": NUMBER},
            required=("disk",),
            optional=("model", "serial_hash", "slot"),
        ),
        _m(
            "raid",
            {"health": HEALTH, "state": INT, "size_bytes": BYTES, "used_bytes": BYTES},
            required=("array",),
            optional=("raid_level",),
        ),
        _m(
            "host",
            {
                "cpu_pct": PCT,
                "cpu_count": COUNTER,
                "mem_total_bytes": BYTES,
                "mem_used_bytes": BYTES,
                "mem_used_pct": PCT,
                "swap_total_bytes": BYTES,
                "swap_used_bytes": BYTES,
                "load1": NONNEG,
                "load5": NONNEG,
                "load15": NONNEG,
                "processes": COUNTER,
                "users": COUNTER,
            },
        ),
        _m(
            "sensor",
            {"value": NUMBER, "health": HEALTH, "state": INT},
            required=("sensor", "sensor_type"),
        ),
        _m(
            "alert",
            {
                "state": FieldSpec("int", values=frozenset({0, 1, 2})),
                "value": NUMBER,
                "muted": FLAG,
                "acked": FLAG,
            },
            required=("rule", "severity"),
            optional=("alert_id",),
            device_scoped=False,
        ),
        _m(
            "poe",
            {
                "power_w": NONNEG,
                "max_power_w": NONNEG,
                "status": INT,
                "poe_class": INT,
                "budget_w": NONNEG,
                "used_w": NONNEG,
                "remaining_w": NONNEG,
            },
            optional=("port", "module"),
        ),
        # Wi-Fi (issue 21): one row per AP radio (`radio`, `band`) or per AP and SSID
        # (`ssid`), tagged with the AP's name; the polled device is the controller (or the
        # AP itself, for standalone APs). `ap_group` is the controller's AP group / zone /
        # site. `wireless_controller` holds the controller's totals (per SSID with `ssid`).
        _m(
            "wireless_ap",
            {
                "up": FLAG,
                "clients": COUNTER,
                "channel": FieldSpec("int", minimum=0),
                "util_pct": PCT,
                "noise_dbm": NUMBER,
                "tx_power_dbm": NUMBER,
                "retries": COUNTER,
                "retries_ps": RATE,
            },
            required=("ap",),
            optional=("radio", "band", "ssid", "ap_group"),
        ),
        _m(
            "wireless_controller",
            {"aps": COUNTER, "aps_up": COUNTER, "clients": COUNTER},
            optional=("ssid",),
        ),
        _m(
            "event",
            {
                "trap_oid": TEXT,
                "message": TEXT,
                "received": FieldSpec("int", values=frozenset({1})),
                # Varbinds a trap map names (lanpulse/config/traps/*.yaml), by meaning.
                "admin_status": FieldSpec("int", values=frozenset({1, 2, 3})),
                "oper_status": FieldSpec("int", values=frozenset(range(1, 8))),
                "state": INT,
                "value": NUMBER,
                "threshold": NUMBER,
                "alert_severity_level": INT,
                "alert_training_level": INT,
                "alert_group": INT,
                "alert_group_index": INT,
                "alert_location": INT,
                "alert_code": INT,
                "alert_description": TEXT,
                "battery_minutes_remaining": NONNEG,
                "seconds_on_battery": NONNEG,
                "alarm_id": INT,
                "detail": TEXT,
                "uptime_seconds": NONNEG,
            },
            required=("event", "severity"),
            optional=("if_index", "if_name", "sensor", "entity", "alert_index", "user"),
        ),
        _m(
            # Scheduled discovery (docs/discovery.md): a device its sweeps no longer find.
            "discovery",
            {"missing": FLAG, "vanished": FLAG, "missing_seconds": NONNEG},
        ),
        # Issue 22: UPS (RFC 1628 UPS-MIB, APC PowerNet, MGE/Eaton).
        _m(
            "ups",
            {
                "on_battery": FLAG,
                "status": INT,
                "battery_status": INT,
                "battery_health": HEALTH,
                "battery_replace": FLAG,
                "battery_charge_pct": PCT,
                "battery_voltage_v": NUMBER,
                "battery_temperature_c": NUMBER,
                "runtime_seconds": NONNEG,
                "on_battery_seconds": NONNEG,
                "load_pct": NONNEG,
                "input_voltage_v": NONNEG,
                "input_frequency_hz": NONNEG,
                "output_voltage_v": NONNEG,
                "output_frequency_hz": NONNEG,
                "output_current_a": NONNEG,
                "output_power_w": NONNEG,
                "self_test_result": INT,
                "self_test_failed": FLAG,
                "alarms": COUNTER,
            },
        ),
        # Issue 22: identity of every device (inventory; the location an on-call page needs).
        _m(
            "device_info",
            {"info": FieldSpec("int", values=frozenset({1}))},
            optional=("location", "contact", "serial", "model", "firmware", "vendor"),
        ),
        # Issue 22: LLDP/CDP neighbours, one per local port and remote device (topology).
        _m(
            # Which switch port a device is on (issue 21): the endpoint table joined with
            # the device's addresses (discovery/attachments.py); one series per device.
            "device_port",
            {"info": FieldSpec("int", values=frozenset({1}))},
            required=("switch", "port"),
            optional=("mac", "vlan"),
        ),
        _m(
            "neighbor",
            {"info": FieldSpec("int", values=frozenset({1}))},
            required=("protocol", "local_port"),
            optional=(
                "local_port_index",
                "remote_name",
                "remote_port",
                "remote_port_descr",
                "remote_chassis",
                "remote_address",
                "remote_platform",
                "remote_caps",
            ),
        ),
        # Issue 22: members of a switch stack or virtual chassis.
        _m(
            "stack_member",
            {"state": INT, "health": HEALTH, "priority": INT, "uptime_seconds": NONNEG},
            required=("member",),
            optional=("role", "model", "serial", "firmware"),
        ),
        _m(
            "lanpulse",
            {
                "polls": COUNTER,
                "polls_failed": COUNTER,
                "polls_skipped": COUNTER,
                "poll_errors": COUNTER,
                "queue_depth": COUNTER,
                "spool_bytes": COUNTER,
                "spool_age_seconds": NONNEG,
                "write_latency_seconds": NONNEG,
                "points_written": COUNTER,
                "points_dropped": COUNTER,
                "devices": COUNTER,
                "traps_received": COUNTER,
                "traps_accepted": COUNTER,
                "traps_malformed": COUNTER,
                "traps_bad_community": COUNTER,
                "traps_v3_rejected": COUNTER,
                "traps_unknown_source": COUNTER,
                "traps_dropped": COUNTER,
                "informs_answered": COUNTER,
                "v3_reports_sent": COUNTER,
                "trap_polls": COUNTER,
                "trap_polls_limited": COUNTER,
                # Agents' push (issue 21): requests, lines taken and refused, hosts.
                "push_requests": COUNTER,
                "push_lines_accepted": COUNTER,
                "push_lines_refused": COUNTER,
                "agents": COUNTER,
                "agents_down": COUNTER,
            },
            optional=("instance",),
            device_scoped=False,
        ),
    )
}

SENSOR_TYPES = frozenset(
    {"temperature", "fan", "power_supply", "voltage", "current", "power", "humidity"}
)
STORAGE_TYPES = frozenset({"fixed_disk", "network_disk", "removable_disk", "flash", "other"})
EVENT_SEVERITIES: tuple[str, ...] = ("critical", "warning", "info")


def validate_sample(sample: Sample) -> list[str]:
    """Every way `sample` departs from the canonical schema, as readable strings."""
    spec = MEASUREMENTS.get(sample.measurement)
    if spec is None:
        return [f"unknown measurement {sample.measurement!r}"]
    where = f"{sample.measurement}{dict(sample.tags)}"
    problems: list[str] = []
    if spec.device_scoped:
        for tag in ("device", "class"):
            if not sample.tags.get(tag):
                problems.append(f"{where}: missing tag {tag!r}")
        cls = sample.tags.get("class")
        if cls and cls not in DEVICE_CLASSES:
            problems.append(f"{where}: class {cls!r} is not one of {DEVICE_CLASSES}")
    for tag in spec.required_tags:
        if not sample.tags.get(tag):
            problems.append(f"{where}: missing tag {tag!r}")
    for key, value in sample.tags.items():
        if not isinstance(value, str):
            problems.append(f"{where}: tag {key!r} must be a string, got {type(value).__name__}")
        elif value == "":
            problems.append(f"{where}: tag {key!r} is empty (leave it out instead)")
    if sample.measurement == "sensor" and sample.tags.get("sensor_type") not in SENSOR_TYPES:
        problems.append(f"{where}: sensor_type must be one of {sorted(SENSOR_TYPES)}")
    if sample.measurement == "storage" and sample.tags.get("storage_type") not in STORAGE_TYPES:
        problems.append(f"{where}: storage_type must be one of {sorted(STORAGE_TYPES)}")
    if sample.measurement == "event" and sample.tags.get("severity") not in EVENT_SEVERITIES:
        problems.append(f"{where}: severity must be one of {list(EVENT_SEVERITIES)}")
    if not sample.fields:
        problems.append(f"{where}: no fields")
    for fname, fvalue in sample.fields.items():
        fspec = spec.fields.get(fname)
        if fspec is None:
            problems.append(f"{where}: unknown field {fname!r}")
            continue
        problems.extend(_check_value(where, fname, fvalue, fspec))
    return problems


def _check_value(where: str, name: str, value: object, spec: FieldSpec) -> list[str]:
    if spec.kind == "text":
        return [] if isinstance(value, str) else [f"{where}: field {name!r} must be text"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return [f"{where}: field {name!r} must be numeric, got {value!r}"]
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{where}: field {name!r} is not finite ({value!r})"]
    if spec.kind == "int" and not isinstance(value, int):
        return [f"{where}: field {name!r} must be an integer, got {value!r}"]
    if spec.values is not None and value not in spec.values:
        return [f"{where}: field {name!r}={value!r} is not one of {sorted(spec.values)}"]
    if spec.minimum is not None and value < spec.minimum:
        return [f"{where}: field {name!r}={value!r} is below {spec.minimum}"]
    if spec.maximum is not None and value > spec.maximum:
        return [f"{where}: field {name!r}={value!r} is above {spec.maximum}"]
    return []


# The public name of one field's check (push mapping leaves refused values out with it).
check_value = _check_value


def validate_samples(samples: list[Sample] | tuple[Sample, ...]) -> list[str]:
    """Validate a batch; also reports two samples with the same measurement and tags."""
    problems: list[str] = []
    seen: set[tuple[str, tuple[tuple[str, str], ...], int]] = set()
    for s in samples:
        problems.extend(validate_sample(s))
        key = (s.measurement, tuple(sorted(s.tags.items())), s.time_ns)
        if key in seen:
            problems.append(f"{s.measurement}{dict(s.tags)}: duplicate series in one poll")
        seen.add(key)
    return problems
