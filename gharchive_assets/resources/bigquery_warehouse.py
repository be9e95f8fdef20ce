"""The warehouse on BigQuery (the gcp target).

``events`` is partitioned by the day of ``created_at`` (what every model
filters on) and clustered by ``archive_hour`` (what a swap deletes by), and
refuses a query with no partition filter, so nothing reads all of history by
accident. An hour is loaded from its clean parquet in the bucket by a load job
into a staging table of its own, then swapped in by one MERGE bounded by the
days its old and new rows fall on: rows of that ``archive_hour`` not in the
staging table are deleted, the staged rows inserted, atomically. Two runs of
one hour at once leave its rows once. Query parameters throughout; no SQL is
built from partition keys.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import dagster as dg
from dagster_gcp import BigQueryResource
from google.api_core import exceptions as google_errors
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from gharchive_assets.contract.events_schema import COLUMNS
from gharchive_assets.contract.warehouse import (
    LEDGER_SPAN_COLUMNS,
    LEDGER_SPAN_NAMES,
    HourLoad,
    touched_span,
)
from gharchive_assets.resources.warehouse import ARCHIVE_FIRST_DAY, WarehouseResource

# BigQuery allows 10,000 partitions per table: days, not hours, hold 16+ years
# (2011 to 2026 is about 5,800 days).
PARTITION_FIELD = "created_at"
CLUSTER_FIELDS = ["archive_hour", "type", "repo_name"]

COLUMN_LIST = ", ".join(column.name for column in COLUMNS)
STAGED_COLUMNS = ", ".join(f"staged.{column.name}" for column in COLUMNS)


class WarehouseAccessError(RuntimeError):
    """The dataset is missing or the pipeline's identity may not use it."""


class EventsTableLayoutError(RuntimeError):
    """``events`` was made by an older release, partitioned by ``archive_hour``."""


class GharchiveBigQueryResource(BigQueryResource):
    """dagster-gcp's BigQueryResource, plus an API endpoint (an emulator in tests).

    With ``api_endpoint`` set the client talks to that endpoint anonymously;
    otherwise credentials come from Application Default Credentials.
    """

    api_endpoint: str | None = None

    @contextmanager
    def get_client(self) -> Iterator[bigquery.Client]:
        if not self.api_endpoint:
            with super().get_client() as client:
                yield client
            return
        yield bigquery.Client(
            project=self.project,
            location=self.location,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.api_endpoint),
        )


def bigquery_schema() -> list[bigquery.SchemaField]:
    fields = []
    for column in COLUMNS:
        repeated = column.bigquery.startswith("ARRAY<")
        kind = column.bigquery.removeprefix("ARRAY<").removesuffix(">")
        mode = "REPEATED" if repeated else "REQUIRED" if column.required else "NULLABLE"
        fields.append(
            bigquery.SchemaField(column.name, kind, mode=mode, description=column.description)
        )
    return fields


LOADED_HOURS_SCHEMA = [
    bigquery.SchemaField(name, kind, mode=mode, description=description)
    for name, kind, mode, description in (
        ("archive_hour", "TIMESTAMP", "REQUIRED", "The loaded hour, UTC."),
        ("rows", "INT64", "REQUIRED", "Rows loaded for the hour."),
        ("source_sha256", "STRING", "NULLABLE", "sha256 of the raw file it was cleaned from."),
        ("loaded_at", "TIMESTAMP", "REQUIRED", "When the hour was loaded."),
        *LEDGER_SPAN_COLUMNS,
    )
]


