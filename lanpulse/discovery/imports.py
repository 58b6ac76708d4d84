"""Imports for estates that already have a source of truth: a plain CSV, or a NetBox export.

    parse_csv(text, file)          name,address[,group,site,labels,class,profile,credentials,parent]
    parse_netbox_json(text, file)  GET /api/dcim/devices/ (a page with `results`, or a list)
    parse_netbox_csv(text, file)   the device list exported from NetBox's UI (CSV)
    read_import(path)              chooses by content: JSON -> NetBox, CSV with a NetBox
                                   header (`Primary IPv4`, `Role`, ...) -> NetBox, else plain

Pure parsing: every bad row is one `ConfigError` naming the file, line and column; secrets
are never read (a `community` or `password` column is refused, not copied).
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lanpulse.config.inventory import AgentFacts
from lanpulse.core.errors import ConfigError, ConfigErrors
from lanpulse.core.model import DEVICE_CLASSES
from lanpulse.discovery.records import FoundDevice

PLAIN_COLUMNS: tuple[str, ...] = (
    *("name", "address", "group", "site", "labels"),
    *("class", "profile", "credentials", "parent"),
)
SECRET_WORDS = ("community", "password", "secret", "key")
# NetBox role slugs/names -> device class; the first word found in the role wins.
ROLE_CLASSES: tuple[tuple[str, str], ...] = (
    ("printer", "printer"),
    ("mfp", "printer"),
    ("switch", "switch"),
    ("router", "switch"),
    ("storage", "storage"),
    ("nas", "storage"),
    ("san", "storage"),
    ("ups", "ups"),
    ("pdu", "ups"),
    ("server", "server"),
    ("hypervisor", "server"),
    ("desktop", "desktop"),
    ("workstation", "desktop"),
    ("pc", "desktop"),
)
# NetBox statuses of devices that are not (or no longer) on the network.
SKIPPED_STATUSES = frozenset({"offline", "decommissioning", "inventory"})


def read_import(path: str | Path) -> list[FoundDevice]:
    """The devices of an import file, its format recognised from its content."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigErrors([ConfigError("the file does not exist", file=name)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ConfigErrors([ConfigError(f"cannot read the file ({reason})", file=name)]) from None
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return parse_netbox_json(text, name)
    header = next(csv.reader(io.StringIO(stripped)), [])
    if {_norm(h) for h in header} & {"primary ipv4", "primary ip", "role", "device role"}:
        return parse_netbox_csv(text, name)
    return parse_csv(text, name)


def parse_csv(text: str, file: str) -> list[FoundDevice]:
    """name,address[,group,site,labels,class,profile,credentials,parent]; labels `k=v;k=v`."""
    rows, errors = _rows(text, file)
    found: list[FoundDevice] = []
    for line, row in rows:
        unknown = sorted(k for k in row if k not in PLAIN_COLUMNS)
        if unknown:
            errors.append(_unknown_column(unknown[0], file))
            break
        try:
            found.append(_plain_row(row, line, file))
        except ConfigError as exc:
            errors.append(exc)
    if errors:
        raise ConfigErrors(errors)
    return found


def _plain_row(row: Mapping[str, str], line: int, file: str) -> FoundDevice:
    name = _required(row, "name", line, file)
    address = _address(_required(row, "address", line, file), line, file, "address")
    device_class = row.get("class") or None
    if device_class is not None and device_class not in DEVICE_CLASSES:
        raise ConfigError(
            f"unknown class {device_class!r}, expected one of: {', '.join(DEVICE_CLASSES)}",
            file=file,
            line=line,
            key="class",
        )
    return FoundDevice(
        name=name,
        address=address,
        source="import",
        device_class=device_class,
        profile=row.get("profile") or None,
        credentials=row.get("credentials") or None,
        site=row.get("site") or None,
        group=row.get("group") or None,
        parent=row.get("parent") or None,
        labels=_labels(row.get("labels") or "", line, file),
    )


