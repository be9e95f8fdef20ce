"""The local target's warehouse: an embedded DuckDB file.

It keeps one copy of what the lake already holds compressed: the payload,
nine tenths of an event's bytes, stays in the lake's clean parquet. The table
``events_without_payload`` holds every other column, and where in its hour's
clean file each row is (``lake_row``); ``events`` is a view that joins the
payload back from the lake, so it answers on every column as CONTRACT §5 says.
The pipeline and dbt read the table, never the view.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb

from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.contract.events_schema import COLUMNS
from gharchive_assets.lake.paths import clean_path
from gharchive_assets.warehouse import file_lock
from gharchive_assets.warehouse.interface import (
    LEDGER_COVERAGE_COLUMNS,
    LEDGER_COVERAGE_NAMES,
    LEDGER_SPAN_COLUMNS,
    LEDGER_SPAN_NAMES,
    STAR_HISTORY_COLUMNS,
    STAR_HISTORY_NAMES,
    STAR_HISTORY_TABLE,
    HourLoad,
    coverage_values,
    touched_span,
)
from gharchive_assets.warehouse.resource import WarehouseResource

# DuckDB's own lock, should a process outside the pipeline (a DuckDB shell) hold the file.
DUCKDB_LOCK_WAIT_SECONDS = 120.0
# The pipeline's lock: a dbt build of a long backfill can hold the file this long.
LOCK_WAIT_SECONDS = 3600.0


class WarehouseMissing(FileNotFoundError):
    """There is no warehouse file yet: nothing has been loaded."""


DUCKDB_TYPES = {"INT64": "BIGINT", "FLOAT64": "DOUBLE", "STRING": "VARCHAR"}
STORED_COLUMNS = tuple(c for c in COLUMNS if c.name != "payload")
CLEAN_FILES = "clean/events/date=*/hour=*/events.parquet"


def duckdb_table_ddl(schema: str, table: str = "events", columns=COLUMNS) -> str:
    listed = ",\n  ".join(
        f"{c.name} {c.duckdb}{' NOT NULL' if c.required else ''}" for c in columns
    )
    return f"CREATE TABLE IF NOT EXISTS {schema}.{table} (\n  {listed}\n)"


def _as_utc(column) -> str:
    """The clean file's column as the warehouse stores it (naive UTC)."""
    return f"timezone('UTC', {column.name})" if column.duckdb == "TIMESTAMP" else column.name


