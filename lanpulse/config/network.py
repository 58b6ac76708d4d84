"""Network values in the configuration: HTTP URLs, listen addresses, ports, device addresses.

One rule each, shared by every section, so `lanpulse check` refuses what the daemon could
not use (a port beyond 65535, `10.0.0.300`, `not a url`) in the same one-line form.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

Port = Annotated[int, Field(ge=1, le=65535)]

_HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_-]{1,63})*\.?")
_DOTTED_NUMBERS = re.compile(r"[0-9.]+")


def check_host(value: str) -> str:
    """An IP address or a host name; `10.0.0.300` (numbers only, not an IPv4) is neither."""
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if _DOTTED_NUMBERS.fullmatch(value):
        raise ValueError(f"bad IPv4 address {value!r}, expected four numbers 0-255 (a.b.c.d)")
    if not _HOSTNAME.fullmatch(value):
        raise ValueError(f"bad address {value!r}, expected an IP address or a host name")
    return value


def check_http_url(value: str) -> str:
    """`http(s)://host[:port][/path]` with a valid host and port; credentials stay hidden."""
    shown = "a value with '@'" if "@" in value else repr(value)  # may hold a password
    expected = "expected http://host:port or https://host:port"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        reason = "port out of range 1-65535" if "range" in str(exc) else "not a URL"
        raise ValueError(f"bad URL {shown} ({reason}), {expected}") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in value)
    ):
        raise ValueError(f"bad URL {shown}, {expected}")
    if port == 0:
        raise ValueError(f"bad URL {shown} (port 0), {expected}")
    host = parts.hostname
    if not host.startswith("[") and ":" not in host:
        try:
            check_host(host)
        except ValueError as exc:
            raise ValueError(f"bad URL {shown}: {exc}") from None
    return value


def check_listen(value: str) -> str:
    """`host:port` (or `[v6]:port`) to listen on; port 0 takes a free one."""
    host, sep, port = value.rpartition(":")
    expected = "expected host:port, e.g. 127.0.0.1:9108"
    if not sep or not port.isdigit():
        raise ValueError(f"bad listen address {value!r}, {expected}")
    if int(port) > 65535:
        raise ValueError(f"bad listen address {value!r}: port {port} > 65535, {expected}")
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if bare:
        try:
            check_host(bare)
        except ValueError as exc:
            raise ValueError(f"bad listen address {value!r}: {exc}") from None
    return value


Host = Annotated[str, AfterValidator(check_host)]
HttpUrl = Annotated[str, AfterValidator(check_http_url)]
ListenAddress = Annotated[str, AfterValidator(check_listen)]