def parse_netbox_json(text: str, file: str) -> list[FoundDevice]:
    """NetBox's `/api/dcim/devices/` answer (one page, or its `results` saved as a list)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigErrors(
            [ConfigError(f"invalid JSON: {exc.msg}", file=file, line=exc.lineno)]
        ) from None
    items = data.get("results") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ConfigErrors(
            [ConfigError("expected NetBox's device list (an object with `results`)", file=file)]
        )
    found = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ConfigErrors(
                [ConfigError("expected a device object", file=file, key=f"results[{index}]")]
            )
        device = _netbox_device(
            name=_text(item.get("name")),
            address=_text(
                _dig(item, "primary_ip4", "address") or _dig(item, "primary_ip", "address")
            ),
            site=_text(_dig(item, "site", "slug") or _dig(item, "site", "name")),
            role=_text(_dig(item, "role", "slug") or _dig(item, "device_role", "slug")),
            status=_text(_dig(item, "status", "value") or item.get("status")),
            serial=_text(item.get("serial")),
            tags=[_text(t.get("slug")) for t in item.get("tags") or [] if isinstance(t, dict)],
        )
        if device is not None:
            found.append(device)
    return found


def parse_netbox_csv(text: str, file: str) -> list[FoundDevice]:
    """The devices table exported from NetBox (columns matched by their titles)."""
    rows, errors = _rows(text, file)
    if errors:
        raise ConfigErrors(errors)
    found = []
    for line, row in rows:
        address = _first(row, "primary ipv4", "primary ip", "ip address", "primary ip4")
        device = _netbox_device(
            name=_first(row, "name"),
            address=address,
            site=_first(row, "site"),
            role=_first(row, "role", "device role"),
            status=_first(row, "status"),
            serial=_first(row, "serial number", "serial"),
            tags=[t.strip() for t in _first(row, "tags").split(",") if t.strip()],
            line=line,
            file=file,
        )
        if device is not None:
            found.append(device)
    return found


def _netbox_device(
    *,
    name: str,
    address: str,
    site: str,
    role: str,
    status: str,
    serial: str,
    tags: Iterable[str],
    line: int | None = None,
    file: str = "",
) -> FoundDevice | None:
    """One NetBox device; None when it has no name or primary IP, or is not on the network."""
    if not name or not address or status.lower() in SKIPPED_STATUSES:
        return None
    try:
        ip = str(ipaddress.ip_interface(address.strip()).ip)
    except ValueError:
        raise ConfigErrors(
            [ConfigError(f"bad address {address!r}, expected an IP address", file=file, line=line)]
        ) from None
    lowered = role.lower()
    device_class = next((cls for word, cls in ROLE_CLASSES if word in lowered), None)
    labels = {"netbox_role": role} if role else {}
    if tags:
        labels["netbox_tags"] = ",".join(sorted(tags))
    return FoundDevice(
        name=name,
        address=ip,
        source="netbox",
        device_class=device_class,
        site=site or None,
        labels=labels,
        agent=AgentFacts(serial=serial or None),
    )


def _rows(text: str, file: str) -> tuple[list[tuple[int, dict[str, str]]], list[ConfigError]]:
    """(line, {lower-case column: stripped value}) per data row, and header problems."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        return [], [ConfigError("the file is empty, expected a CSV header line", file=file)]
    columns = [_norm(h) for h in header]
    secret = next((c for c in columns if any(w in c for w in SECRET_WORDS)), None)
    if secret is not None:
        return [], [
            ConfigError(
                f"column {secret!r} looks like a secret; imports never copy secrets, expected "
                "a `credentials` column naming a credential set of the configuration",
                file=file,
                line=1,
            )
        ]
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        row = {c: v.strip() for c, v in zip(columns, values, strict=False) if c}
        rows.append((reader.line_num, row))
    return rows, []


def _norm(title: str) -> str:
    return title.strip().lower().replace("_", " ")


def _first(row: Mapping[str, str], *names: str) -> str:
    return next((row[n] for n in names if row.get(n)), "")


def _required(row: Mapping[str, str], column: str, line: int, file: str) -> str:
    value = row.get(column, "")
    if not value:
        raise ConfigError(f"is empty, expected a {column}", file=file, line=line, key=column)
    return value


def _address(value: str, line: int, file: str, column: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    from lanpulse.config.inventory import _HOSTNAME

    if _HOSTNAME.fullmatch(value):
        return value
    raise ConfigError(
        f"bad address {value!r}, expected an IP address or a host name",
        file=file,
        line=line,
        key=column,
    )


def _labels(text: str, line: int, file: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(
                f"bad label {part.strip()!r}, expected key=value pairs separated by ;",
                file=file,
                line=line,
                key="labels",
            )
        labels[key.strip()] = value.strip()
    return labels


def _unknown_column(column: str, file: str) -> ConfigError:
    return ConfigError(
        f"unknown column {column!r}, expected: {', '.join(PLAIN_COLUMNS)}", file=file, line=1
    )


def _dig(item: Mapping[str, Any], *keys: str) -> Any:
    node: Any = item
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
