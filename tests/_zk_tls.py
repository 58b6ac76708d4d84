"""Throwaway certificate authorities for ZooKeeper's TLS port, made with `openssl` and
`keytool` as an operator would: a CA, a server certificate for 127.0.0.1 in a PKCS#12 key
store, the CA in a PKCS#12 trust store, and a client certificate for the member."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from lanpulse.sim.zookeeper import ZooKeeperTls

PASSWORD = "throwaway-store-pass"  # protects files of a temporary test folder only


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


@dataclass(frozen=True)
class Authority:
    """A CA's files in one folder."""

    folder: Path

    @property
    def cert(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def key(self) -> Path:
        return self.folder / "ca.key"

    def issue(self, name: str, *, ip: str | None = None) -> tuple[Path, Path]:
        """A certificate (with an IP subjectAltName when `ip`) and its key, signed here."""
        key, csr, cert = (self.folder / f"{name}.{ext}" for ext in ("key", "csr", "pem"))
        _run(
            "openssl",
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(csr),
            "-subj",
            f"/CN={name}",
        )
        ext = self.folder / f"{name}.ext"
        ext.write_text(f"subjectAltName=IP:{ip}\n" if ip else "basicConstraints=CA:FALSE\n")
        _run(
            "openssl",
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(self.cert),
            "-CAkey",
            str(self.key),
            "-CAcreateserial",
            "-days",
            "1",
            "-out",
            str(cert),
            "-extfile",
            str(ext),
        )
        return cert, key


def authority(folder: Path) -> Authority:
    """A new self-signed CA in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    ca = Authority(folder)
    _run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        str(ca.key),
        "-out",
        str(ca.cert),
        "-days",
        "1",
        "-subj",
        f"/CN=lanpulse test CA {folder.name}",
    )
    return ca


def server_stores(ca: Authority) -> ZooKeeperTls:
    """ZooKeeper's key store (a certificate for 127.0.0.1) and trust store (`ca`)."""
    cert, key = ca.issue("zookeeper", ip="127.0.0.1")
    key_store, trust_store = ca.folder / "keystore.p12", ca.folder / "truststore.p12"
    _run(
        "openssl",
        "pkcs12",
        "-export",
        "-in",
        str(cert),
        "-inkey",
        str(key),
        "-name",
        "zookeeper",
        "-out",
        str(key_store),
        "-passout",
        f"pass:{PASSWORD}",
    )
    _run(
        "keytool",
        "-importcert",
        "-noprompt",
        "-alias",
        "ca",
        "-file",
        str(ca.cert),
        "-keystore",
        str(trust_store),
        "-storetype",
        "PKCS12",
        "-storepass",
        PASSWORD,
    )
    return ZooKeeperTls(key_store, trust_store, PASSWORD)
