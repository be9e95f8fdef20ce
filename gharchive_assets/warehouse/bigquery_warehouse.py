"""The warehouse on BigQuery (the gcp target).

``events`` is partitioned by the day of ``created_at`` (what every model
filters on) and clustered by ``archive_hour`` (what a swap deletes by), and
refuses a query with no partition filter, so nothing reads all of history by
accident.

BigQuery cancels a transaction that mutates (updates, deletes, merges) a table
while another transaction or DML mutates it, whatever the partitions, and runs
at most 2 mutating DML statements on a table at once. So nothing here mutates
a table on the common path:

- the ledger is append-only: ``loaded_hours_log`` gets a row per load, and the
  view ``loaded_hours`` shows each hour's latest;
- a run's new hours (no ledger row, no rows in ``events``) go in together: one
  load job of their clean files into a staging table, then one copy job that
  appends it to ``events`` (load and copy jobs are free and atomic), then one
  INSERT of their ledger rows. Rows copied without their ledger row (a killed
  process) or twice (two runs at once) are found by the next load of the hour,
  which replaces them;
- any other hour (a re-load, or the batch could not be used) is loaded by a load
  job into its own staging table (expiring within a day, should the process
  die), then swapped in by one transaction with its ledger row: an INSERT when
  ``events`` has no rows of it, else a MERGE bounded by the days its old and new
  rows fall on that deletes the rows of that ``archive_hour`` not staged and
  inserts the staged ones. Only that MERGE mutates, and a conflict is tried again.

Query parameters, or literals rendered from typed values where a script takes
none; no SQL is built from partition keys.
"""

import random
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import dagster as dg
from dagster_gcp import BigQueryResource
from google.api_core import exceptions as google_errors
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.contract.events_schema import COLUMNS
from gharchive_assets.core.concurrency import WAREHOUSE_SWAPS
from gharchive_assets.warehouse.interface import (
    LEDGER_COVERAGE_COLUMNS,
    LEDGER_COVERAGE_NAMES,
    LEDGER_SPAN_COLUMNS,
    LEDGER_SPAN_NAMES,
    STAR_HISTORY_COLUMNS,
    STAR_HISTORY_NAMES,
    STAR_HISTORY_TABLE,
    HourFile,
    HourLoad,
    coverage_values,
    days_covering,
    touched_span,
)
from gharchive_assets.warehouse.resource import ARCHIVE_FIRST_DAY, WarehouseResource

# BigQuery allows 10,000 partitions per table: days, not hours, hold 16+ years
# (2011 to 2026 is about 5,800 days).
PARTITION_FIELD = "created_at"
CLUSTER_FIELDS = ["archive_hour", "type", "repo_name"]
# A staging table outlives a killed process by at most this.
STAGING_LIFETIME = timedelta(days=1)
# The ledger: an append-only table, and the view of each hour's latest row.
LEDGER_LOG = "loaded_hours_log"
LEDGER_VIEW = "loaded_hours"
# Serialization conflicts (two re-loads of one table at once): tries and first wait.
CONFLICT_TRIES = 6
CONFLICT_BACKOFF_SECONDS = 2.0

COLUMN_LIST = ", ".join(column.name for column in COLUMNS)
LEDGER_NAMES = (
    f"archive_hour, rows, source_sha256, loaded_at, {LEDGER_SPAN_NAMES}, {LEDGER_COVERAGE_NAMES}"
)
STAGED_COLUMNS = ", ".join(f"staged.{column.name}" for column in COLUMNS)


class WarehouseAccessError(RuntimeError):
    """The dataset is missing or the pipeline's identity may not use it."""


class WarehouseConflictError(RuntimeError):
    """Other runs kept writing the same day's partition: the swap gave up."""


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
        *LEDGER_COVERAGE_COLUMNS,
    )
]


