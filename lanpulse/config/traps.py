"""The `traps:` section: where the trap receiver listens and whom it believes.

    traps:
      listen: "0.0.0.0:162"
      communities: ["${TRAP_COMMUNITY}", {community_file: /run/secrets/trap2}]
      v3_users:
        - {user: nms, auth_protocol: sha256, auth_password: "${TRAP_AUTH}",
           priv_protocol: aes, priv_password_file: /run/secrets/trap_priv,
           engine_id: "80001f8880c71100000000000000"}
      engine_id: "80000000050102030405060708"    # lanpulse's own, for v3 informs (optional)
      repoll_min_interval: 10s

Communities and v3 passwords follow the secret rules of the whole file (`${ENV}`, `*_file`).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from lanpulse.config.durations import Duration
from lanpulse.config.paths import ConfigPath
from lanpulse.config.secrets import SecretFile, SecretValue, pick_secret
from lanpulse.config.snmp_protocols import UsmFields, usm_problems
from lanpulse.core.model import Secret, SnmpCredentials

_ENGINE_ID = re.compile(r"^(?:0x)?([0-9a-fA-F]{10,64})$")


def parse_listen(value: str) -> tuple[str, int]:
    """`host:port` (`[v6]:port` too) -> (host, port); ValueError saying what was expected."""
    host, sep, port_text = value.rpartition(":")
    host = host.strip("[]")
    expected = 'expected "ADDRESS:PORT" such as "0.0.0.0:162"'
    if not sep or not host or not port_text.isdigit():
        raise ValueError(f"bad listen address {value!r}, {expected}")
    port = int(port_text)
    if not 0 < port < 65536:
        raise ValueError(f"port {port} out of range, {expected}")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{host!r} is not an IP address, {expected}") from None
    return host, port


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class Community(_Strict):
    """One entry of `communities`: the community itself (usually "${NAME}"), or a mapping
    `{community_file: PATH}`."""

    community: SecretValue | None = None
    community_file: SecretFile | None = None

    @model_validator(mode="before")
    @classmethod
    def _inline(cls, value: object) -> object:
        return {"community": value} if isinstance(value, str | int | Secret) else value

    @model_validator(mode="after")
    def _one(self) -> Community:
        if pick_secret(self.community, self.community_file, "community") is None:
            raise ValueError("expected community or community_file")
        return self

    @property
    def secret(self) -> Secret:
        """The community, wherever it was written."""
        found = pick_secret(self.community, self.community_file, "community")
        assert found is not None
        return found


def _engine_id(value: str | None) -> str | None:
    """An snmpEngineID in hex (RFC 3411: 5 to 32 bytes), normalised to lower case."""
    if value is None:
        return None
    match = _ENGINE_ID.fullmatch(value.strip())
    if not match or len(match.group(1)) % 2:
        raise ValueError(
            f"bad engine_id {value!r}, expected 5 to 32 bytes in hex (e.g. 80001f8880...)"
        )
    return match.group(1).lower()


EngineId = Annotated[str, AfterValidator(_engine_id)]


class TrapUser(_Strict, UsmFields):
    """One SNMPv3 user whose traps and informs are accepted (protocols: `UsmFields`)."""

    user: Annotated[str, Field(min_length=1, max_length=32)]
    # The sender's snmpEngineID, to which its trap keys are localised (RFC 3414 2.5: the
    # sender of a trap is authoritative); informs use the receiver's own engine ID.
    engine_id: EngineId | None = None

    def credentials(self) -> SnmpCredentials:
        """The user as the SNMP layer holds credentials (secrets picked from `*_file`)."""
        return SnmpCredentials(
            version="3",
            user=self.user,
            auth_protocol=self.auth_protocol,
            auth_password=pick_secret(self.auth_password, self.auth_password_file, "auth"),
            priv_protocol=self.priv_protocol,
            priv_password=pick_secret(self.priv_password, self.priv_password_file, "priv"),
        )

    @model_validator(mode="after")
    def _levels(self) -> TrapUser:
        creds = self.credentials()
        found = usm_problems(
            creds.auth_protocol, creds.auth_password, creds.priv_protocol, creds.priv_password
        )
        if found:
            raise ValueError(found[0])
        if self.priv_protocol == "3des":  # the pysnmp fallback is for polling only
            raise ValueError(
                "priv_protocol 3des is not supported for traps and informs, expected des, "
                "aes, aes192, aes256, aes192c or aes256c"
            )
        return self


class TrapsSettings(_Strict):
    """The trap and inform receiver (absent: no receiver)."""

    listen: str = "0.0.0.0:162"
    communities: list[Community] = Field(default_factory=list)
    v3_users: list[TrapUser] = Field(default_factory=list)
    # A trap from a polled device triggers an extra poll of it, at most this often.
    # lanpulse's own snmpEngineID (hex) for v3 informs; default: generated once and kept
    # in the spool directory with the engine's boots.
    engine_id: EngineId | None = None
    repoll_min_interval: Duration = 10.0
    # Extra trap map directories (relative to the configuration's folder).
    maps_dirs: list[ConfigPath] = Field(default_factory=list)

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        parse_listen(value)
        return value

    @model_validator(mode="after")
    def _someone(self) -> TrapsSettings:
        if not self.communities and not self.v3_users:
            raise ValueError("no communities and no v3_users, expected at least one of them")
        names = [u.user for u in self.v3_users]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"v3 user {name!r} is listed twice, expected each user once")
        return self

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) to bind."""
        return parse_listen(self.listen)

    def community_secrets(self) -> list[Secret]:
        """Every accepted community."""
        return [c.secret for c in self.communities]