class BigQueryWarehouseResource(WarehouseResource):
    """Dataset ``GHARCHIVE_BQ_DATASET`` (created by terraform); tables created here."""

    bigquery: dg.ResourceDependency[GharchiveBigQueryResource]
    dataset: str = "gharchive"
    analytics_dataset: str = "analytics"

    def _project(self, client: bigquery.Client) -> str:
        return self.bigquery.project or client.project

    def _table_id(self, client: bigquery.Client, name: str) -> str:
        return f"{self._project(client)}.{self.dataset}.{name}"

    @property
    def events_table(self) -> str:
        return f"`{self.dataset}.events`"

    @property
    def events_without_payload_table(self) -> str:
        return self.events_table

    @property
    def loaded_hours_table(self) -> str:
        return f"`{self.dataset}.loaded_hours`"

    @property
    def analytics_schema(self) -> str:
        return self.analytics_dataset

    def dbt_vars(self) -> dict[str, str]:
        """Nothing: profiles.yml reads the datasets from the environment."""
        return {}

    def _ensure_tables(self, client: bigquery.Client) -> None:
        try:
            client.get_dataset(f"{self._project(client)}.{self.dataset}")
        except google_errors.NotFound as error:
            raise WarehouseAccessError(
                f"BigQuery dataset {self.dataset!r} does not exist in project "
                f"{self._project(client)!r}: set GHARCHIVE_BQ_DATASET (and "
                "GHARCHIVE_GCP_PROJECT) to what terraform created, or apply terraform/."
            ) from error
        except google_errors.Forbidden as error:
            raise WarehouseAccessError(
                f"the pipeline's identity may not use dataset {self.dataset!r}: grant it "
                "roles/bigquery.dataEditor on the dataset and roles/bigquery.jobUser on "
                f"the project (terraform/ does). ({error})"
            ) from error
        events = bigquery.Table(self._table_id(client, "events"), schema=bigquery_schema())
        events.description = "One row per GH Archive event per archive hour (gharchive_assets)."
        events.time_partitioning = bigquery.TimePartitioning(
            type_=bigquery.TimePartitioningType.DAY, field=PARTITION_FIELD
        )
        events.clustering_fields = CLUSTER_FIELDS
        events.require_partition_filter = True
        existing = _create_or_widen(client, events, self.events_table)
        if (
            existing.time_partitioning is None
            or existing.time_partitioning.field != PARTITION_FIELD
        ):
            raise EventsTableLayoutError(self._repartition_advice(client))
        ledger = bigquery.Table(self._table_id(client, "loaded_hours"), LOADED_HOURS_SCHEMA)
        _create_or_widen(client, ledger, self.loaded_hours_table)

    def replace_hour(
        self, archive_hour: datetime, clean_file_uri: str, source_sha256: str
    ) -> HourLoad:
        hour = archive_hour.astimezone(UTC)
        with self.bigquery.get_client() as client:
            self._ensure_tables(client)
            staging = self._table_id(
                client, f"_staging_events_{hour:%Y%m%d%H}_{uuid.uuid4().hex[:8]}"
            )
            try:
                load = client.load_table_from_uri(
                    clean_file_uri,
                    staging,
                    job_config=bigquery.LoadJobConfig(
                        source_format=bigquery.SourceFormat.PARQUET,
                        schema=bigquery_schema(),
                        write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
                        parquet_options=_list_inference(),
                    ),
                )
                load.result()
                span = "SELECT COUNT(*), MIN(created_at), MAX(created_at) FROM "
                rows, *after = self._row(client, f"{span}`{staging}`")
                before = self._loaded_span(client, hour)
                first, last = _days_covering(*touched_span(before, after))
                merge = client.query(
                    f"""MERGE `{self._table_id(client, "events")}` AS target
                    USING `{staging}` AS staged
                    ON FALSE
                    WHEN NOT MATCHED BY SOURCE AND target.archive_hour = @archive_hour
                      AND target.created_at >= @first_day AND target.created_at < @after_last_day
                      THEN DELETE
                    WHEN NOT MATCHED THEN INSERT ({COLUMN_LIST}) VALUES ({STAGED_COLUMNS})""",
                    job_config=bigquery.QueryJobConfig(
                        query_parameters=[
                            bigquery.ScalarQueryParameter("archive_hour", "TIMESTAMP", hour),
                            bigquery.ScalarQueryParameter("first_day", "TIMESTAMP", first),
                            bigquery.ScalarQueryParameter("after_last_day", "TIMESTAMP", last),
                        ]
                    ),
                )
                merge.result()
                affected = merge.num_dml_affected_rows or 0
                self._record(
                    client, hour, rows, source_sha256, [*after, *touched_span(before, after)]
                )
            finally:
                client.delete_table(staging, not_found_ok=True)
        return HourLoad(archive_hour, rows, max(affected - rows, 0))

    def _loaded_span(self, client, hour: datetime) -> list:
        """(first, last) created_at of the hour's rows now in ``events``, from the
        ledger, so the swap reads only their days. An hour the ledger lacks has
        no rows; one it recorded before it kept spans may have rows on any day."""
        found = list(
            client.query(
                f"SELECT rows, first_created_at, last_created_at FROM "
                f"`{self._table_id(client, 'loaded_hours')}` WHERE archive_hour = @archive_hour",
                job_config=bigquery.QueryJobConfig(
                    query_parameters=[
                        bigquery.ScalarQueryParameter("archive_hour", "TIMESTAMP", hour)
                    ]
                ),
            ).result()
        )
        if not found:
            return [None, None]
        rows, first, last = found[0].values()
        if first is None and rows:
            return [ARCHIVE_FIRST_DAY.replace(tzinfo=UTC), datetime.now(UTC)]
        return [first, last]

    def _repartition_advice(self, client) -> str:
        events = self._table_id(client, "events")
        return (
            f"{events} was made by an older release, partitioned by archive_hour: every "
            "model would read all of history. Rewrite it once (a full scan of the table), "
            "with the pipeline stopped:\n"
            f"  CREATE TABLE `{events}_by_created_at` PARTITION BY DATE(created_at) "
            f"CLUSTER BY {', '.join(CLUSTER_FIELDS)} OPTIONS (require_partition_filter = TRUE) "
            f"AS SELECT * FROM `{events}`;\n"
            f"  DROP TABLE `{events}`;\n"
            f"  ALTER TABLE `{events}_by_created_at` RENAME TO events;"
        )

    @staticmethod
    def _row(client, sql: str, parameters: list | None = None) -> tuple:
        config = bigquery.QueryJobConfig(query_parameters=parameters or [])
        return tuple(next(iter(client.query(sql, job_config=config).result())).values())

    def _record(self, client, hour: datetime, rows: int, source_sha256: str, spans: list) -> None:
        names = [name for name, *_ in LEDGER_SPAN_COLUMNS]
        client.query(
            f"""MERGE `{self._table_id(client, "loaded_hours")}` AS target
            USING (SELECT @archive_hour AS archive_hour, @rows AS rows,
                          @sha256 AS source_sha256, CURRENT_TIMESTAMP() AS loaded_at,
                          {", ".join(f"@{name} AS {name}" for name in names)}) AS s
            ON target.archive_hour = s.archive_hour
            WHEN MATCHED THEN UPDATE SET rows = s.rows, source_sha256 = s.source_sha256,
                                         loaded_at = s.loaded_at,
                                         {", ".join(f"{name} = s.{name}" for name in names)}
            WHEN NOT MATCHED THEN INSERT (archive_hour, rows, source_sha256, loaded_at,
                                          {LEDGER_SPAN_NAMES})
              VALUES (s.archive_hour, s.rows, s.source_sha256, s.loaded_at,
                      {", ".join(f"s.{name}" for name in names)})""",
            job_config=bigquery.QueryJobConfig(
                query_parameters=[
                    bigquery.ScalarQueryParameter("archive_hour", "TIMESTAMP", hour),
                    bigquery.ScalarQueryParameter("rows", "INT64", rows),
                    bigquery.ScalarQueryParameter("sha256", "STRING", source_sha256 or None),
                    *(
                        bigquery.ScalarQueryParameter(name, "TIMESTAMP", _utc(moment))
                        for name, moment in zip(names, spans, strict=True)
                    ),
                ]
            ),
        ).result()

    def query(self, sql: str, parameters: list | None = None) -> list[tuple]:
        """Run ``sql`` with positional ``?`` parameters (the same SQL as on DuckDB)."""
        with self.bigquery.get_client() as client:
            config = bigquery.QueryJobConfig(
                query_parameters=[_positional(value) for value in parameters or []]
            )
            return [tuple(row.values()) for row in client.query(sql, job_config=config).result()]


