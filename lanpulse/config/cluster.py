"""The `cluster:` section: this poller's ZooKeeper poller group (docs/scaling.md)."""

from __future__ import annotations

import socket
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lanpulse.config.durations import PositiveDuration
from lanpulse.config.inventory import ZnodeName
from lanpulse.config.paths import ConfigPath
from lanpulse.config.secrets import SecretFile, SecretValue, pick_secret
from lanpulse.core.model import Secret


class ClusterSettings(BaseModel):
    """Membership of a poller group; every member of a group reads the same inventory."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    # ZooKeeper's connect string: "host:2181,host2:2181" (optionally with a /chroot).
    zookeeper: Annotated[str, Field(min_length=1)]
    group: ZnodeName = "default"
    # This member's name, unique in the group (default: the host name).
    name: ZnodeName = Field(default_factory=socket.gethostname)
    # Root znode under which groups live.
    root: Annotated[str, Field(pattern=r"^/[^\s]*[^/\s]$")] = "/lanpulse"
    # ZooKeeper session timeout: a dead member's devices move after about this long, plus at
    # most one interval until their slot comes round (docs/scaling.md).
    session_timeout: PositiveDuration = 10.0
    # TLS to ZooKeeper (its secure client port) and digest authentication.
    tls: bool = False
    ca_file: ConfigPath | None = None
    cert_file: ConfigPath | None = None
    key_file: ConfigPath | None = None
    verify_certs: bool = True
    digest_user: Annotated[str, Field(min_length=1)] | None = None
    digest_password: SecretValue | None = None
    digest_password_file: SecretFile | None = None

    @model_validator(mode="after")
    def _check_auth(self) -> ClusterSettings:
        password = pick_secret(self.digest_password, self.digest_password_file, "digest_password")
        if (self.digest_user is None) != (password is None):
            raise ValueError("digest_user and digest_password go together, expected both or none")
        return self

    @property
    def password(self) -> Secret | None:
        """The digest password, from `digest_password` or `digest_password_file`."""
        return self.digest_password or self.digest_password_file