STAR_HISTORY_SCHEMA = [
    bigquery.SchemaField(name, kind, mode=mode, description=description)
    for name, kind, mode, description in STAR_HISTORY_COLUMNS
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

    @property
    def star_history_table(self) -> str:
        return f"`{self.dataset}.{STAR_HISTORY_TABLE}`"

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
        # The ledger, appended to (an INSERT conflicts with nothing), by day of
        # its hour, and the view of each hour's latest load that readers use.
        view_id = self._table_id(client, LEDGER_VIEW)
        try:
            made = client.get_table(view_id)
        except google_errors.NotFound:
            made = None
        if made is not None and made.table_type != "VIEW":
            raise EventsTableLayoutError(self._ledger_advice(client))
        log = bigquery.Table(self._table_id(client, LEDGER_LOG), LOADED_HOURS_SCHEMA)
        log.time_partitioning = bigquery.TimePartitioning(
            type_=bigquery.TimePartitioningType.DAY, field="archive_hour"
        )
        _create_or_widen(client, log, f"`{self.dataset}.{LEDGER_LOG}`")
        if made is None:
            client.query(
                f"CREATE VIEW IF NOT EXISTS `{view_id}` AS SELECT * FROM "
                f"`{self._table_id(client, LEDGER_LOG)}` WHERE TRUE "
                "QUALIFY ROW_NUMBER() OVER (PARTITION BY archive_hour ORDER BY loaded_at DESC) = 1"
            ).result()
        # Small (top repositories x their days): clustered by repository, which
        # is how the dashboard and repo_stars_daily read it.
        stars = bigquery.Table(self._table_id(client, STAR_HISTORY_TABLE), STAR_HISTORY_SCHEMA)
        stars.clustering_fields = ["repo_id"]
        _create_or_widen(client, stars, self.star_history_table)

    def replace_hour(
        self,
        hour: ArchiveHour,
        clean_file_uri: str,
        source_sha256: str,
        coverage: Mapping | None = None,
    ) -> HourLoad:
        start = hour.start
        with self.bigquery.get_client() as client:
            self._ensure_tables(client)
            staging = self._create_staging(client, start)
            try:
                load_clean_files(client, clean_file_uri, staging)
                span = "SELECT COUNT(*), MIN(created_at), MAX(created_at) FROM "
                rows, *after = self._row(client, f"{span}`{staging}`")

                def swap() -> int:
                    # Planned again after a conflict: another run may have
                    # loaded the hour meanwhile, and its rows must then go.
                    replaced, *before = self._ledger_row(client, start)
                    if not replaced and after[0] is not None:
                        # Rows a batch copied without their ledger row.
                        replaced, *before = self._strays(client, [start], *after).get(
                            start, [0, None, None]
                        )
                    spans = [*after, *touched_span(before, after)]
                    script = self._swap_script(
                        client, staging, start, rows, source_sha256, spans,
                        coverage_values(coverage), replaces=replaced > 0,
                    )  # fmt: skip
                    client.query(script).result()
                    return replaced

                replaced = retry_conflicts(swap, f"hour {hour}")
            finally:
                client.delete_table(staging, not_found_ok=True)
        return HourLoad(hour, rows, replaced)

    def load_new_hours(self, hours: list[HourFile]) -> dict[str, HourLoad]:
        """The hours of ``hours`` that are new to the warehouse, loaded together:
        one load job into a staging table, one copy job appending it to
        ``events`` and one INSERT of their ledger rows. Nothing here mutates a
        table, so runs at once never cancel each other, and load and copy jobs
        are not billed. Returns the hours it loaded, by partition key; the
        others (already loaded, or all of them when fewer than two are new) are
        left to ``replace_hour``."""
        starts = {hour.hour.start: hour for hour in hours}
        with self.bigquery.get_client() as client:
            self._ensure_tables(client)
            loaded = self._loaded(client, list(starts))
            new = [hour for start, hour in starts.items() if start not in loaded]
            if len(new) < 2:
                return {}
            staging = self._table_id(client, f"_staging_batch_{uuid.uuid4().hex[:12]}")
            client.create_table(staging_table(staging))
            try:
                load_clean_files(client, [hour.uri for hour in new], staging)
                staged = self._spans(client, f"`{staging}`", [h.hour.start for h in new])
                first = min(span[1] for span in staged.values() if span[1] is not None)
                last = max(span[2] for span in staged.values() if span[2] is not None)
                if self._strays(client, list(staged), first, last):
                    return {}  # rows of them already in: replace_hour replaces them
                client.copy_table(
                    staging,
                    self._table_id(client, "events"),
                    job_config=bigquery.CopyJobConfig(
                        write_disposition=bigquery.WriteDisposition.WRITE_APPEND
                    ),
                ).result()
                present = self._strays(client, list(staged), first, last)
                # An hour with more rows than staged was copied by another run
                # too: no ledger row, so replace_hour replaces them.
                kept = {s: span for s, span in staged.items() if present.get(s, [0])[0] == span[0]}
                rows = [
                    self._ledger_values(
                        start, span[0], _digest(starts[start].sha256),
                        [_timestamp(span[1]), _timestamp(span[2]), _timestamp(span[1]),
                         _timestamp(span[2]), *_coverage_literals(
                             coverage_values(starts[start].coverage))],
                    )
                    for start, span in kept.items()
                ]  # fmt: skip
                if rows:
                    client.query(
                        f"INSERT INTO `{self._table_id(client, LEDGER_LOG)}` ({LEDGER_NAMES}) "
                        f"VALUES {', '.join(rows)}"
                    ).result()
            finally:
                client.delete_table(staging, not_found_ok=True)
        return {
            starts[s].hour.key: HourLoad(starts[s].hour, span[0], 0) for s, span in kept.items()
        }

    def _loaded(self, client, starts: list[datetime]) -> set[datetime]:
        """The hours of ``starts`` the ledger has a row for."""
        found = client.query(
            f"SELECT archive_hour FROM `{self._table_id(client, LEDGER_VIEW)}` "
            "WHERE archive_hour IN UNNEST(@hours)",
            job_config=bigquery.QueryJobConfig(
                query_parameters=[bigquery.ArrayQueryParameter("hours", "TIMESTAMP", starts)]
            ),
        ).result()
        return {_utc(row.values()[0]) for row in found}

    def _spans(self, client, table: str, starts: list[datetime], where: str = "") -> dict:
        """archive_hour -> [rows, first, last created_at] of ``table``'s rows of ``starts``."""
        found = client.query(
            "SELECT archive_hour, COUNT(*), MIN(created_at), MAX(created_at) "
            f"FROM {table} WHERE archive_hour IN UNNEST(@hours) {where} GROUP BY archive_hour",
            job_config=bigquery.QueryJobConfig(
                query_parameters=[bigquery.ArrayQueryParameter("hours", "TIMESTAMP", starts)]
            ),
        ).result()
        return {_utc(hour): [rows, first, last] for hour, rows, first, last in map(tuple, found)}

    def _strays(self, client, starts: list[datetime], first, last) -> dict:
        """Rows of ``starts`` already in ``events`` on the days from ``first`` to
        ``last``: [rows, first, last created_at] by hour (clustered by
        archive_hour, so this reads little)."""
        first_day, after_last_day = days_covering(_utc(first), _utc(last))
        return self._spans(
            client,
            f"`{self._table_id(client, 'events')}`",
            starts,
            f"AND created_at >= {_timestamp(first_day)} AND created_at < {_timestamp(after_last_day)}",
        )

    def replace_star_history(self, repo_ids: list[int], rows_file_uri: str) -> int:
        with self.bigquery.get_client() as client:
            self._ensure_tables(client)
            staging = self._table_id(client, f"_staging_stars_{uuid.uuid4().hex[:12]}")
            client.create_table(staging_table(staging, STAR_HISTORY_SCHEMA))
            try:
                client.load_table_from_uri(
                    rows_file_uri,
                    staging,
                    job_config=bigquery.LoadJobConfig(
                        source_format=bigquery.SourceFormat.PARQUET,
                        schema=STAR_HISTORY_SCHEMA,
                        write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
                    ),
                ).result()
                (rows,) = self._row(client, f"SELECT COUNT(*) FROM `{staging}`")
                ids = ", ".join(str(int(repo_id)) for repo_id in repo_ids) or "NULL"
                target = self._table_id(client, STAR_HISTORY_TABLE)
                script = f"""BEGIN TRANSACTION;
                    DELETE FROM `{target}` WHERE repo_id IN ({ids});
                    INSERT INTO `{target}` ({STAR_HISTORY_NAMES})
                    SELECT {STAR_HISTORY_NAMES} FROM `{staging}`;
                    COMMIT TRANSACTION;"""
                retry_conflicts(lambda: client.query(script).result(), "star history")
            finally:
                client.delete_table(staging, not_found_ok=True)
        return rows

    def _create_staging(self, client, hour: datetime) -> str:
        table_id = self._table_id(client, f"_staging_events_{hour:%Y%m%d%H}_{uuid.uuid4().hex[:8]}")
        client.create_table(staging_table(table_id))
        return table_id

    def _repartition_advice(self, client) -> str:
        return _rewrite_advice(
            self._table_id(client, "events"),
            "partitioned by archive_hour: every model would read all of history",
            "a full scan of the table",
            "by_created_at",
            f"PARTITION BY DATE(created_at) CLUSTER BY {', '.join(CLUSTER_FIELDS)} "
            "OPTIONS (require_partition_filter = TRUE)",
        )

    def _ledger_advice(self, client) -> str:
        table_id = self._table_id(client, LEDGER_VIEW)
        log = self._table_id(client, LEDGER_LOG)
        return (
            f"{table_id} is a table made by an older release, updated in place: "
            "concurrent loads would cancel each other on it. Move it once (a few MB), "
            "with the pipeline stopped; the next load makes the view in its place:\n"
            f"  CREATE TABLE `{log}` PARTITION BY DATE(archive_hour) AS SELECT * FROM `{table_id}`;\n"
            f"  DROP TABLE `{table_id}`;"
        )

    def _ledger_row(self, client, hour: datetime) -> list:
        """(rows, first, last created_at) of the hour now in ``events``, from the
        ledger, written with the rows: the swap reads only their days. An hour
        the ledger lacks has no rows, unless a batch's copy went in without its
        ledger row (``_strays``); one recorded before it kept spans may have rows
        on any day."""
        found = list(
            client.query(
                f"SELECT rows, first_created_at, last_created_at FROM "
                f"`{self._table_id(client, LEDGER_VIEW)}` WHERE archive_hour = @archive_hour",
                job_config=bigquery.QueryJobConfig(
                    query_parameters=[
                        bigquery.ScalarQueryParameter("archive_hour", "TIMESTAMP", hour)
                    ]
                ),
            ).result()
        )
        if not found:
            return [0, None, None]
        rows, first, last = found[0].values()
        if first is None and rows:
            return [rows, ARCHIVE_FIRST_DAY.replace(tzinfo=UTC), datetime.now(UTC)]
        return [rows, first, last]

    def _swap_script(
        self,
        client,
        staging: str,
        hour: datetime,
        rows: int,
        sha256: str,
        spans: list,
        measured: list,
        replaces: bool = True,
    ) -> str:
        """The hour's rows and its ledger row, in one transaction. An hour the
        ledger has no rows for is inserted: BigQuery bills the staged rows
        only. One that ``replaces`` rows already loaded is merged: its old rows
        (within the days its old and new rows fall on) are deleted and the
        staged ones inserted, which bills those days' partitions whole. The
        ledger row is replaced within its day's partition. Values are literals
        rendered from typed Python values (BigQuery's emulator takes no
        parameters in a script); none comes from a string a user gave."""
        first, last = _utc(spans[2]), _utc(spans[3])
        if first is None:  # neither old nor new rows: any one day will do
            first = last = datetime(1970, 1, 1, tzinfo=UTC)
        first_day, after_last_day = days_covering(first, last)
        digest = _digest(sha256)
        values = [_timestamp(moment) for moment in spans] + _coverage_literals(measured)
        events = self._table_id(client, "events")
        if replaces:
            load = f"""MERGE `{events}` AS target
            USING `{staging}` AS staged
            ON FALSE
            WHEN NOT MATCHED BY SOURCE AND target.archive_hour = {_timestamp(hour)}
              AND target.created_at >= {_timestamp(first_day)}
              AND target.created_at < {_timestamp(after_last_day)}
              THEN DELETE
            WHEN NOT MATCHED THEN INSERT ({COLUMN_LIST}) VALUES ({STAGED_COLUMNS});"""
        else:
            load = f"""INSERT INTO `{events}` ({COLUMN_LIST})
            SELECT {COLUMN_LIST} FROM `{staging}`;"""
        ledger_row = self._ledger_values(hour, rows, digest, values)
        return f"""BEGIN TRANSACTION;
            {load}
            INSERT INTO `{self._table_id(client, LEDGER_LOG)}` ({LEDGER_NAMES})
            VALUES {ledger_row};
            COMMIT TRANSACTION;"""

    @staticmethod
    def _ledger_values(hour: datetime, rows: int, digest: str, values: list[str]) -> str:
        """One ledger row's VALUES tuple, in ``LEDGER_NAMES`` order."""
        return (
            f"({_timestamp(hour)}, {int(rows)}, {digest}, CURRENT_TIMESTAMP(), {', '.join(values)})"
        )

    @staticmethod
    def _row(client, sql: str) -> tuple:
        return tuple(next(iter(client.query(sql).result())).values())

    def query(self, sql: str, parameters: list | None = None) -> list[tuple]:
        """Run ``sql`` with positional ``?`` parameters (the same SQL as on DuckDB)."""
        with self.bigquery.get_client() as client:
            config = bigquery.QueryJobConfig(
                query_parameters=[_positional(value) for value in parameters or []]
            )
            return [tuple(row.values()) for row in client.query(sql, job_config=config).result()]


def load_clean_files(client: bigquery.Client, uris: str | list[str], table_id: str) -> None:
    """One load job of clean parquet files into a staging table (free, atomic)."""
    client.load_table_from_uri(
        uris,
        table_id,
        job_config=bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.PARQUET,
            schema=bigquery_schema(),
            write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
            parquet_options=_list_inference(),
        ),
    ).result()


