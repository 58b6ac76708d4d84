"""The `web:` section: who may change state through the daemon's HTTP API, and its TLS.

The listening address itself is `daemon.http_listen` (loopback by default). Reading
(`/healthz`, `/metrics`, `GET /api/v1/...` on loopback) needs nothing; every call that
changes state (`POST`/`DELETE` under `/api/v1`) needs one of the named tokens, so the log
says who did it. Listening beyond loopback requires TLS and at least one token.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from lanpulse.config.paths import ConfigPath
from lanpulse.config.secrets import SecretFile

TokenName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")]
LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})


class ApiToken(BaseModel):
    """A named bearer token; the name (never the token) appears in the log of each change."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: TokenName
    token_file: SecretFile


class WebSettings(BaseModel):
    """Tokens and TLS of the HTTP endpoint (`daemon.http_listen`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tokens: list[ApiToken] = Field(default_factory=list)
    tls_cert_file: ConfigPath | None = None
    tls_key_file: ConfigPath | None = None
    # The address people use to reach the status page, for links in notifications
    # (e.g. https://lanpulse.example.org:9108); empty: no link.
    external_url: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> WebSettings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("set both tls_cert_file and tls_key_file, or neither")
        names = [t.name for t in self.tokens]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"tokens: name {dup[0]!r} is used twice, expected unique names")
        return self

    @property
    def tls(self) -> bool:
        """Whether the endpoint speaks HTTPS."""
        return self.tls_cert_file is not None


def parse_listen(listen: str) -> tuple[str, int]:
    """`host:port` (IPv6 as `[::1]:9108`) -> (host, port); ValueError naming what is wrong."""
    host, sep, port_text = listen.rpartition(":")
    if not sep or not port_text.isdigit():
        raise ValueError(f"expected HOST:PORT such as 127.0.0.1:9108, got {listen!r}")
    port = int(port_text)
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is out of range, expected 0-65535")
    host = host.strip("[]") or "127.0.0.1"
    return host, port


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: only this machine can connect."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(http_listen: str | None, web: WebSettings) -> None:
    """Listening beyond loopback needs TLS and a token; ValueError (one line) otherwise."""
    if http_listen is None:
        return
    host, _ = parse_listen(http_listen)
    if is_loopback(host):
        return
    missing = []
    if not web.tls:
        missing.append("web.tls_cert_file and web.tls_key_file")
    if not web.tokens:
        missing.append("at least one web.tokens entry")
    if missing:
        raise ValueError(
            f"daemon.http_listen {http_listen!r} is beyond loopback, which requires "
            + " and ".join(missing)
        )
