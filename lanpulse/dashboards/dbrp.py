"""InfluxDB 2.x/3.x: the database/retention-policy (DBRP) mapping InfluxQL needs.

Grafana's InfluxQL mode on InfluxDB 2.x addresses data as `database`/`retention policy`;
2.x stores it in a bucket, so a DBRP mapping must exist. lanpulse creates it with
influxdb-client's `DBRPsService` when it is missing, and leaves an existing one alone.

No InfluxDB 2.x server can run here: tests check the requests this module sends against a
small fake of the two 2.x endpoints it uses (`/api/v2/buckets`, `/api/v2/dbrps`).
"""

from __future__ import annotations

from typing import Literal

from influxdb_client import InfluxDBClient
from influxdb_client.domain.dbrp_create import DBRPCreate
from influxdb_client.rest import ApiException
from influxdb_client.service.buckets_service import BucketsService
from influxdb_client.service.dbr_ps_service import DBRPsService
from urllib3.exceptions import HTTPError as Urllib3Error

from lanpulse.config.grafana import DatasourceSettings, read_secret
from lanpulse.core.errors import LanpulseError

DbrpAction = Literal["created", "unchanged"]


class DbrpError(LanpulseError):
    """The DBRP mapping could not be checked or created; the message is one line."""


def ensure_dbrp(ds: DatasourceSettings, timeout_seconds: float = 10.0) -> DbrpAction:
    """Make sure `ds.database`/`ds.retention_policy` maps to the configured 2.x bucket."""
    v2 = ds.v2
    if v2 is None:
        raise DbrpError("datasource.v2 is not configured (needed for InfluxDB 2.x)")
    url = v2.url or ds.url
    token = read_secret(v2.token, v2.token_file, "datasource.v2.token")
    assert token is not None  # the settings model requires one of token / token_file
    where = f"InfluxDB 2.x at {url}"
    try:
        with InfluxDBClient(
            url=url, token=token.reveal(), org=v2.org, timeout=int(timeout_seconds * 1000)
        ) as client:
            buckets = BucketsService(client.api_client).get_buckets(name=v2.bucket, org=v2.org)
            if not buckets.buckets:
                raise DbrpError(f"{where}: bucket {v2.bucket!r} not found in org {v2.org!r}")
            bucket_id = buckets.buckets[0].id
            service = DBRPsService(client.api_client)
            found = service.get_dbr_ps(org=v2.org, db=ds.database, rp=ds.retention_policy)
            mappings = list(found.content or [])
            if any(m.bucket_id == bucket_id for m in mappings):
                return "unchanged"
            if mappings:
                raise DbrpError(
                    f"{where}: {ds.database}/{ds.retention_policy} already maps to bucket id "
                    f"{mappings[0].bucket_id}, not {v2.bucket!r}; fix the mapping by hand"
                )
            if not v2.create_dbrp:
                raise DbrpError(
                    f"{where}: no DBRP mapping for {ds.database}/{ds.retention_policy} and "
                    "datasource.v2.create_dbrp is false"
                )
            service.post_dbrp(
                DBRPCreate(
                    org=v2.org,
                    bucket_id=bucket_id,
                    database=ds.database,
                    retention_policy=ds.retention_policy,
                    default=True,
                )
            )
            return "created"
    except ApiException as exc:
        status = exc.status
        hint = {401: "check datasource.v2.token", 403: "the token may not manage DBRPs"}.get(
            int(status or 0), ""
        )
        raise DbrpError(
            f"{where} answered {status} {exc.reason}" + (f": {hint}" if hint else "")
        ) from None
    except (Urllib3Error, OSError) as exc:
        raise DbrpError(f"cannot reach {where}: {type(exc).__name__}") from None
