"""The CLI side of the daemon's `/api/v1`: where it listens, which token, one JSON call.

`-c FILE` gives the address (`daemon.http_listen`), the scheme (`web.tls.cert_file`, which
the client also trusts, so a self-signed certificate works) and the tokens (`--token NAME`,
default the first of `web.tokens`). `--url` overrides the address.
"""

from __future__ import annotations

import argparse
import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from lanpulse.cli.check_cmd import add_config_argument
from lanpulse.config.web import parse_listen
from lanpulse.core.errors import ConfigError, LanpulseError


class ApiError(LanpulseError):
    """The daemon refused a call, or cannot be reached (one line)."""


def add_api_arguments(p: argparse.ArgumentParser) -> None:
    """`-c`, `--token`, `--url`."""
    add_config_argument(p)
    p.add_argument("--token", help="name of the web.tokens entry to use (default: the first)")
    p.add_argument("--url", help="daemon address (default: from daemon.http_listen)")


@dataclass(frozen=True, slots=True)
class ApiClient:
    """Calls to one running daemon."""

    base: str
    token: str | None
    ssl_context: ssl.SSLContext | None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ApiClient:
        """Address, TLS and token from the configuration (and `--token`, `--url`)."""
        from lanpulse.config.loader import load_config

        loaded = load_config(args.config)
        settings = loaded.settings
        web = settings.web
        tokens = {t.name: t.token_file.reveal() for t in web.tokens}
        if args.token is not None and args.token not in tokens:
            raise ConfigError(
                f"--token {args.token!r} is not one of web.tokens: {sorted(tokens) or 'none'}",
                file=args.config,
            )
        name = args.token or next(iter(tokens), None)
        context = None
        if web.tls is not None:
            context = ssl.create_default_context(cafile=str(loaded.base_dir / web.tls.cert_file))
        base = args.url
        if base is None:
            listen = settings.daemon.http_listen
            if listen is None:
                raise ConfigError(
                    "daemon.http_listen is off: the daemon has no API", file=args.config
                )
            host, port = parse_listen(listen)
            host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
            host = f"[{host}]" if ":" in host else host
            base = f"{'https' if context else 'http'}://{host}:{port}"
        return cls(base.rstrip("/"), tokens.get(name) if name else None, context)

    def call(self, method: str, path: str, body: object | None = None) -> Any:
        """One JSON request; the decoded answer, or ApiError with the daemon's reason."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=15, context=self.ssl_context) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            try:
                reason = json.loads(exc.read()).get("error", exc.reason)
            except (ValueError, AttributeError):
                reason = exc.reason
            raise ApiError(f"{method} {path}: HTTP {exc.code}: {reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiError(f"cannot reach the daemon at {self.base}: {reason}") from None
