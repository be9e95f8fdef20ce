"""The event logs (SQLite locally, Postgres on GKE) write Dagster's batches in one
transaction and keep what Dagster reads from them: planned partitions,
materialisations."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from dagster._core.execution.api import create_execution_plan

from gharchive_assets.definitions import build_definitions
from gharchive_assets.event_log import BatchedPostgresEventLogStorage, BatchedSqliteEventLogStorage
from gharchive_assets.settings import Settings
from tests.postgres import postgres_bin, postgres_cluster, postgres_config

# Starts processes, servers or emulators: not in the fast lane.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
DAY = {
    "dagster/asset_partition_range_start": "2015-01-02-00:00",
    "dagster/asset_partition_range_end": "2015-01-02-23:00",
}


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "1000")
    (tmp_path / "dagster.yaml").write_text((REPO / "deploy/dagster.local.yaml").read_text())
    with dg.DagsterInstance.get() as instance:
        yield instance


@pytest.fixture
def postgres_instance(tmp_path, monkeypatch):
    """The instance as on GKE: runs, events and schedules in Postgres."""
    if postgres_bin() is None:
        pytest.skip("no PostgreSQL here (.ci/run installs Debian's postgresql)")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "1000")
    with postgres_cluster() as url:
        (tmp_path / "dagster.yaml").write_text(postgres_config(url, "batched"))
        with dg.DagsterInstance.get() as instance:
            yield instance


def test_a_planned_day_is_one_batch_and_reads_back_per_partition(instance, tmp_path):
    assert isinstance(instance.event_log_storage, BatchedSqliteEventLogStorage)
    run_id = planned_day_reads_back_per_partition(instance, tmp_path)
    assert (tmp_path / "history" / "runs" / f"{run_id}.db").exists()


def test_postgres_writes_a_planned_day_in_one_transaction(postgres_instance, tmp_path):
    storage = postgres_instance.event_log_storage
    assert isinstance(storage, BatchedPostgresEventLogStorage)
    planned_run = planned_day_reads_back_per_partition(postgres_instance, tmp_path)
    # A batch that fails leaves nothing of itself: the first event is rolled back.
    run = postgres_instance.add_run(dg.DagsterRun(job_name="hourly_archive_job", run_id="p" * 32))
    planned = postgres_instance.all_logs(
        planned_run, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
    )
    again = [entry._replace(run_id=run.run_id) for entry in planned[:2]]
    with pytest.raises(Exception):  # noqa: B017 (whatever the driver raises)
        storage.store_event_batch([again[0], again[1]._replace(run_id="x" * 300)])
    assert postgres_instance.all_logs(run.run_id) == []


def planned_day_reads_back_per_partition(instance, tmp_path) -> str:
    """A run of a day of the hourly assets: its planned events, as the UI and the
    automation read them. The run's id."""
    storage = instance.event_log_storage
    job = build_definitions(Settings(data_dir=tmp_path)).resolve_job_def("hourly_archive_job")
    plan = create_execution_plan(job, tags=DAY, instance_ref=instance.get_ref())
    run = instance.create_run_for_job(job, execution_plan=plan, tags=DAY)
    planned = instance.all_logs(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
    )
    assert len(planned) == 3 * 24
    # What the UI and the automation read: each hour planned, by this run, not materialised.
    events = dg.AssetKey(["gharchive", "events"])
    attempts = storage.get_latest_asset_partition_materialization_attempts_without_materializations(
        events
    )
    assert sorted(attempts) == [f"2015-01-02-{hour:02d}:00" for hour in range(24)]
    assert {run_id for run_id, _ in attempts.values()} == {run.run_id}
    return run.run_id


def test_a_batch_that_fails_leaves_nothing_of_itself(instance):
    storage = instance.event_log_storage
    run = instance.add_run(dg.DagsterRun(job_name="hourly_archive_job", run_id="r" * 32))

    def entry(message: str, run_id: str = run.run_id) -> dg.EventLogEntry:
        return dg.EventLogEntry(
            error_info=None, level="INFO", user_message=message, run_id=run_id, timestamp=1.0
        )

    # Its database cannot be opened (no such folder): fails after the first was written.
    broken = entry("broken", run_id="no-such-folder/run")
    storage.store_event(entry("before"))
    with pytest.raises(Exception):  # noqa: B017 (whatever SQLite raises)
        storage.store_event_batch([entry("in the batch"), broken])
    assert [e.user_message for e in instance.all_logs(run.run_id)] == ["before"]
    storage.store_event_batch([entry("one"), entry("two")])
    assert [e.user_message for e in instance.all_logs(run.run_id)] == ["before", "one", "two"]