def _create_or_widen(client: bigquery.Client, table: bigquery.Table, name: str) -> bigquery.Table:
    """Create ``table``, or give one made by an older release the columns added
    since (nulls). DDL rather than a schema patch: bqemulator ignores patches."""
    existing = client.create_table(table, exists_ok=True)
    known = {field.name for field in existing.schema}
    for field in table.schema:
        if field.name not in known:
            client.query(
                f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {field.name} {_ddl_type(field)}"
            ).result()
    return existing


def _days_covering(first: datetime | None, last: datetime | None) -> tuple[datetime, datetime]:
    """The half-open span of whole UTC days from ``first``'s to ``last``'s."""
    first, last = _utc(first), _utc(last)
    if first is None:  # neither old nor new rows: an empty span
        first = last = datetime(1970, 1, 1, tzinfo=UTC)
    start = first.replace(hour=0, minute=0, second=0, microsecond=0)
    end = last.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return start, end


def _utc(moment: datetime | None) -> datetime | None:
    """BigQuery TIMESTAMPs from the naive UTC datetimes DuckDB and the ledger use."""
    if moment is None or moment.tzinfo:
        return moment
    return moment.replace(tzinfo=UTC)


def _positional(value) -> bigquery.ScalarQueryParameter:
    if isinstance(value, datetime):
        return bigquery.ScalarQueryParameter(None, "TIMESTAMP", _utc(value))
    if isinstance(value, date):
        return bigquery.ScalarQueryParameter(None, "DATE", value)
    if isinstance(value, bool):
        return bigquery.ScalarQueryParameter(None, "BOOL", value)
    if isinstance(value, int):
        return bigquery.ScalarQueryParameter(None, "INT64", value)
    return bigquery.ScalarQueryParameter(None, "STRING", value)


def _ddl_type(field: bigquery.SchemaField) -> str:
    kind = {"INTEGER": "INT64", "BOOLEAN": "BOOL", "FLOAT": "FLOAT64"}.get(
        field.field_type, field.field_type
    )
    return f"ARRAY<{kind}>" if field.mode == "REPEATED" else kind


def _list_inference() -> bigquery.ParquetOptions:
    """Read parquet LIST columns (issue_labels) as REPEATED fields."""
    options = bigquery.ParquetOptions()
    options.enable_list_inference = True
    return options
