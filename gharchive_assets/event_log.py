"""Dagster's event logs, SQLite (the local instance) and Postgres (GKE), with a
batch of events written in one transaction.

Before a run exists, Dagster writes an event per asset and partition it plans
(72 for a day of the three hourly assets), and a ranged step writes a
materialisation per partition. Dagster sends these as batches when
``DAGSTER_EVENT_BATCH_SIZE`` is set, but its SQLite storage still opens, commits
and closes a database connection per event, twice (the run's database and the
index): three quarters of the backfill daemon's time went there, about 2 s per
run created (docs/backfills.md). Here a batch shares one connection per
database and one commit. Events outside a batch are written as Dagster writes
them; a batch that fails is rolled back, and Dagster then writes its events one
by one.

deploy/dagster.local.yaml names the SQLite class, with DAGSTER_HOME as
``home``. Dagster's Postgres storage writes materialisations as one insert,
but the planned events one by one, each on a new connection (it pools none):
about 2.5 s per run created; the Postgres class here takes the same config as
Dagster's (``postgres_db`` or ``postgres_url``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from dagster import StringSource
from dagster._core.event_api import EventLogEntry
from dagster._core.events import DagsterEventType
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._serdes import ConfigurableClassData
from dagster_postgres import PostgresEventLogStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

SQLITE_BUSY_TIMEOUT_SECONDS = 30


class BatchedSqliteEventLogStorage(SqliteEventLogStorage):
    """SQLite event log under ``home``/history/runs, as Dagster's default puts it."""

    def __init__(self, home: str, inst_data: ConfigurableClassData | None = None):
        self._batch = threading.local()
        super().__init__(os.path.join(home, "history", "runs", ""), inst_data)

    @classmethod
    def config_type(cls):
        return {"home": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, home=config_value["home"])

    @contextmanager
    def _connect(self, shard: str) -> Iterator:
        held = getattr(self._batch, "connections", None)
        if held is None:
            with super()._connect(shard) as connection:
                yield connection
            return
        if shard not in held:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=NullPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            connection = engine.connect()
            connection.begin()
            held[shard] = (engine, connection)
        yield held[shard][1]

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        with self._db_lock:
            self._batch.connections = held = {}
            try:
                for event in events:
                    self.store_event(event)
                for _, connection in held.values():
                    connection.commit()
            except BaseException:
                for _, connection in held.values():
                    connection.rollback()
                raise
            finally:
                self._batch.connections = None
                for engine, connection in held.values():
                    connection.close()
                    engine.dispose()


# What Dagster's Postgres storage already writes as one insert.
INSERTED_AS_ONE = (
    {DagsterEventType.ASSET_MATERIALIZATION},
    {DagsterEventType.ASSET_OBSERVATION},
)


class BatchedPostgresEventLogStorage(PostgresEventLogStorage):
    """Dagster's Postgres event log; a batch it would write event by event (the
    planned events) goes through one connection and one transaction."""

    def __init__(self, *args, **kwargs):
        self._batch = threading.local()
        super().__init__(*args, **kwargs)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )

    @contextmanager
    def _connect(self) -> Iterator:
        held = getattr(self._batch, "connection", None)
        if held is None:
            with super()._connect() as connection:
                yield connection
        else:
            yield held

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        kinds = {event.get_dagster_event().event_type for event in events}
        if kinds in INSERTED_AS_ONE:
            super().store_event_batch(events)
            return
        # As Dagster's: a failure to materialise is not stored from a batch.
        kept = [e for e in events if not e.get_dagster_event().is_asset_failed_to_materialize]
        with self._one_transaction():
            for event in kept:
                self.store_event(event)

    @contextmanager
    def _one_transaction(self) -> Iterator[None]:
        """Every connection taken inside is this one, committed at the end."""
        with self._engine.connect() as connection:
            held = connection.execution_options(isolation_level="READ COMMITTED")
            with held.begin():
                self._batch.connection = held
                try:
                    yield
                finally:
                    self._batch.connection = None
