"""The `influxdb:` and `spool:` config sections: units, validation, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from lanpulse.config.influx import InfluxSettings, SpoolSettings, parse_duration, parse_size
from lanpulse.core.errors import ConfigError
from lanpulse.timeseries.factory import build_writer
from lanpulse.timeseries.writer_v1 import InfluxV1Writer
from lanpulse.timeseries.writer_v2 import InfluxV2Writer


def test_durations_and_sizes() -> None:
    assert parse_duration("7d") == 7 * 86400
    assert parse_duration("500ms") == 0.5
    assert parse_duration(30) == 30.0
    assert parse_size("1GiB") == 1024**3
    assert parse_size("500MB") == 500_000_000
    assert parse_size(123) == 123
    with pytest.raises(ValueError, match="duration"):
        parse_duration("soon")
    with pytest.raises(ValueError, match="size"):
        parse_size("big")


def test_spool_defaults_and_units() -> None:
    spool = SpoolSettings.model_validate({"max_bytes": "2GiB", "max_age": "3d"})
    assert spool.max_bytes == 2 * 1024**3 and spool.max_age == 3 * 86400
    assert spool.fsync == "always"
    with pytest.raises(ValidationError, match="fsync"):
        SpoolSettings.model_validate({"fsync": "sometimes"})


def test_api_specific_keys_are_required() -> None:
    with pytest.raises(ValidationError, match="needs `database`"):
        InfluxSettings.model_validate({"url": "http://127.0.0.1:8086", "api": "v1"})
    with pytest.raises(ValidationError, match="needs `bucket`"):
        InfluxSettings.model_validate({"url": "http://127.0.0.1:8086"})
    with pytest.raises(ValidationError, match="only one of token"):
        InfluxSettings.model_validate(
            {"url": "http://h:1", "bucket": "b", "token": "x", "token_env": "T"}
        )


def test_secrets_from_file_and_env_never_in_repr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pw").write_text("file-pass-123\n")
    v1 = InfluxSettings.model_validate(
        {
            "url": "http://127.0.0.1:8086",
            "api": "v1",
            "database": "db",
            "username": "u",
            "password_file": str(tmp_path / "pw"),
        }
    )
    assert v1.resolved_password() == "file-pass-123"
    writer = build_writer(v1)
    assert isinstance(writer, InfluxV1Writer)
    assert "file-pass-123" not in repr(writer) + writer.describe()

    monkeypatch.setenv("MY_TOKEN", "env-token-456")
    v2 = InfluxSettings.model_validate(
        {"url": "http://h:1", "bucket": "b", "org": "o", "token_env": "MY_TOKEN"}
    )
    assert isinstance(build_writer(v2), InfluxV2Writer)
    inline = InfluxSettings.model_validate({"url": "http://h:1", "bucket": "b", "token": "tok-789"})
    assert "tok-789" not in repr(inline) + str(inline.model_dump())

    missing = InfluxSettings.model_validate(
        {"url": "http://h:1", "bucket": "b", "token_env": "NOPE"}
    )
    with pytest.raises(ConfigError, match="NOPE"):
        build_writer(missing)


def test_every_writer_kind_has_its_module_and_an_unknown_kind_is_a_config_error() -> None:
    """The registry holds exactly the kinds `api:` accepts, each built by its own module."""
    import lanpulse.timeseries.writer_v1 as v1
    import lanpulse.timeseries.writer_v2 as v2
    from lanpulse.config.influx import WRITER_KINDS
    from lanpulse.timeseries.writers import WRITERS

    assert set(WRITERS) == set(WRITER_KINDS) == {"v1", "v2"}
    assert WRITERS["v1"] is v1.build and WRITERS["v2"] is v2.build
    with pytest.raises(ValidationError, match="v1"):
        InfluxSettings.model_validate({"url": "http://h:1", "api": "v3", "bucket": "b"})