def staging_table(table_id: str, schema: list | None = None) -> bigquery.Table:
    """A load's staging table (of ``events`` unless ``schema`` says), gone within
    a day even if the process is killed before it removes the table itself."""
    table = bigquery.Table(table_id, schema=schema or bigquery_schema())
    table.expires = datetime.now(UTC) + STAGING_LIFETIME
    return table


def _rewrite_advice(table_id: str, why: str, cost: str, suffix: str, layout: str) -> str:
    """The one-off rewrite of a table an older release made with another layout."""
    name = table_id.rsplit(".", 1)[-1]
    return (
        f"{table_id} was made by an older release, {why}. Rewrite it once ({cost}), "
        "with the pipeline stopped:\n"
        f"  CREATE TABLE `{table_id}_{suffix}` {layout} AS SELECT * FROM `{table_id}`;\n"
        f"  DROP TABLE `{table_id}`;\n"
        f"  ALTER TABLE `{table_id}_{suffix}` RENAME TO {name};"
    )


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


def _timestamp(moment: datetime | None) -> str:
    """A TIMESTAMP literal of a datetime (naive ones hold UTC), or NULL."""
    moment = _utc(moment)
    if moment is None:
        return "CAST(NULL AS TIMESTAMP)"
    return f"TIMESTAMP '{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}+00'"


