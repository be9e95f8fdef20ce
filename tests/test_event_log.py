"""The event logs: SQLite locally writes Dagster's batches in one transaction,
and both it and Dagster's Postgres one (GKE) keep what Dagster reads of a
run's plan, per partition, whether the plan is an event per asset and hour or,
with DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS=1, one per asset."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from dagster._core.execution.api import create_execution_plan
from dagster_postgres import PostgresEventLogStorage

from gharchive_assets.core.settings import Settings
from gharchive_assets.definitions import build_definitions
from gharchive_assets.instance.event_log import BatchedSqliteEventLogStorage
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
        (tmp_path / "dagster.yaml").write_text(postgres_config(url, "dagster"))
        with dg.DagsterInstance.get() as instance:
            yield instance


@pytest.mark.parametrize("per_asset", ["", "1"])
def test_a_planned_day_is_one_batch_and_reads_back_per_partition(
    instance, tmp_path, monkeypatch, per_asset
):
    monkeypatch.setenv("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", per_asset)
    assert isinstance(instance.event_log_storage, BatchedSqliteEventLogStorage)
    run_id = planned_day_reads_back_per_partition(instance, tmp_path, 3 if per_asset else 72)
    assert (tmp_path / "history" / "runs" / f"{run_id}.db").exists()


def test_dagsters_postgres_log_plans_a_day_as_one_event_per_asset(
    postgres_instance, tmp_path, monkeypatch
):
    """The instance as the chart renders it on GKE, with the Helm values' switch."""
    monkeypatch.setenv("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "1")
    assert type(postgres_instance.event_log_storage) is PostgresEventLogStorage
    planned_day_reads_back_per_partition(postgres_instance, tmp_path, 3)


def planned_day_reads_back_per_partition(instance, tmp_path, events: int) -> str:
    """A run of a day of the hourly assets: its planned events, as the UI and the
    automation read them. The run's id."""
    storage = instance.event_log_storage
    job = build_definitions(Settings(data_dir=tmp_path)).resolve_job_def("hourly_archive_job")
    plan = create_execution_plan(job, tags=DAY, instance_ref=instance.get_ref())
    run = instance.create_run_for_job(job, execution_plan=plan, tags=DAY)
    planned = instance.all_logs(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
    )
    assert len(planned) == events
    hours = [f"2015-01-02-{hour:02d}:00" for hour in range(24)]
    events_key = dg.AssetKey(["gharchive", "events"])
    if events == 3:  # one per asset, carrying the run's hours
        (data,) = [e.dagster_event.event_specific_data for e in planned
                   if e.dagster_event.asset_key == events_key]  # fmt: skip
        assert sorted(data.partitions_subset.get_partition_keys()) == hours
        return run.run_id
    # Per hour: what the UI and the automation read: each hour planned, by this
    # run, not materialised.
    attempts = storage.get_latest_asset_partition_materialization_attempts_without_materializations(
        events_key
    )
    assert sorted(attempts) == hours
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
