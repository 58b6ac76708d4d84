"""What a notifier module's `build(settings, ctx)` needs beyond its settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from lanpulse.config.secrets import SecretFileError, read_secret_file
from lanpulse.core.errors import ConfigError
from lanpulse.core.model import Secret, now_ns


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What builders need beyond their settings."""

    base_dir: Path
    receiver: str
    clock: Callable[[], int] = now_ns

    def path(self, value: str) -> str:
        """A configured path, relative ones from the configuration's folder."""
        path = Path(value)
        return str(path if path.is_absolute() else self.base_dir / path)

    def secret(self, inline: SecretStr | None, file: str | None, key: str) -> Secret | None:
        """The secret given inline or in a file (read now: a missing file is an error now)."""
        if inline is not None:
            return Secret(inline.get_secret_value())
        if file is None:
            return None
        try:
            return read_secret_file(file, self.base_dir)
        except SecretFileError as exc:
            raise ConfigError(str(exc), key=f"{self.receiver}.{key}_file") from None
