"""The one shape of a TLS server section: `tls: {cert_file, key_file}` (PEM files).

Used by `web.tls` and `agents.tls`. It is the shape Prometheus's and Alertmanager's web
configuration (`tls_server_config: {cert_file, key_file}`) and lanpulse's own `agents:`
already use, so a user of those tools writes the keys they know. Relative paths are taken
from the configuration's folder.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict

from lanpulse.config.paths import ConfigPath

log = logging.getLogger("lanpulse.config")


class TlsFiles(BaseModel):
    """Certificate (chain) and private key for HTTPS, as PEM files."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cert_file: ConfigPath
    key_file: ConfigPath


def fold_flat_tls_keys(section: str, data: Any) -> Any:
    """`tls_cert_file`/`tls_key_file` of an older config as `tls: {cert_file, key_file}`,
    with a one-line deprecation warning; ValueError when mixed with `tls:` or half given."""
    if not isinstance(data, dict) or not ({"tls_cert_file", "tls_key_file"} & data.keys()):
        return data
    data = dict(data)
    cert, key = data.pop("tls_cert_file", None), data.pop("tls_key_file", None)
    if data.get("tls") is not None:
        raise ValueError(
            "give tls: {cert_file, key_file} only, not also tls_cert_file/tls_key_file"
        )
    if cert is None or key is None:
        raise ValueError(
            "set both tls_cert_file and tls_key_file (better: tls: {cert_file, key_file})"
        )
    log.warning(
        "%s.tls_cert_file/tls_key_file are deprecated: write %s.tls: {cert_file: %s, key_file: %s}",
        section,
        section,
        cert,
        key,
    )
    data["tls"] = {"cert_file": cert, "key_file": key}
    return data
