"""Dagster's SQLite event log (the local instance), with a batch of events
written in one transaction.

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

deploy/dagster.local.yaml names the class, with DAGSTER_HOME as ``home``. On
GKE the chart's instance is Dagster's own Postgres event log: with
``DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS=1`` (the Helm values) a run's
plan is one event per asset, and a Postgres class of our own is not needed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from dagster import EventLogEntry, StringSource
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._serdes import ConfigurableClassData
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