def _literal(value, kind: str) -> str:
    """An INT64, FLOAT64 or STRING literal of a value, or a typed NULL."""
    if value is None:
        return f"CAST(NULL AS {kind})"
    if kind == "STRING":
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(int(value)) if kind == "INT64" else repr(float(value))


def _digest(sha256: str | None) -> str:
    """A sha256 literal, or NULL for anything that is not one."""
    return f"'{sha256}'" if re.fullmatch(r"[0-9a-f]{64}", sha256 or "") else "NULL"


def _coverage_literals(measured: list) -> list[str]:
    return [
        _literal(value, kind)
        for value, (_, kind, *_) in zip(measured, LEDGER_COVERAGE_COLUMNS, strict=True)
    ]


def is_serialization_conflict(error: Exception) -> bool:
    """BigQuery's answer to two transactions writing the same partitions."""
    text = str(error).lower()
    return isinstance(error, google_errors.GoogleAPICallError) and (
        "could not serialize access" in text or "concurrent update" in text
    )


def retry_conflicts(action, what: str, tries: int = CONFLICT_TRIES):
    """Run ``action``, again after a serialization conflict (another run's swap
    into the same day committed first), waiting longer each time, with jitter
    so the losers do not collide again."""
    for attempt in range(1, tries + 1):
        try:
            return action()
        except google_errors.GoogleAPICallError as error:
            if not is_serialization_conflict(error):
                raise
            if attempt == tries:
                raise WarehouseConflictError(
                    f"{what}: BigQuery refused the swap {tries} times because other runs "
                    "wrote the same day at once; materialise the hour again (fewer runs at "
                    f"once, or a lower limit on the pool {WAREHOUSE_SWAPS!r}, avoid this). ({error})"
                ) from error
            time.sleep(CONFLICT_BACKOFF_SECONDS * 2 ** (attempt - 1) * (0.5 + random.random()))
    raise ValueError(f"tries must be at least 1, not {tries}")


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
    if isinstance(value, float):
        return bigquery.ScalarQueryParameter(None, "FLOAT64", value)
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
