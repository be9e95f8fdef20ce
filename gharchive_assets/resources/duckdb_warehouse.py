"""The local target's warehouse: an embedded DuckDB file."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from gharchive_assets.contract.events_schema import COLUMNS
from gharchive_assets.contract.warehouse import (
    LEDGER_SPAN_COLUMNS,
    LEDGER_SPAN_NAMES,
    HourLoad,
    touched_span,
)
from gharchive_assets.resources import file_lock
from gharchive_assets.resources.warehouse import WarehouseResource

# DuckDB's own lock, should a process outside the pipeline (a DuckDB shell) hold the file.
DUCKDB_LOCK_WAIT_SECONDS = 120.0
# The pipeline's lock: a dbt build of a long backfill can hold the file this long.
LOCK_WAIT_SECONDS = 3600.0


class WarehouseMissing(FileNotFoundError):
    """There is no warehouse file yet: nothing has been loaded."""


def duckdb_table_ddl(schema: str) -> str:
    columns = ",\n  ".join(
        f"{c.name} {c.duckdb}{' NOT NULL' if c.required else ''}" for c in COLUMNS
    )
    return f"CREATE TABLE IF NOT EXISTS {schema}.events (\n  {columns}\n)"


class DuckDBWarehouseResource(WarehouseResource):
    """The embedded warehouse: schema ``gharchive`` in ``GHARCHIVE_DATA_DIR/warehouse.duckdb``.

    Timestamps are stored as naive ``TIMESTAMP`` holding UTC, so a date taken
    from them never depends on a session's time zone.
    """

    path: str
    schema_name: str = "gharchive"
    lock_wait_seconds: float = LOCK_WAIT_SECONDS
    """How long to wait for another process (a run, dbt) to let go of the file."""

    @property
    def events_table(self) -> str:
        return f"{self.schema_name}.events"

    @property
    def loaded_hours_table(self) -> str:
        return f"{self.schema_name}.loaded_hours"

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
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema_name}")
        connection.execute(duckdb_table_ddl(self.schema_name))
        # A table made by an older release gains the columns added since (nulls).
        existing = {
            name
            for (name,) in connection.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = 'events'",
                [self.schema_name],
            ).fetchall()
        }
        for column in COLUMNS:
            if column.name not in existing:
                connection.execute(
                    f"ALTER TABLE {self.schema_name}.events ADD COLUMN {column.name} {column.duckdb}"
                )
        connection.execute(
            f"""CREATE TABLE IF NOT EXISTS {self.schema_name}.loaded_hours (
                archive_hour TIMESTAMP PRIMARY KEY,
                rows BIGINT NOT NULL,
                source_sha256 VARCHAR,
                loaded_at TIMESTAMP NOT NULL
            )"""
        )
        for name, kind, _, _ in LEDGER_SPAN_COLUMNS:
            connection.execute(
                f"ALTER TABLE {self.schema_name}.loaded_hours "
                f"ADD COLUMN IF NOT EXISTS {name} {kind}"
            )

    def replace_hour(
        self, archive_hour: datetime, clean_file_uri: str, source_sha256: str
    ) -> HourLoad:
        hour = archive_hour.replace(tzinfo=None)
        select = ", ".join(
            f"{c.name} AT TIME ZONE 'UTC' AS {c.name}" if c.duckdb == "TIMESTAMP" else c.name
            for c in COLUMNS
        )
        names = ", ".join(c.name for c in COLUMNS)
        table = f"{self.schema_name}.events"
        with self.connect(purpose=f"loading hour {hour:%Y-%m-%d %H}:00") as connection:
            self._ensure_tables(connection)
            connection.execute("BEGIN TRANSACTION")
            try:
                span = f"SELECT count(*), min(created_at), max(created_at) FROM {table} "
                _, *before = connection.execute(span + "WHERE archive_hour = ?", [hour]).fetchone()
                replaced = connection.execute(
                    f"DELETE FROM {table} WHERE archive_hour = ?", [hour]
                ).fetchone()[0]
                connection.execute(
                    f"INSERT INTO {table} ({names}) SELECT {select} FROM read_parquet(?)",
                    [clean_file_uri],
                )
                rows, *after = connection.execute(
                    span + "WHERE archive_hour = ?", [hour]
                ).fetchone()
                connection.execute(
                    f"INSERT OR REPLACE INTO {self.schema_name}.loaded_hours "
                    f"(archive_hour, rows, source_sha256, loaded_at, {LEDGER_SPAN_NAMES}) "
                    "VALUES (?, ?, ?, now() AT TIME ZONE 'UTC', ?, ?, ?, ?)",
                    [hour, rows, source_sha256, *after, *touched_span(before, after)],
                )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return HourLoad(archive_hour, rows, replaced)

    def query(self, sql: str, parameters: list | None = None) -> list[tuple]:
        """Rows of ``sql``; raises :class:`WarehouseMissing` rather than create the file."""
        with self.connect(read_only=True) as connection:
            return connection.execute(sql, parameters or []).fetchall()
