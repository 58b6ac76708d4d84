"""Secrets in the configuration: `${ENV}` references, `*_file` keys, and a pydantic type.

Any section can hold a secret the same way:

    token: SecretValue | None = None        # inline, usually "${INFLUX_TOKEN}"
    token_file: SecretFile | None = None     # read when the configuration is loaded
    ...
    secret = pick_secret(self.token, self.token_file, "token")

Both types produce a `lanpulse.core.model.Secret`, whose repr is `Secret('***')`, so a secret
never reaches a log line, an error message or the repr of a settings object.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import PlainSerializer, PlainValidator, SecretStr, ValidationInfo

from lanpulse.core.model import Secret

# Key names whose values are secrets; `<name>_file` holds the path of a file with the secret.
SECRET_KEY_SUFFIXES: tuple[str, ...] = ("password", "secret", "token", "community", "passphrase")
FILE_SUFFIX = "_file"

_ENV_REF = re.compile(r"\$\$|\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class EnvReferenceError(ValueError):
    """A `${NAME}` reference names a variable that is not set, or is malformed."""

    def __init__(self, names: list[str], malformed: list[str]) -> None:
        self.names = names
        self.malformed = malformed
        parts = []
        if names:
            listed = ", ".join(names)
            parts.append(f"environment variable {listed} is not set, expected it to be exported")
        if malformed:
            listed = ", ".join(f"${{{m}}}" for m in malformed)
            parts.append(f"malformed reference {listed}, expected ${{NAME}} or ${{NAME:-default}}")
        super().__init__("; ".join(parts))


class SecretFileError(ValueError):
    """A secret file is missing, unreadable or empty; the message names the path only."""


def is_secret_key(key: str) -> bool:
    """True when a key's value is a secret (`community`, `auth_password`, `token`, ...)."""
    return key.lower().endswith(SECRET_KEY_SUFFIXES)


def secret_file_stem(key: str) -> str | None:
    """`auth_password` for `auth_password_file`; None when the key is no secret-file key."""
    if not key.endswith(FILE_SUFFIX):
        return None
    stem = key[: -len(FILE_SUFFIX)]
    return stem if is_secret_key(stem) else None


def interpolate_env(text: str, environ: Mapping[str, str]) -> str:
    """Replace `${NAME}` (and `${NAME:-default}`) by the environment; `$$` is a literal `$`.

    Raises EnvReferenceError naming every variable that is not set.
    """
    if "$" not in text:
        return text
    missing: list[str] = []
    malformed: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        body = match.group(1)
        if body is None:
            return "$"
        name, sep, default = body.partition(":-")
        if not _ENV_NAME.fullmatch(name):
            malformed.append(body)
            return ""
        if name in environ:
            return environ[name]
        if sep:
            return default
        missing.append(name)
        return ""

    result = _ENV_REF.sub(substitute, text)
    if missing or malformed:
        raise EnvReferenceError(missing, malformed)
    return result


def resolve_path(path: str, base_dir: Path | None) -> Path:
    """A configured path: `~` expanded, relative paths taken from the configuration's folder."""
    candidate = Path(os.path.expanduser(path))
    if not candidate.is_absolute() and base_dir is not None:
        candidate = base_dir / candidate
    return candidate


def read_secret_file(path: str, base_dir: Path | None = None) -> Secret:
    """The secret stored in a file (one trailing newline dropped), as a `Secret`.

    Raises SecretFileError naming the path and the reason, never the content.
    """
    target = resolve_path(path, base_dir)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SecretFileError(
            f"secret file {path!r} does not exist, expected a readable file"
        ) from None
    except IsADirectoryError:
        raise SecretFileError(f"secret file {path!r} is a directory, expected a file") from None
    except PermissionError:
        raise SecretFileError(
            f"secret file {path!r} is not readable (permission denied), expected a readable file"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "unreadable"
        raise SecretFileError(
            f"secret file {path!r} cannot be read ({reason}), expected a readable text file"
        ) from None
    if text.endswith("\n"):
        text = text[:-1]
    if text.endswith("\r"):
        text = text[:-1]
    if not text:
        raise SecretFileError(f"secret file {path!r} is empty, expected the secret in it")
    return Secret(text)


def _to_secret(value: Any) -> Secret:
    if isinstance(value, Secret):
        return value
    if isinstance(value, SecretStr):
        return Secret(value.get_secret_value())
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("expected a string")
    text = str(value)
    if not text:
        raise ValueError("is empty, expected a non-empty string")
    return Secret(text)


def _file_to_secret(value: Any, info: ValidationInfo) -> Secret:
    if isinstance(value, Secret):
        return value
    if not isinstance(value, str) or not value:
        raise ValueError("expected the path of a file holding the secret")
    context = info.context if isinstance(info.context, Mapping) else {}
    base_dir = context.get("base_dir")
    return read_secret_file(value, base_dir if isinstance(base_dir, Path) else None)


def _masked(_secret: Secret) -> str:
    return "***"


# An inline secret (usually "${NAME}"); validated into a Secret, dumped as "***".
SecretValue = Annotated[Secret, PlainValidator(_to_secret), PlainSerializer(_masked)]
# The path of a file holding a secret, read during validation (relative to the config's
# folder when the loader passes `context={"base_dir": ...}`), validated into a Secret.
SecretFile = Annotated[Secret, PlainValidator(_file_to_secret), PlainSerializer(_masked)]


def pick_secret(inline: Secret | None, from_file: Secret | None, name: str) -> Secret | None:
    """The one secret given as `name` or `name_file`; raises ValueError when both are set."""
    if inline is not None and from_file is not None:
        raise ValueError(f"both {name} and {name}_file are set, expected only one of them")
    return inline if inline is not None else from_file


def safe_url(url: str) -> str:
    """A URL for summaries, reprs, errors and log lines: no `user:password@`, no query
    string or fragment (`?u=...&p=...` may hold credentials). Never raises."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    host = parts.netloc.rpartition("@")[2]  # as written: an out-of-range port stays visible
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def redact(value: object, key: str = "") -> object:
    """A copy of a plain data tree: secret-keyed values as '***', URLs without credentials."""
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, key) for v in value]
    if value is not None and is_secret_key(key) and not isinstance(value, Secret):
        return "***"
    if isinstance(value, str) and "://" in value and ("@" in value or "?" in value):
        return safe_url(value)
    return value