class DuckDBWarehouseResource(WarehouseResource):
    """The embedded warehouse: schema ``gharchive`` in ``GHARCHIVE_DATA_DIR/warehouse.duckdb``.

    Timestamps are stored as naive ``TIMESTAMP`` holding UTC, so a date taken
    from them never depends on a session's time zone.
    """

    path: str
    lake_root: str = ""
    """The local lake, whose clean files hold the payloads; by default ``lake``
    beside the warehouse file, as under ``GHARCHIVE_DATA_DIR``."""
    schema_name: str = "gharchive"
    lock_wait_seconds: float = LOCK_WAIT_SECONDS
    """How long to wait for another process (a run, dbt) to let go of the file."""

    @property
    def events_table(self) -> str:
        return f"{self.schema_name}.events"

    @property
    def events_without_payload_table(self) -> str:
        return f"{self.schema_name}.events_without_payload"

    @property
    def loaded_hours_table(self) -> str:
        return f"{self.schema_name}.loaded_hours"

    @property
    def star_history_table(self) -> str:
        return f"{self.schema_name}.{STAR_HISTORY_TABLE}"

    @property
    def lake(self) -> Path:
        return Path(self.lake_root) if self.lake_root else Path(self.path).parent / "lake"

    @property
    def analytics_schema(self) -> str:
        return "analytics"

    def dbt_vars(self) -> dict[str, str]:
        """dbt-duckdb opens the same file (profiles.yml reads ``duckdb_path``)."""
        return {"duckdb_path": self.path}

    @contextmanager
    def exclusive(self, purpose: str) -> Iterator[None]:
        """Hold the warehouse against every other process of the pipeline (see
        ``file_lock``): dbt runs inside this, and :meth:`connect` takes it."""
        with file_lock.exclusive(Path(self.path + ".lock"), purpose, self.lock_wait_seconds):
            yield

    @contextmanager
    def connect(self, read_only: bool = False, purpose: str = "a query"):
        """A connection, once no other process of the pipeline holds the file."""
        if read_only and not Path(self.path).exists():
            raise WarehouseMissing(f"there is no warehouse at {self.path} yet: load an hour first")
        with self.exclusive(purpose):
            connection = self._open(read_only)
            try:
                connection.execute("SET TimeZone = 'UTC'")
                yield connection
            finally:
                connection.close()

    def _open(self, read_only: bool):
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + DUCKDB_LOCK_WAIT_SECONDS
        delay = 0.1
        while True:
            try:
                return duckdb.connect(self.path, read_only=read_only)
            except duckdb.IOException as error:
                if "lock" not in str(error).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _ensure_tables(self, connection) -> None:
        schema = self.schema_name
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        if self._relation_kind(connection, "events") == "BASE TABLE":
            self._move_payloads_to_the_lake(connection)
        connection.execute(
            duckdb_table_ddl(schema, "events_without_payload", STORED_COLUMNS)[:-2]
            + ",\n  lake_row BIGINT\n)"
        )
        # A table made by an older release gains the columns added since (nulls).
        existing = self._columns_of(connection, "events_without_payload")
        for column in STORED_COLUMNS:
            if column.name not in existing:
                connection.execute(
                    f"ALTER TABLE {self.events_without_payload_table} "
                    f"ADD COLUMN {column.name} {column.duckdb}"
                )
        connection.execute(
            f"""CREATE TABLE IF NOT EXISTS {self.loaded_hours_table} (
                archive_hour TIMESTAMP PRIMARY KEY,
                rows BIGINT NOT NULL,
                source_sha256 VARCHAR,
                loaded_at TIMESTAMP NOT NULL
            )"""
        )
        for name, kind, _, _ in (*LEDGER_SPAN_COLUMNS, *LEDGER_COVERAGE_COLUMNS):
            connection.execute(
                f"ALTER TABLE {self.loaded_hours_table} "
                f"ADD COLUMN IF NOT EXISTS {name} {DUCKDB_TYPES.get(kind, kind)}"
            )
        # There whether or not a token ever fetched any: dbt's repo_stars_daily reads it.
        columns = ", ".join(
            f"{name} {DUCKDB_TYPES.get(kind, kind)}{' NOT NULL' if mode == 'REQUIRED' else ''}"
            for name, kind, mode, _ in STAR_HISTORY_COLUMNS
        )
        connection.execute(f"CREATE TABLE IF NOT EXISTS {self.star_history_table} ({columns})")

    def _relation_kind(self, connection, name: str) -> str | None:
        found = connection.execute(
            "SELECT table_type FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ?",
            [self.schema_name, name],
        ).fetchone()
        return found[0] if found else None

    def _columns_of(self, connection, name: str) -> set[str]:
        return {
            column
            for (column,) in connection.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ?",
                [self.schema_name, name],
            ).fetchall()
        }

    def _lake_rows(self) -> str:
        """Every clean file's rows: the payload and where it sits in its file."""
        files = str(self.lake / CLEAN_FILES).replace("'", "''")
        return (
            f"(SELECT timezone('UTC', archive_hour) AS archive_hour, id, "
            f"file_row_number AS lake_row, payload FROM read_parquet('{files}', "
            "file_row_number = true, hive_partitioning = false))"
        )

    def _move_payloads_to_the_lake(self, connection) -> None:
        """An ``events`` table of an older release becomes the table without
        payload; each row finds its place in its hour's clean file by id."""
        present = self._columns_of(connection, "events")
        names = ", ".join(f"events.{c.name}" for c in STORED_COLUMNS if c.name in present)
        located = "NULL::BIGINT"
        if next(self.lake.glob(CLEAN_FILES), None):
            connection.execute(
                "CREATE TEMP TABLE lake AS "
                f"SELECT archive_hour, id, min(lake_row) AS lake_row FROM {self._lake_rows()} "
                "GROUP BY ALL"
            )
            located = (
                "(SELECT lake.lake_row FROM lake "
                "WHERE lake.archive_hour = events.archive_hour AND lake.id = events.id)"
            )
        connection.execute(
            f"CREATE TABLE {self.events_without_payload_table} AS SELECT {names}, "
            f"{located} AS lake_row FROM {self.events_table} AS events "
            "ORDER BY events.archive_hour, events.created_at"
        )
        connection.execute(f"DROP TABLE {self.events_table}")

    def _create_events_view(self, connection) -> None:
        """``events``: every column, the payload read from the hour's clean file."""
        listed = ", ".join(
            "lake.payload" if c.name == "payload" else f"events.{c.name}" for c in COLUMNS
        )
        connection.execute(
            f"CREATE OR REPLACE VIEW {self.events_table} AS SELECT {listed} "
            f"FROM {self.events_without_payload_table} AS events LEFT JOIN {self._lake_rows()} "
            "AS lake ON lake.archive_hour = events.archive_hour "
            "AND lake.lake_row = events.lake_row AND lake.id = events.id"
        )

    def replace_hour(
        self,
        hour: ArchiveHour,
        clean_file_uri: str,
        source_sha256: str,
        coverage: Mapping | None = None,
    ) -> HourLoad:
        """Swap the hour's rows for its clean file's, which must be the lake's
        own (the view reads payloads there, by row). Rows go in ``created_at``
        order, so a filter on a day or a span of time skips the rest of the table."""
        lake_file = self.lake / clean_path(hour)
        if Path(clean_file_uri).resolve() != lake_file.resolve():
            raise ValueError(
                f"hour {hour}: DuckDB loads the lake's clean file {lake_file}, where its "
                f"view reads payloads, not {clean_file_uri}"
            )
        start = hour.naive_start
        select = ", ".join(_as_utc(c) for c in STORED_COLUMNS)
        names = ", ".join(c.name for c in STORED_COLUMNS)
        table = self.events_without_payload_table
        with self.connect(purpose=f"loading hour {hour}") as connection:
            self._ensure_tables(connection)
            connection.execute("BEGIN TRANSACTION")
            try:
                span = f"SELECT count(*), min(created_at), max(created_at) FROM {table} "
                _, *before = connection.execute(span + "WHERE archive_hour = ?", [start]).fetchone()
                replaced = connection.execute(
                    f"DELETE FROM {table} WHERE archive_hour = ?", [start]
                ).fetchone()[0]
                connection.execute(
                    f"INSERT INTO {table} ({names}, lake_row) SELECT {select}, file_row_number "
                    "FROM read_parquet(?, file_row_number = true) ORDER BY created_at",
                    [str(lake_file)],
                )
                rows, *after = connection.execute(
                    span + "WHERE archive_hour = ?", [start]
                ).fetchone()
                measured = coverage_values(coverage)
                connection.execute(
                    f"INSERT OR REPLACE INTO {self.loaded_hours_table} (archive_hour, rows, "
                    f"source_sha256, loaded_at, {LEDGER_SPAN_NAMES}, {LEDGER_COVERAGE_NAMES}) "
                    "VALUES (?, ?, ?, now() AT TIME ZONE 'UTC', "
                    f"{', '.join('?' * (len(LEDGER_SPAN_COLUMNS) + len(measured)))})",
                    [start, rows, source_sha256, *after, *touched_span(before, after), *measured],
                )
                self._create_events_view(connection)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return HourLoad(hour, rows, replaced)

    def replace_star_history(self, repo_ids: list[int], rows_file_uri: str) -> int:
        with self.connect(purpose="loading GitHub's star history") as connection:
            self._ensure_tables(connection)
            connection.execute("BEGIN TRANSACTION")
            try:
                if repo_ids:
                    connection.execute(
                        f"DELETE FROM {self.star_history_table} WHERE list_contains(?, repo_id)",
                        [list(repo_ids)],
                    )
                # INSERT answers with the rows it inserted: the file is read once.
                (rows,) = connection.execute(
                    f"INSERT INTO {self.star_history_table} ({STAR_HISTORY_NAMES}) "
                    f"SELECT {STAR_HISTORY_NAMES} FROM read_parquet(?, hive_partitioning = false) "
                    "ORDER BY repo_id, day",
                    [rows_file_uri],
                ).fetchone()
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return rows

    def query(self, sql: str, parameters: list | None = None) -> list[tuple]:
        """Rows of ``sql``; raises :class:`WarehouseMissing` rather than create the file."""
        with self.connect(read_only=True) as connection:
            return connection.execute(sql, parameters or []).fetchall()
